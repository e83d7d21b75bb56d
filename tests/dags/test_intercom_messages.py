"""Replies, notes, and a close with a body, in real DAG runs (tests/operators/test_messages.py).

Each DAG retries, so that a duplicate would show if a retry re-sent what an earlier try posted.
The "cut" DAG's first try is stopped by ``execution_timeout`` part-way (the emulator serves 50
calls/s there); each try starts with a ``GET /me``, which marks where it began in the request log.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators import (
    IntercomCloseConversationsOperator,
    IntercomReplyToConversationOperator,
    IntercomReplyToConversationsOperator,
)

START = pendulum.datetime(2026, 1, 1, tz="UTC")
ADMIN = "991267653"
RETRIES: dict[str, Any] = {"retries": 2, "retry_delay": timedelta(seconds=0)}
NOTE = "Escalated to <b>billing</b> &amp; finance:\n\nsee the ticket."
CLOSING = "Closing this: it is resolved."


def _ids(count: int) -> list[str]:
    return [str(n) for n in range(1, count + 1)]


def _mark_try(context: Any) -> None:
    IntercomHook().get_me()


with DAG(dag_id="test_intercom_note_bulk", schedule=None, start_date=START):
    IntercomReplyToConversationsOperator(
        task_id="notes", conversation_ids=_ids(300), body=NOTE, message_type="note", admin_id=ADMIN, **RETRIES
    )

with DAG(dag_id="test_intercom_close_with_body", schedule=None, start_date=START):
    IntercomCloseConversationsOperator(
        task_id="close", conversation_ids=_ids(100), body=CLOSING, admin_id=ADMIN, **RETRIES
    )

with DAG(dag_id="test_intercom_note_cut", schedule=None, start_date=START):
    IntercomReplyToConversationsOperator(
        task_id="notes",
        conversation_ids=_ids(600),
        body=NOTE,
        message_type="note",
        admin_id=ADMIN,
        retries=6,
        retry_delay=timedelta(seconds=0),
        execution_timeout=timedelta(seconds=5),
        pre_execute=_mark_try,
    )

with DAG(dag_id="test_intercom_reply_single", schedule=None, start_date=START):
    IntercomReplyToConversationOperator(
        task_id="reply", conversation_id="7", body="Thanks! We're on it.", admin_id=ADMIN, **RETRIES
    )

with DAG(dag_id="test_intercom_reply_generated", schedule=None, start_date=START):

    @task
    def write_replies() -> dict[str, str]:
        return {cid: f"Hello #{cid}, your refund is on its way." for cid in _ids(12)}

    IntercomReplyToConversationsOperator(
        task_id="replies", body=write_replies(), message_type="comment", admin_id=ADMIN, **RETRIES
    )

with DAG(dag_id="test_intercom_note_retried", schedule=None, start_date=START):
    # The connection allows no client retry: one id's 503 fails the first try, and Airflow retries.
    IntercomReplyToConversationsOperator(
        task_id="notes",
        conversation_ids=_ids(60),
        body=NOTE,
        message_type="note",
        admin_id=ADMIN,
        retries=1,
        retry_delay=timedelta(seconds=0),
        pre_execute=_mark_try,
    )

with DAG(dag_id="test_intercom_note_small", schedule=None, start_date=START):
    IntercomReplyToConversationsOperator(
        task_id="notes", conversation_ids=_ids(20), body=NOTE, message_type="note", admin_id=ADMIN
    )
