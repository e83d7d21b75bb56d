"""The bulk engine: mark many conversations read at Intercom's rate limit, in one task.

A bounded pool of threads sends the PUTs. Each thread has its own hook copy, and so its own
``requests.Session`` (sessions are not documented as thread-safe), and every request goes through
one shared :class:`~airflow_provider_intercom.ratelimit.AdaptiveRateLimiter`. Each request is the
hook's own :meth:`~airflow_provider_intercom.hooks.intercom.IntercomHook.mark_conversation_read`,
the same code path as the single-conversation operator.

Nothing is silently lost: every id ends as updated, skipped or failed, in the summary that the
operator pushes to XCom.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_intercom.exceptions import (
    IntercomAuthError,
    IntercomCancelledError,
    IntercomConfigError,
    IntercomConnectionError,
    IntercomError,
    IntercomForbiddenError,
    IntercomNotFoundError,
    IntercomRateLimitError,
    IntercomServerError,
)
from airflow_provider_intercom.ratelimit import AdaptiveRateLimiter

if TYPE_CHECKING:
    from airflow_provider_intercom.hooks.intercom import IntercomHook

#: What the summary keeps of each updated conversation by default: enough to act on downstream,
#: small enough that 50,000 of them fit in XCom.
DEFAULT_XCOM_FIELDS: tuple[str, ...] = ("id", "read", "state", "updated_at")
#: Enough threads to reach Intercom's 167 calls/s at ~100 ms per call, with headroom.
DEFAULT_MAX_WORKERS = 20
MAX_WORKERS_LIMIT = 64


class _Log(Protocol):
    def info(self, event: Any, *args: Any) -> Any: ...


# An outcome is ("updated", trimmed conversation) | ("skipped", entry) | ("failed", entry).
Outcome = tuple[str, dict[str, Any]]


def failure_reason(error: IntercomError) -> str:
    """A short machine-readable reason for a failed id.

    :param error: what marking the id raised.
    """
    if isinstance(error, IntercomRateLimitError):
        return "rate_limited"
    if isinstance(error, IntercomNotFoundError):
        return "not_found"
    if isinstance(error, IntercomCancelledError):
        return "cancelled"
    if isinstance(error, IntercomConnectionError):
        return "network"
    if isinstance(error, IntercomServerError):
        return "server_error"
    return error.code or "error"


def _entry(conversation_id: str, error: IntercomError | None) -> dict[str, Any]:
    if error is None:  # never sent: the run was stopped first
        return {
            "id": conversation_id,
            "reason": "cancelled",
            "status": None,
            "code": None,
            "message": "not sent: the run was stopped first",
            "request_id": None,
        }
    # Intercom's own message, without the hint: 50,000 copies of the same advice would bloat XCom.
    return {
        "id": conversation_id,
        "reason": failure_reason(error),
        "status": error.status,
        "code": error.code,
        "message": error.message,
        "request_id": error.request_id,
    }


def _trim(conversation: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    if fields is None:
        return conversation
    return {key: conversation.get(key) for key in fields}


class BulkMarkRead:
    """One bulk run. Build it, then call :meth:`run`; :meth:`stop` may be called from any thread.

    :param hook: the hook whose connection and retry policy the workers copy.
    :param max_workers: threads sending requests at once.
    :param max_requests_per_minute: optional ceiling below Intercom's limit.
    :param ignore_not_found: count a 404 as skipped instead of failed.
    :param xcom_fields: keys kept of each updated conversation; None keeps whole objects.
    :param rate_limit_budget: seconds one id may spend waiting out 429s before it fails as
        ``rate_limited``.
    :param progress_interval: seconds between progress lines in the task log.
    :param log: where progress goes.
    :param stop_event: an event that stops the run when set (see :meth:`stop`).
    """

    def __init__(
        self,
        hook: IntercomHook,
        *,
        max_workers: int = DEFAULT_MAX_WORKERS,
        max_requests_per_minute: float | None = None,
        ignore_not_found: bool = False,
        xcom_fields: Sequence[str] | None = DEFAULT_XCOM_FIELDS,
        rate_limit_budget: float = 300.0,
        progress_interval: float = 10.0,
        log: _Log | None = None,
        stop_event: threading.Event | None = None,
    ) -> None:
        self._hook = hook
        self._max_workers = max_workers
        self._ignore_not_found = ignore_not_found
        self._xcom_fields = tuple(xcom_fields) if xcom_fields is not None else None
        self._rate_limit_budget = rate_limit_budget
        self._progress_interval = progress_interval
        self._log: _Log = log or logging.getLogger(__name__)
        self._stop_event = stop_event or threading.Event()
        self.limiter = AdaptiveRateLimiter(max_requests_per_minute=max_requests_per_minute)
        #: The summary of the last run, kept even when the run was interrupted.
        self.summary: dict[str, Any] | None = None

    def stop(self) -> None:
        """Stop promptly: no new request is sent; requests already on the wire finish."""
        self._stop_event.set()

    def run(self, conversation_ids: Sequence[str]) -> dict[str, Any]:
        """Mark every id read; return the summary (the operator's XCom).

        :param conversation_ids: validated, de-duplicated ids.
        :return: ``{"updated": [...], "skipped": [...], "failed": [...], "counts": {...}}``, with
            ``updated`` in input order.
        """
        total = len(conversation_ids)
        outcomes: list[Outcome | None] = [None] * total
        hooks: list[IntercomHook] = []
        local = threading.local()
        # Waiting out 429s is bounded by time alone: under a shared, busy app budget the count of
        # 429s says little, while the time spent is what delays the run.
        policy = replace(
            self._hook.retry_policy,
            max_rate_limit_retries=1_000_000,
            max_rate_limit_time=max(self._rate_limit_budget, 0.0),
        )
        hooks_lock = threading.Lock()

        def worker_hook() -> IntercomHook:
            hook: IntercomHook | None = getattr(local, "hook", None)
            if hook is None:
                hook = self._hook.worker_copy(
                    rate_limiter=self.limiter, stop_event=self._stop_event, retry_policy=policy
                )
                local.hook = hook
                with hooks_lock:
                    hooks.append(hook)
            return hook

        def mark(index: int) -> None:
            cid = conversation_ids[index]
            try:
                conversation = worker_hook().mark_conversation_read(cid)
            except IntercomNotFoundError as err:
                outcomes[index] = ("skipped" if self._ignore_not_found else "failed", _entry(cid, err))
            except (IntercomAuthError, IntercomForbiddenError, IntercomConfigError) as err:
                # The token or the plan is wrong for every id alike: stop, rather than send
                # thousands of requests that cannot succeed. The rest are listed as cancelled.
                outcomes[index] = ("failed", _entry(cid, err))
                self._stop_event.set()
            except IntercomError as err:
                outcomes[index] = ("failed", _entry(cid, err))
            else:
                outcomes[index] = ("updated", _trim(conversation, self._xcom_fields))

        started = time.monotonic()
        try:
            self._run_pool(total, mark, started)
        finally:
            # Also when Airflow interrupts the task (execution_timeout raises in this thread): the
            # operator can still push what was done.
            for hook in hooks:
                hook.close()
            self.summary = self._summary(conversation_ids, outcomes, time.monotonic() - started)
        return self.summary

    def _run_pool(self, total: int, mark: Callable[[int], None], started: float) -> None:
        # Submitting lazily keeps memory flat: at most a few futures per worker exist at a time.
        window = self._max_workers * 2
        next_index = 0
        pending: set[Future[None]] = set()
        done = 0
        next_progress = started + self._progress_interval
        executor = ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="intercom-bulk")
        try:
            while next_index < total or pending:
                while next_index < total and len(pending) < window and not self._stop_event.is_set():
                    pending.add(executor.submit(mark, next_index))
                    next_index += 1
                if self._stop_event.is_set() and not pending:
                    break
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()  # a bug in a worker must fail the task, not vanish
                done += len(finished)
                now = time.monotonic()
                if now >= next_progress:
                    self._log_progress(done, total, now - started)
                    next_progress = now + self._progress_interval
        finally:
            # Reached on success, on stop() and when Airflow interrupts the task (execution_timeout
            # raises in this thread): queued work is dropped and workers see the stop event.
            if next_index < total or pending:
                self._stop_event.set()
            executor.shutdown(wait=True, cancel_futures=True)

    def _log_progress(self, done: int, total: int, elapsed: float) -> None:
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else float("inf")
        self._log.info(
            "Intercom bulk mark-read: %d/%d done (%.0f%%), %.1f/s, %d rate-limited (429) answers, ETA %s",
            done,
            total,
            100.0 * done / total if total else 100.0,
            rate,
            self.limiter.rate_limited,
            f"{eta:.0f}s" if eta != float("inf") else "unknown",
        )

    def _summary(
        self, conversation_ids: Sequence[str], outcomes: list[Outcome | None], elapsed: float
    ) -> dict[str, Any]:
        updated: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        buckets = {"updated": updated, "skipped": skipped, "failed": failed}
        for cid, outcome in zip(conversation_ids, outcomes, strict=True):
            if outcome is None:
                failed.append(_entry(cid, None))
            else:
                buckets[outcome[0]].append(outcome[1])
        counts = {
            "total": len(conversation_ids),
            "updated": len(updated),
            "skipped": len(skipped),
            "failed": len(failed),
            "requests": self.limiter.sent,
            "rate_limited_responses": self.limiter.rate_limited,
            "elapsed_seconds": round(elapsed, 3),
        }
        self._log.info(
            "Intercom bulk mark-read finished: %d updated, %d skipped, %d failed of %d in %.1fs "
            "(%d requests, %d rate-limited answers).",
            counts["updated"],
            counts["skipped"],
            counts["failed"],
            counts["total"],
            elapsed,
            counts["requests"],
            counts["rate_limited_responses"],
        )
        return {"updated": updated, "skipped": skipped, "failed": failed, "counts": counts}
