"""A bulk task cut off by execution_timeout, with no retries: it fails, keeping its checkpoint.

Used by tests/operators/test_resume_clear.py, with an emulator at 50 calls/s: 400 ids need about
8 s, so the try (5 s) stops part-way; the test then clears the task through the REST API and
runs it again. Each try starts with a ``GET /me``, which marks in the emulator's request log
where the try began.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator


def _mark_try(context: Any) -> None:
    IntercomHook().get_me()


with DAG(dag_id="test_intercom_resume_clear", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    IntercomMarkConversationsReadOperator(
        task_id="bulk",
        conversation_ids=[str(n) for n in range(1, 401)],
        retries=0,
        execution_timeout=timedelta(seconds=5),
        pre_execute=_mark_try,
    )
