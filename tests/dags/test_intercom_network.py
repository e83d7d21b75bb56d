"""One single and one bulk task, each in its own DAG, with Airflow retries allowed: run behind a
proxy, a cut handshake, an untrusted certificate or a redirect (tests/operators/test_network_airflow.py).

Each task keeps the exception its ``execute`` raises (tests/helpers/keeping.py), for the test to walk.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow_provider_intercom.operators.intercom import (
    IntercomMarkConversationReadOperator,
    IntercomMarkConversationsReadOperator,
)
from tests.helpers.keeping import keeping

START = pendulum.datetime(2026, 1, 1, tz="UTC")
RETRIES: dict[str, Any] = {"retries": 2, "retry_delay": timedelta(seconds=0)}

with DAG(dag_id="test_intercom_network_single", schedule=None, start_date=START):
    keeping(IntercomMarkConversationReadOperator)(task_id="task", conversation_id="3", **RETRIES)

with DAG(dag_id="test_intercom_network_bulk", schedule=None, start_date=START):
    keeping(IntercomMarkConversationsReadOperator)(
        task_id="task", conversation_ids=[str(i) for i in range(1, 21)], max_concurrency=2, **RETRIES
    )
