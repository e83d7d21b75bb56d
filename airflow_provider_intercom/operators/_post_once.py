"""One message to one conversation, posted exactly once: the single operators' path for messages.

A reply, a note, or a close or an assignment with a ``body`` cannot simply be re-sent after a
failure whose outcome is unknown (docs/messages.md). The single operators hand such a request to
the same engine as the bulk ones, with one id: it reads the conversation back before any re-send,
records the send ahead in the task state store (Airflow >= 3.3), and reads back first on a retry.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom._compat import Context
from airflow_provider_intercom.client._actions import PAST_TENSE
from airflow_provider_intercom.client._error import IntercomCancelledError, IntercomError
from airflow_provider_intercom.operators._resume import open_checkpoint

if TYPE_CHECKING:
    from airflow_provider_intercom.bulk._progress import _Log
    from airflow_provider_intercom.client._actions import ConversationRequest
    from airflow_provider_intercom.hooks.intercom import IntercomHook

__all__ = ["post_once"]


def post_once(
    context: Context,
    hook: IntercomHook,
    request: ConversationRequest,
    conversation_id: str,
    *,
    log: _Log,
    resend: bool,
    stop_event: threading.Event | None = None,
) -> dict[str, Any]:
    """Post the message once and return Intercom's answer, or ``{"id", "verified": true}`` when a
    read-back found it posted after its answer was lost.

    :param context: the Airflow task context (its task state store, its try number).
    :param hook: the task's hook.
    :param request: a message request (``request.message`` set).
    :param conversation_id: a validated id.
    :param log: the task's logger.
    :param resend: post again even if an earlier run of this task posted it (a clear).
    :param stop_event: once set (``on_kill``), the run stops.
    :raises IntercomError: the message could not be posted, or its fate could not be verified.
    """
    from airflow_provider_intercom.bulk import BulkOptions, BulkRun

    ids = [conversation_id]
    checkpoint = open_checkpoint(
        context, enabled=True, ids=ids, query=None, body=request.identity, log=log, messages=True, resend=resend
    )
    run = BulkRun(
        hook.client,
        BulkOptions(max_concurrency=1, xcom_fields=None, summary="full"),
        log=log,
        stop_event=stop_event,
        log_summary=False,
    )
    summary = run.run(
        ids,
        request,
        done=checkpoint.done(1),
        on_checkpoint=checkpoint.save,
        read_below=1 if checkpoint.read_all else checkpoint.read_below,
        read_after=checkpoint.read_after,
        write_ahead=checkpoint.start,
    )
    if run.fatal is not None:
        raise run.fatal
    if run.stopped:
        # Killed, or the write-ahead record could not be written: not a success, and a retry
        # reads back what this try may have posted before sending anything.
        raise IntercomCancelledError(
            f"The message to conversation {conversation_id} was stopped before it was confirmed; a retry of "
            "the task reads the conversation back first, so nothing is posted twice.",
            conn_id=hook.client.conn_id,
        )
    if summary["failed"]:
        entry = summary["failed"][0]
        raise IntercomError(
            f"Conversation {conversation_id} could not be {PAST_TENSE[request.action]}: {entry['message']}",
            status=entry["status"],
            code=entry["code"],
            request_id=entry["request_id"],
            method=request.method,
            path=request.path_for(conversation_id),
            conn_id=hook.client.conn_id,
            permanent=run.retryable_failures == 0,
        )
    checkpoint.keep(bytes(run.engine.confirmed))  # clearing the task must not post it again
    answer: dict[str, Any] = summary["updated"][0]
    return answer
