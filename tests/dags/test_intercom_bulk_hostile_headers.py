"""A bulk task behind a proxy that sends its own rate-limit headers (tests/helpers/hostile_server.py).

``execution_timeout`` is the issue's bound for 100 ids: a run that stalls on the headers fails.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator

with DAG(
    dag_id="test_intercom_bulk_hostile_headers", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")
):
    IntercomMarkConversationsReadOperator(
        task_id="bulk",
        conversation_ids=[str(n) for n in range(1, 101)],
        retries=0,
        execution_timeout=timedelta(seconds=60),
    )
