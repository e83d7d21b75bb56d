"""One single and one bulk task, each in its own DAG, with Airflow retries allowed: run behind a
proxy, a cut handshake, an untrusted certificate or a redirect (tests/operators/test_network_airflow.py).

A failure callback keeps the exception, as an error tracker would get it, for the test to walk.
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

START = pendulum.datetime(2026, 1, 1, tz="UTC")
RETRIES: dict[str, Any] = {"retries": 2, "retry_delay": timedelta(seconds=0)}


def keep_exception(context: Any) -> None:
    from tests.helpers.chain import FAILURES

    FAILURES.append(context["exception"])


with DAG(dag_id="test_intercom_network_single", schedule=None, start_date=START):
    IntercomMarkConversationReadOperator(
        task_id="task", conversation_id="3", on_failure_callback=keep_exception, **RETRIES
    )

with DAG(dag_id="test_intercom_network_bulk", schedule=None, start_date=START):
    IntercomMarkConversationsReadOperator(
        task_id="task",
        conversation_ids=[str(i) for i in range(1, 21)],
        max_concurrency=2,
        on_failure_callback=keep_exception,
        **RETRIES,
    )
