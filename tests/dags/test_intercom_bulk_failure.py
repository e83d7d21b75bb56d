"""A bulk task with one bad conversation: it must push its summary, then fail."""

from __future__ import annotations

import pendulum

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator

with DAG(dag_id="test_intercom_bulk_failure", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    IntercomMarkConversationsReadOperator(task_id="bulk", conversation_ids=["1", "424242", "2"], max_concurrency=2)
