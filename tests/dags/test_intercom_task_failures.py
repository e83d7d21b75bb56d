"""Tasks that fail, each with Airflow retries allowed: which failures does Airflow retry?"""

from __future__ import annotations

from datetime import timedelta

import pendulum

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow_provider_intercom.operators.intercom import (
    IntercomMarkConversationReadOperator,
    IntercomMarkConversationsReadOperator,
)

START = pendulum.datetime(2026, 1, 1, tz="UTC")
RETRIES = {"retries": 2, "retry_delay": timedelta(seconds=0)}

# A bad token or a plan without the API: no retry can help, so each task fails on its first try.
with DAG(dag_id="test_intercom_permanent_failure", schedule=None, start_date=START):
    IntercomMarkConversationsReadOperator(task_id="bulk", conversation_ids=[str(i) for i in range(1, 41)], **RETRIES)
    IntercomMarkConversationReadOperator(task_id="single", conversation_id="45", **RETRIES)

# One id that does not exist (404) with fail_on_error: the task fails after pushing its summary;
# Airflow retries it only when another id failed for a reason that may pass (a 5xx, the network).
with DAG(dag_id="test_intercom_bulk_failure_retried", schedule=None, start_date=START):
    IntercomMarkConversationsReadOperator(
        task_id="bulk", conversation_ids=["1", "424242"], retries=1, retry_delay=timedelta(seconds=0)
    )

# A run that would take about 10 s at 20 calls per second, stopped by execution_timeout after 2.
with DAG(dag_id="test_intercom_bulk_timeout", schedule=None, start_date=START):
    IntercomMarkConversationsReadOperator(
        task_id="bulk", conversation_ids=[str(i) for i in range(1, 201)], execution_timeout=timedelta(seconds=2)
    )
