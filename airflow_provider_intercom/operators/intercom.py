"""Operators that mark Intercom conversations as read.

They stay thin: validate the input, make one hook (or bulk engine) call, return JSON-safe data.
The hook does the talking; see :mod:`airflow_provider_intercom.hooks.intercom`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from airflow_provider_intercom._compat import BaseOperator, Context
from airflow_provider_intercom.bulk import DEFAULT_MAX_WORKERS, DEFAULT_XCOM_FIELDS, MAX_WORKERS_LIMIT, BulkMarkRead
from airflow_provider_intercom.connection import DEFAULT_CONN_ID
from airflow_provider_intercom.exceptions import IntercomError, IntercomValidationError
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.links import CONVERSATION_URL_XCOM_KEY, IntercomConversationLink, conversation_url
from airflow_provider_intercom.validation import (
    validate_conversation_id,
    validate_conversation_ids,
    validate_search_query,
)

__all__ = ["IntercomMarkConversationReadOperator", "IntercomMarkConversationsReadOperator"]

#: How many failed ids the task's error message names.
FAILED_IDS_IN_MESSAGE = 20


class IntercomMarkConversationReadOperator(BaseOperator):
    """Mark one Intercom conversation as read; the updated conversation becomes the XCom.

    Sends ``PUT /conversations/{conversation_id}`` with ``{"read": true}`` and returns Intercom's
    Conversation JSON, which Airflow stores as the XCom ``return_value``. Works with
    ``.partial(...).expand(conversation_id=...)``; for more than a few hundred ids, prefer
    :class:`IntercomMarkConversationsReadOperator`.

    :param conversation_id: the conversation id, digits such as ``"123"`` or an int. (templated)
    :param intercom_conn_id: the Airflow connection of type ``intercom``. (templated)
    """

    template_fields: Sequence[str] = ("conversation_id", "intercom_conn_id")
    operator_extra_links = (IntercomConversationLink(),)
    ui_color = "#e0f0ff"

    def __init__(
        self,
        *,
        conversation_id: str | int,
        intercom_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conversation_id = conversation_id
        self.intercom_conn_id = intercom_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        """Mark the conversation read and return it.

        :param context: the Airflow task context.
        """
        conversation_id = validate_conversation_id(self.conversation_id)
        hook = IntercomHook(self.intercom_conn_id)
        try:
            conversation = hook.mark_conversation_read(conversation_id)
            self.log.info(
                "Marked Intercom conversation %s read (read=%s, state=%s).",
                conversation_id,
                conversation.get("read"),
                conversation.get("state"),
            )
            # What the "View in Intercom" link needs, stored now: get_link must not call Intercom.
            app_id_code = hook.get_app_id_code()
        finally:
            hook.close()
        if app_id_code:
            url = conversation_url(hook.settings.app_base_url, app_id_code, conversation_id)
            context["ti"].xcom_push(key=CONVERSATION_URL_XCOM_KEY, value=url)
        return conversation


class IntercomMarkConversationsReadOperator(BaseOperator):
    """Mark many Intercom conversations as read in one task, at Intercom's rate limit.

    Give exactly one of ``conversation_ids`` or ``search_query``. Every id ends as updated,
    skipped or failed; the summary becomes the XCom ``return_value``::

        {"updated": [{"id", "read", "state", "updated_at"}, ...],   # input order
         "skipped": [{"id", "reason", "status", "code", "message", "request_id"}, ...],
         "failed":  [{"id", "reason", "status", "code", "message", "request_id"}, ...],
         "counts":  {"total", "updated", "skipped", "failed", "requests",
                     "rate_limited_responses", "elapsed_seconds"}}

    Marking read is idempotent, so re-running the task after a failure or a kill is safe.

    :param conversation_ids: ids to mark read: a list, or an upstream task's ``.output``
        (XComArg), including the lazy sequence of a mapped upstream task. Duplicates are dropped,
        keeping the first. (templated)
    :param search_query: an Intercom search query (the ``query`` of POST /conversations/search);
        every matching conversation is marked read. Matches are collected first, then updated,
        so no update changes the result set under the search cursor. (templated)
    :param intercom_conn_id: the Airflow connection of type ``intercom``. (templated)
    :param max_workers: requests in flight at once (1 to 64).
    :param max_requests_per_minute: optional ceiling below Intercom's limit, to leave budget for
        the app's other integrations.
    :param ignore_not_found: count a 404 as skipped instead of failed.
    :param fail_on_error: after processing everything and pushing the summary, fail the task if
        any id failed.
    :param xcom_fields: keys kept of each updated conversation in the XCom; None keeps whole
        conversations (mind XCom size).
    :param rate_limit_budget: seconds one id may spend waiting out 429s before it is failed with
        reason ``rate_limited``.
    :param progress_interval: seconds between progress lines in the task log.
    """

    template_fields: Sequence[str] = ("conversation_ids", "search_query", "intercom_conn_id")
    ui_color = "#e0f0ff"

    def __init__(
        self,
        *,
        conversation_ids: Any = None,
        search_query: Any = None,
        intercom_conn_id: str = DEFAULT_CONN_ID,
        max_workers: int = DEFAULT_MAX_WORKERS,
        max_requests_per_minute: float | None = None,
        ignore_not_found: bool = False,
        fail_on_error: bool = True,
        xcom_fields: Sequence[str] | None = DEFAULT_XCOM_FIELDS,
        rate_limit_budget: float = 300.0,
        progress_interval: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = f"Task {kwargs.get('task_id', '?')!r}"
        if (conversation_ids is None) == (search_query is None):
            raise IntercomValidationError(
                f"{where}: give exactly one of conversation_ids (a list or an upstream .output) or "
                "search_query (an Intercom search query)."
            )
        if (
            isinstance(max_workers, bool)
            or not isinstance(max_workers, int)
            or not 1 <= max_workers <= MAX_WORKERS_LIMIT
        ):
            raise IntercomValidationError(f"{where}: max_workers must be an int from 1 to {MAX_WORKERS_LIMIT}.")
        for name, value in (
            ("max_requests_per_minute", max_requests_per_minute),
            ("rate_limit_budget", rate_limit_budget),
            ("progress_interval", progress_interval),
        ):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise IntercomValidationError(f"{where}: {name} must be a positive number; got {value!r}.")
        if xcom_fields is not None and (
            isinstance(xcom_fields, str) or not all(isinstance(key, str) for key in xcom_fields)
        ):
            raise IntercomValidationError(
                f"{where}: xcom_fields must be a list of conversation keys such as ['id', 'state'], or None."
            )
        self.conversation_ids = conversation_ids
        self.search_query = search_query
        self.intercom_conn_id = intercom_conn_id
        self.max_workers = max_workers
        self.max_requests_per_minute = max_requests_per_minute
        self.ignore_not_found = ignore_not_found
        self.fail_on_error = fail_on_error
        self.xcom_fields = tuple(xcom_fields) if xcom_fields is not None else None
        self.rate_limit_budget = rate_limit_budget
        self.progress_interval = progress_interval
        self._stop_event: threading.Event | None = None

    def execute(self, context: Context) -> dict[str, Any]:
        """Mark every given or matching conversation read; return the summary.

        :param context: the Airflow task context.
        """
        # Created here, not in __init__: Airflow copies operators, and an Event cannot be copied.
        self._stop_event = stop_event = threading.Event()
        hook = IntercomHook(self.intercom_conn_id, stop_event=stop_event)
        if self.conversation_ids is not None:
            ids = validate_conversation_ids(self.conversation_ids)
        else:
            query = validate_search_query(self.search_query)
            found = [conversation.get("id") for conversation in hook.search_conversations(query)]
            hook.close()
            self.log.info("Intercom search matched %d conversations.", len(found))
            ids = validate_conversation_ids(found, where="search result") if found else []
        engine = BulkMarkRead(
            hook,
            max_workers=self.max_workers,
            max_requests_per_minute=self.max_requests_per_minute,
            ignore_not_found=self.ignore_not_found,
            xcom_fields=self.xcom_fields,
            rate_limit_budget=self.rate_limit_budget,
            progress_interval=self.progress_interval,
            log=self.log,
            stop_event=stop_event,
        )
        try:
            summary = engine.run(ids)
        except BaseException:
            # Interrupted (execution_timeout, a kill): still publish what was done, then re-raise.
            self._push_summary(context, engine.summary)
            raise
        failed = summary["failed"]
        if failed and self.fail_on_error:
            # Push first: downstream tasks and the UI must see what was done before the failure.
            self._push_summary(context, summary)
            named = ", ".join(f"{f['id']} ({f['reason']})" for f in failed[:FAILED_IDS_IN_MESSAGE])
            more = f" and {len(failed) - FAILED_IDS_IN_MESSAGE} more" if len(failed) > FAILED_IDS_IN_MESSAGE else ""
            first = failed[0]
            raise IntercomError(
                f"{len(failed)} of {summary['counts']['total']} conversations could not be marked read: "
                f"{named}{more}. The summary is in this task's XCom. First error: "
                f"{first['status'] or ''} {first['code'] or first['reason']}: {first['message']}"
                + (f" (request_id={first['request_id']})" if first["request_id"] else ""),
                hint="Marking read is idempotent: clearing and re-running the task is safe.",
            )
        return summary

    def _push_summary(self, context: Context, summary: dict[str, Any] | None) -> None:
        if summary is not None and self.do_xcom_push:
            context["ti"].xcom_push(key="return_value", value=summary)

    def on_kill(self) -> None:
        """Stop sending: Airflow calls this when the task is killed."""
        if self._stop_event is not None:
            self._stop_event.set()
