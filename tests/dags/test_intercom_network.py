"""One single and one bulk task, each in its own DAG, with Airflow retries allowed: run behind a
proxy, a cut handshake, an untrusted certificate or a redirect (tests/operators/test_network_airflow.py).

Each task keeps the exception its ``execute`` raises, for the test to walk: that object is what
Airflow hands a failure callback (``context["exception"]``), its log and an error tracker. (Not a
failure callback itself: ``dag.test()`` on Airflow 3.0-3.2 leaves the exception out of that
callback's context, where a worker puts it in.)
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


def _keep(error: BaseException) -> None:
    from tests.helpers.chain import FAILURES

    FAILURES.append(error)


class KeepingSingle(IntercomMarkConversationReadOperator):
    def execute(self, context: Any) -> Any:
        try:
            return super().execute(context)
        except BaseException as error:
            _keep(error)
            raise


class KeepingBulk(IntercomMarkConversationsReadOperator):
    def execute(self, context: Any) -> Any:
        try:
            return super().execute(context)
        except BaseException as error:
            _keep(error)
            raise


with DAG(dag_id="test_intercom_network_single", schedule=None, start_date=START):
    KeepingSingle(task_id="task", conversation_id="3", **RETRIES)

with DAG(dag_id="test_intercom_network_bulk", schedule=None, start_date=START):
    KeepingBulk(task_id="task", conversation_ids=[str(i) for i in range(1, 21)], max_concurrency=2, **RETRIES)
