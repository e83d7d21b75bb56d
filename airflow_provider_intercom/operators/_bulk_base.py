"""The base of every bulk operator: one action, many conversations, at Intercom's rate limit.

A bulk operator only says which request its action sends (:meth:`BulkConversationsOperator.prepare`);
this base does the rest the same way for all of them: check the input, resolve the ids (given, or
every match of a search), make the read-only checks, then hand the run to the async engine
(:mod:`airflow_provider_intercom.bulk`) and turn its summary into the XCom and the task's outcome.
``aiohttp`` and the engine are imported in ``execute()``, never at DAG parse time.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom._compat import BaseOperator, Context
from airflow_provider_intercom.client._actions import PAST_TENSE
from airflow_provider_intercom.client._error import IntercomCancelledError, IntercomError, IntercomValidationError
from airflow_provider_intercom.client._validation import (
    validate_conversation_ids,
    validate_positive_number,
    validate_search_query,
    validate_summary_mode,
)
from airflow_provider_intercom.client.facts import (
    DEFAULT_PROGRESS_INTERVAL,
    DEFAULT_RATE_LIMIT_BUDGET,
    DEFAULT_XCOM_FIELDS,
    MAX_CONCURRENCY_LIMIT,
)
from airflow_provider_intercom.connection import DEFAULT_CONN_ID
from airflow_provider_intercom.exceptions import IntercomPermanentError, task_error
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators._literal_ids import render_literal_ids, template_markers
from airflow_provider_intercom.operators._resume_hints import failure_hint
from airflow_provider_intercom.operators._search import search_ids

if TYPE_CHECKING:
    from airflow_provider_intercom.bulk import BulkRun
    from airflow_provider_intercom.client._actions import ConversationRequest

#: How many failed ids the task's error message names.
FAILED_IDS_IN_MESSAGE = 20
#: What a failed run's message advises: fix the input when no retry can help, else let retries work.
_PERMANENT_HINT = (
    "No retry can fix these: correct the ids or the input (see each error), then clear the task; "
    "to skip deleted conversations (not_found), set ignore_not_found=True."
)
#: What a run with messages that could not be verified advises; it is not retried, lest one be posted twice.
_UNVERIFIED_HINT = (
    "Messages marked 'unverified' may have been posted: check those conversations in Intercom. The task is "
    "not retried, so that none is posted twice; to post them again anyway, set resend=True and clear the task."
)
#: The template fields every bulk operator has.
BULK_TEMPLATE_FIELDS: tuple[str, ...] = ("conversation_ids", "search_query", "intercom_conn_id", "updated_ids_path")


class BulkConversationsOperator(BaseOperator):
    """Apply one action to many Intercom conversations in one task, at Intercom's rate limit.

    Give exactly one of ``conversation_ids`` or ``search_query``. Every id ends as updated,
    skipped or failed; the summary becomes the XCom ``return_value`` (see
    :mod:`airflow_provider_intercom.bulk._summary` for its one schema, ``counts`` first).
    Concurrency follows measured latency, so no tuning is needed to reach Intercom's limit.

    :param conversation_ids: ids to act on: a list, or an upstream task's ``.output`` (XComArg),
        including the lazy sequence of a mapped upstream task. Duplicates are dropped, keeping
        the first. (templated)
    :param search_query: an Intercom search query (the ``query`` of POST /conversations/search);
        every match is acted on. Matches are collected first, then acted on. (templated)
    :param intercom_conn_id: the Airflow connection of type ``intercom``. (templated)
    :param dry_run: resolve the targets and make every read-only check, log and return what would
        be done (``counts.total`` and the ids), and send no write.
    :param max_concurrency: optional ceiling on requests in flight (1 to 256); by default the
        engine follows latency up to 256.
    :param max_workers: deprecated name of ``max_concurrency``.
    :param max_requests_per_minute: optional ceiling below Intercom's limit, to leave budget for
        the app's other integrations.
    :param ignore_not_found: count a missing conversation (404 ``not_found``) as skipped instead of
        failed.
    :param fail_on_error: after processing everything and pushing the summary, fail the task if
        any id failed.
    :param xcom_fields: keys kept of each conversation answered, in the XCom; None keeps whole
        conversations (mind XCom size).
    :param summary: ``"auto"`` lists updated ids one by one while they fit 256 KB, else as ranges
        of input positions (``updated_form``); ``"full"`` always lists them one by one.
    :param updated_ids_path: a local path or an object-storage URL (``ObjectStoragePath``) to
        write every updated id to, one per line in input order, whatever the run's size; the
        summary's ``updated_file`` names it. (templated)
    :param rate_limit_budget: seconds one id may spend waiting out 429s before it is failed with
        reason ``rate_limited``.
    :param progress_interval: seconds between progress lines in the task log.
    :param resume: on Airflow >= 3.3, checkpoint progress so that a retried task resumes where
        the last try stopped. Actions that post a message always keep their record: it is what
        keeps a retry from posting twice.
    :param resend: for actions that post a message (a reply, a note, a close or an assignment
        with a ``body``): make no read-back, and post again what an earlier run of this task
        posted (clearing a task that succeeded posts every message again). On Airflow >= 3.3 a
        retry within one run still skips what an earlier try confirmed. By default a retried or
        cleared task posts nothing twice (docs/messages.md).
    """

    template_fields: Sequence[str] = BULK_TEMPLATE_FIELDS
    ui_color = "#e0f0ff"

    def __init__(
        self,
        *,
        conversation_ids: Any = None,
        search_query: Any = None,
        intercom_conn_id: str = DEFAULT_CONN_ID,
        dry_run: bool = False,
        max_concurrency: int | None = None,
        max_workers: int | None = None,
        max_requests_per_minute: float | None = None,
        ignore_not_found: bool = False,
        fail_on_error: bool = True,
        xcom_fields: Sequence[str] | None = DEFAULT_XCOM_FIELDS,
        summary: str = "auto",
        updated_ids_path: str | None = None,
        rate_limit_budget: float = DEFAULT_RATE_LIMIT_BUDGET,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        resume: bool = True,
        resend: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = f"Task {kwargs.get('task_id', '?')!r}"
        if (conversation_ids is None) == (search_query is None):
            raise IntercomValidationError(
                f"{where}: give exactly one of conversation_ids (a list or an upstream .output) or "
                "search_query (an Intercom search query)."
            )
        if max_workers is not None:
            warnings.warn(
                f"{where}: max_workers is deprecated; use max_concurrency (a ceiling on requests in flight). "
                "The engine now follows latency by itself, so most DAGs need neither.",
                DeprecationWarning,
                stacklevel=3,
            )
            if max_concurrency is None:
                max_concurrency = max_workers
        if max_concurrency is not None and (
            isinstance(max_concurrency, bool)
            or not isinstance(max_concurrency, int)
            or not 1 <= max_concurrency <= MAX_CONCURRENCY_LIMIT
        ):
            raise IntercomValidationError(
                f"{where}: max_concurrency must be an int from 1 to {MAX_CONCURRENCY_LIMIT}, or None to follow latency."
            )
        for name, value in (
            ("max_requests_per_minute", max_requests_per_minute),
            ("rate_limit_budget", rate_limit_budget),
            ("progress_interval", progress_interval),
        ):
            if value is not None:
                validate_positive_number(value, name=name, where=where)
        if xcom_fields is not None and (
            isinstance(xcom_fields, str) or not all(isinstance(key, str) for key in xcom_fields)
        ):
            raise IntercomValidationError(
                f"{where}: xcom_fields must be a list of conversation keys such as ['id', 'state'], or None."
            )
        validate_summary_mode(summary, where=where)
        self.conversation_ids = conversation_ids
        self.search_query = search_query
        self.intercom_conn_id = intercom_conn_id
        # Not ``self.dry_run``: that is BaseOperator's method (render the templates only).
        self.is_dry_run = dry_run
        self.max_concurrency = max_concurrency
        self.max_requests_per_minute = max_requests_per_minute
        self.ignore_not_found = ignore_not_found
        self.fail_on_error = fail_on_error
        self.xcom_fields = tuple(xcom_fields) if xcom_fields is not None else None
        self.summary = summary
        self.updated_ids_path = updated_ids_path
        self.rate_limit_budget = rate_limit_budget
        self.progress_interval = progress_interval
        self.resume = resume
        self.resend = resend
        self._run: BulkRun | None = None
        self._stop_event: threading.Event | None = None

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        """The request this operator sends to each conversation.

        Check the operator's own arguments first, then make the read-only lookups the action needs
        (the actor, a tag, an assignee) through ``hook``: bad input must fail before any request.

        :param hook: the task's hook.
        :param where: how messages name the task.
        """
        raise NotImplementedError

    def given_ids(self) -> Any:
        """The ids to act on as given (before validation); None for a search-driven run."""
        return self.conversation_ids

    def bind(self, request: ConversationRequest, ids: list[str] | None, where: str) -> ConversationRequest:
        """The request completed for the run's ids (per-conversation bodies); checked before any send.

        :param request: what :meth:`prepare` built.
        :param ids: the validated given ids; None for a search-driven run.
        :param where: how messages name the task.
        """
        return request

    def render_template(
        self, content: Any, context: Context, jinja_env: Any = None, seen_oids: set[int] | None = None
    ) -> Any:
        """Airflow's rendering, except that a literal ``conversation_ids`` list or tuple keeps its
        ids with no template syntax as given (:mod:`._literal_ids`); all else renders as usual.

        :param content: what to render.
        :param context: the task's context.
        :param jinja_env: the Jinja environment, if the caller has one.
        :param seen_oids: the ids of objects rendered already (Airflow's guard against cycles).
        """
        if content is self.conversation_ids and type(content) in (list, tuple):
            env = jinja_env or self.get_template_env()
            render_one = super().render_template
            return render_literal_ids(
                content, template_markers(env), lambda item: render_one(item, context, env, seen_oids)
            )
        return super().render_template(content, context, jinja_env, seen_oids)

    def execute(self, context: Context) -> dict[str, Any]:
        """Act on every given or matching conversation; return the summary.

        :param context: the Airflow task context.
        """
        try:
            return self._execute(context)
        except IntercomError as err:
            error = task_error(err)
            if error is err:
                raise  # retryable: as it is (`raise err from err` would make it its own cause)
            raise error from err

    def _execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_intercom.bulk import BulkOptions, BulkRun, write_ahead_batch
        from airflow_provider_intercom.operators._resume import open_checkpoint

        where = f"Task {self.task_id!r}"
        given_ids = self.given_ids()
        given = (
            validate_conversation_ids(given_ids, where=f"{where}: conversation_ids") if given_ids is not None else None
        )
        query = validate_search_query(self.search_query) if given is None else None
        # Created here, not in __init__: Airflow copies operators, and an Event cannot be copied.
        # Shared by the lookups, the search and the run, so that on_kill stops whichever is under way.
        self._stop_event = stop_event = threading.Event()
        hook = IntercomHook(self.intercom_conn_id, stop_event=stop_event)
        try:
            request = self.bind(self.prepare(hook, where), given, where)
            if self.is_dry_run:
                return self._dry_run(request, given if given is not None else self._search(hook, query))
            messages = request.message is not None
            checkpoint = open_checkpoint(
                context,
                enabled=self.resume,
                ids=given,
                query=query,
                body=request.identity,
                log=self.log,
                messages=messages,
                resend=self.resend,
            )
            ids = given if given is not None else checkpoint.ids
            if ids is None:
                ids = self._search(hook, query)
                checkpoint.record_ids(ids)
        finally:
            hook.close()
        run = self._run = BulkRun(
            hook.client,
            BulkOptions(
                max_concurrency=self.max_concurrency,
                max_requests_per_minute=self.max_requests_per_minute,
                ignore_not_found=self.ignore_not_found,
                xcom_fields=self.xcom_fields,
                rate_limit_budget=self.rate_limit_budget,
                progress_interval=self.progress_interval,
                summary="full" if self.summary == "full" else "auto",
            ),
            log=self.log,
            stop_event=stop_event,
        )
        try:
            summary = run.run(
                ids,
                request,
                done=checkpoint.done(len(ids)),
                on_checkpoint=checkpoint.save,
                read_below=len(ids) if checkpoint.read_all else checkpoint.read_below,
                read_after=checkpoint.read_after,
                write_ahead=checkpoint.start if messages else None,
                write_ahead_batch=write_ahead_batch(self.max_requests_per_minute),
            )
        except BaseException:
            # Interrupted (execution_timeout, a kill): still publish what was done, then re-raise.
            self._push_summary(context, run.summary)
            raise
        if self.updated_ids_path:
            from airflow_provider_intercom.operators._updated_file import write_updated_ids

            try:
                path = write_updated_ids(self.updated_ids_path, ids, run.engine.outcomes.updated_indexes(), where=where)
            except IntercomError:
                self._push_summary(context, summary)  # what was done stays visible
                raise
            summary["updated_file"] = path
            self.log.info("Wrote the %d updated ids to %s.", summary["counts"]["updated"], path)
        self._raise_for(context, run, summary, request)
        if messages:
            checkpoint.keep(bytes(run.engine.confirmed))  # clearing the task must not post them again
        else:
            checkpoint.clear()
        return summary

    def _search(self, hook: IntercomHook, query: Any) -> list[str]:
        return search_ids(hook, query, log=self.log, progress_interval=self.progress_interval)

    def _dry_run(self, request: ConversationRequest, ids: list[str]) -> dict[str, Any]:
        self.log.info(
            "Dry run: would %s %d conversations with %s %s%s; nothing was sent. First ids: %s",
            request.action,
            len(ids),
            request.method,
            request.path,
            f" {dict(request.body)}" if request.body else "",
            ", ".join(ids[:10]) or "none",
        )
        return {
            "counts": {"total": len(ids)},
            "dry_run": True,
            "action": request.action,
            "conversation_ids": ids,
        }

    def _raise_for(self, context: Context, run: BulkRun, summary: dict[str, Any], request: ConversationRequest) -> None:
        if run.fatal is not None:
            # Stopped for every id (see bulk/_breaker.py): the token, the plan, the Host, or the same
            # refusal again and again (permanent: no Airflow retry); or Intercom out of reach (retried).
            self._push_summary(context, summary)
            if run.fatal.permanent:
                raise IntercomPermanentError(run.fatal) from run.fatal
            raise run.fatal
        if run.stopped:
            # Killed (on Airflow 3.3, SIGTERM calls on_kill without raising): not a success, and
            # the checkpoint stays, so that a retry resumes.
            self._push_summary(context, summary)
            counts = summary["counts"]
            raise IntercomCancelledError(
                f"Task {self.task_id!r} was stopped after {counts['updated']} of {counts['total']} "
                f"conversations were {PAST_TENSE.get(request.action, request.action)}; the summary is in this "
                "task's XCom.",
                conn_id=self.intercom_conn_id,
                hint=failure_hint(resume=self.resume),
            )
        if summary["failed"] and self.fail_on_error:
            # Push first: downstream tasks and the UI must see what was done before the failure.
            self._push_summary(context, summary)
            # When every id failed for a reason no retry can fix (a 400 for the request itself),
            # Airflow's retries would only send the same refused requests again.
            raise task_error(self._failure(summary, request, permanent=run.retryable_failures == 0))

    def _failure(self, summary: dict[str, Any], request: ConversationRequest, *, permanent: bool) -> IntercomError:
        failed = summary["failed"]
        named = ", ".join(f"{f['id']} ({f['reason']})" for f in failed[:FAILED_IDS_IN_MESSAGE])
        more = f" and {len(failed) - FAILED_IDS_IN_MESSAGE} more" if len(failed) > FAILED_IDS_IN_MESSAGE else ""
        first = failed[0]
        return IntercomError(
            f"{len(failed)} of {summary['counts']['total']} conversations could not be "
            f"{PAST_TENSE.get(request.action, request.action)}: "
            f"{named}{more}. The summary is in this task's XCom. First error: "
            f"{first['status'] or ''} {first['code'] or first['reason']}: {first['message']}"
            + (f" (request_id={first['request_id']})" if first["request_id"] else ""),
            conn_id=self.intercom_conn_id,
            hint=_hint(failed, permanent=permanent, resume=self.resume),
            permanent=permanent,
        )

    def _push_summary(self, context: Context, summary: dict[str, Any] | None) -> None:
        if summary is not None and self.do_xcom_push:
            context["ti"].xcom_push(key="return_value", value=summary)

    def on_kill(self) -> None:
        """Stop sending: Airflow calls this when the task is killed."""
        if self._stop_event is not None:
            self._stop_event.set()  # ends a lookup or a search under way, or a run about to start
        if self._run is not None:
            self._run.stop()


def _hint(failed: list[dict[str, Any]], *, permanent: bool, resume: bool) -> str:
    if any(entry["reason"] == "unverified" for entry in failed) and permanent:
        return _UNVERIFIED_HINT
    return _PERMANENT_HINT if permanent else failure_hint(resume=resume)
