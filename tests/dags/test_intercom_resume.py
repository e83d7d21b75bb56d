"""Bulk tasks cut off by execution_timeout and retried: on Airflow 3.3+ a retry resumes.

Used by tests/operators/test_resume.py with an emulator at 50 calls/s: 400 ids need about 8 s,
so the first try (5 s) stops part-way and a retry finishes what is left. ``retries`` leaves room
for a slow, shared test machine; each try starts with a ``GET /me``, which marks in the
emulator's request log where the try began.
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
from airflow_provider_intercom.operators import IntercomCloseConversationsOperator
from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator


def _mark_try(context: Any) -> None:
    IntercomHook().get_me()


RETRY: dict[str, Any] = {
    "retries": 6,
    "retry_delay": timedelta(seconds=0),
    "execution_timeout": timedelta(seconds=5),
    "pre_execute": _mark_try,
}
START = pendulum.datetime(2026, 1, 1, tz="UTC")
IDS = [str(n) for n in range(1, 401)]

with DAG(dag_id="test_intercom_resume", schedule=None, start_date=START):
    IntercomMarkConversationsReadOperator(task_id="bulk", conversation_ids=IDS, **RETRY)

with DAG(dag_id="test_intercom_resume_off", schedule=None, start_date=START):
    IntercomMarkConversationsReadOperator(task_id="bulk", conversation_ids=IDS, resume=False, **{**RETRY, "retries": 1})

with DAG(dag_id="test_intercom_resume_search", schedule=None, start_date=START):
    IntercomMarkConversationsReadOperator(
        task_id="bulk", search_query={"field": "read", "operator": "=", "value": False}, **RETRY
    )

with DAG(dag_id="test_intercom_resume_large", schedule=None, start_date=START):
    IntercomMarkConversationsReadOperator(
        task_id="bulk", conversation_ids=[str(n) for n in range(1, 2001)], **{**RETRY, "retries": 8}
    )

with DAG(dag_id="test_intercom_resume_close", schedule=None, start_date=START):
    # admin_id given: the only GET /me of a try is the one that marks where it began.
    IntercomCloseConversationsOperator(task_id="bulk", conversation_ids=IDS, admin_id="991267653", **RETRY)
