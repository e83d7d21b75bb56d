"""A 500-id bulk task, with Airflow retries, on a connection whose Host path is wrong; it keeps
what it raises (tests/helpers/keeping.py)."""

from __future__ import annotations

from datetime import timedelta

import pendulum

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator
from tests.helpers.keeping import keeping

with DAG(dag_id="test_intercom_wrong_host", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    keeping(IntercomMarkConversationsReadOperator)(
        task_id="bulk", conversation_ids=[str(i) for i in range(1, 501)], retries=2, retry_delay=timedelta(seconds=0)
    )
