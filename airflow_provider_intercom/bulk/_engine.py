"""The asyncio bulk engine: one request sent to many conversations at Intercom's rate limit.

Every per-conversation write of the provider goes through it: the request (method, path, body)
is a :class:`~airflow_provider_intercom.client._actions.ConversationRequest`, the same for every id.

One dispatcher coroutine decides when the next request goes out: the rate-limit budget
(:class:`~airflow_provider_intercom.client._ratelimit.RateLimitState`, fed by the
``X-RateLimit-*`` headers) paces sends, and the concurrency target
(:func:`~._concurrency.target_concurrency`, following measured latency) keeps enough requests in
flight to use that budget whatever the latency. Each request is its own task; a failed one is
judged by the same pure decisions as the sync client (:mod:`~airflow_provider_intercom.client._retry`)
and, if it may be retried, queued for its retry time. The engine touches its state from the event
loop only; :mod:`._runner` runs it in a thread and reads its counters.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom.bulk._breaker import CircuitBreaker
from airflow_provider_intercom.bulk._concurrency import LatencyEstimator, allowed_rate, target_concurrency
from airflow_provider_intercom.bulk._summary import Outcome, error_entry, trim
from airflow_provider_intercom.client._error import IntercomError
from airflow_provider_intercom.client._ratelimit import RateLimitState
from airflow_provider_intercom.client._ratelimit_headers import WarningLogger
from airflow_provider_intercom.client._responses import parse_response
from airflow_provider_intercom.client._retry import RetryPolicy, retry_delay, should_retry
from airflow_provider_intercom.client._validation import validate_positive_number
from airflow_provider_intercom.client.facts import (
    DEFAULT_PROGRESS_INTERVAL,
    DEFAULT_RATE_LIMIT_BUDGET,
    DEFAULT_XCOM_FIELDS,
    MAX_CONCURRENCY_LIMIT,
    RATE_LIMIT_WINDOW_SECONDS,
)

if TYPE_CHECKING:
    from airflow_provider_intercom.client import IntercomClient
    from airflow_provider_intercom.client._actions import ConversationRequest
    from airflow_provider_intercom.client._aiohttp_client import AiohttpTransport

#: Longest single wait of the dispatcher, so that progress and stops are seen promptly.
_MAX_IDLE = 0.25
#: Shortest wait for a send time; see :data:`~airflow_provider_intercom.client._ratelimit.PACING_SLACK`.
_MIN_PACING_WAIT = 0.01


@dataclass(frozen=True)
class BulkOptions:
    """How a bulk run behaves.

    :param max_concurrency: requests in flight at most; None lets latency decide, up to
        :data:`~airflow_provider_intercom.client.facts.MAX_CONCURRENCY_LIMIT`.
    :param max_requests_per_minute: an optional ceiling below Intercom's limit.
    :param ignore_not_found: count a missing conversation (404 ``not_found``) as skipped instead of failed.
    :param xcom_fields: keys kept of each updated conversation; None keeps whole objects.
    :param rate_limit_budget: seconds one id may spend waiting out 429s before it fails.
    :param progress_interval: seconds between progress lines.
    :param rate_limit_window: the rate-limit window's length in seconds: Intercom's documented
        one; only a test server with shorter windows needs another.
    """

    max_concurrency: int | None = None
    max_requests_per_minute: float | None = None
    ignore_not_found: bool = False
    xcom_fields: tuple[str, ...] | None = DEFAULT_XCOM_FIELDS
    rate_limit_budget: float = DEFAULT_RATE_LIMIT_BUDGET
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL
    rate_limit_window: float = RATE_LIMIT_WINDOW_SECONDS

    def __post_init__(self) -> None:
        if self.max_requests_per_minute is not None:
            validate_positive_number(self.max_requests_per_minute, name="max_requests_per_minute", where="BulkOptions")
        validate_positive_number(self.progress_interval, name="progress_interval", where="BulkOptions")


@dataclass(frozen=True)
class _Job:
    index: int
    attempt: int
    first_sent: float | None
    last_error: IntercomError | None = None


class _Waker:
    """Wakes the dispatcher after a timeout, on a stop, or (if it asked) when an answer arrives.

    A dispatcher that only waits for the next send time does not need each answer: waking it for
    every one would double the event loop's work per request.
    """

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None
        self._for_answers = False

    async def wait(self, timeout: float, *, for_answers: bool) -> None:
        loop = asyncio.get_running_loop()
        self._for_answers = for_answers
        future = self._future = loop.create_future()
        handle = loop.call_later(max(timeout, 0.0), self.wake)
        try:
            await future
        finally:
            handle.cancel()

    def wake(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(None)

    def answer_arrived(self) -> None:
        if self._for_answers:
            self.wake()


class AsyncBulkEngine:
    """One bulk run. Call :meth:`run` in an event loop; :meth:`stop` from the same loop.

    :param client: the client whose settings, retry policy and connection name the run uses.
    :param options: how the run behaves.
    :param clock: monotonic seconds (latency, retry budgets).
    :param wall_clock: UNIX seconds (compared with ``X-RateLimit-Reset``).
    :param rand: jitter source in ``[0, 1)``.
    :param logger: where unusable rate-limit headers are reported, once per kind.
    """

    def __init__(
        self,
        client: IntercomClient,
        options: BulkOptions,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        logger: WarningLogger | None = None,
    ) -> None:
        self._client = client
        self._options = options
        self._cap = options.max_concurrency or MAX_CONCURRENCY_LIMIT
        # Waiting out 429s is bounded by time alone: under a shared, busy app budget the count of
        # 429s says little, while the time spent is what delays the run.
        self._policy: RetryPolicy = replace(
            client.retry_policy,
            max_rate_limit_retries=1_000_000,
            max_rate_limit_time=max(options.rate_limit_budget, 0.0),
        )
        self._clock, self._wall_clock, self._rand = clock, wall_clock, rand
        self.state = RateLimitState(
            max_requests_per_minute=options.max_requests_per_minute, window=options.rate_limit_window, logger=logger
        )
        self.latency = LatencyEstimator()
        self.outcomes: list[Outcome | None] = []
        #: One byte per id: 1 once Intercom confirmed it (or an earlier try did).
        self.confirmed = bytearray()
        self.finished = 0
        self.answered = 0
        #: The error that stopped the run for every id (see :mod:`._breaker`), if any.
        self.fatal: IntercomError | None = None
        #: Decides from each id's outcome whether the run stops.
        self.breaker = CircuitBreaker()
        #: Ids that failed with an error a later try of the task might fix: 5xx, 429s, the network.
        #: The others failed with one that no retry can fix (400, 422, a missing conversation's 404:
        #: the errors' ``permanent``, which the single operator reads too).
        self.retryable_failures = 0
        #: An unexpected exception in a request task (a bug); :meth:`run` re-raises it.
        self.bug: BaseException | None = None
        self._stopped = False
        self._waker = _Waker()
        self._tasks: set[asyncio.Task[None]] = set()
        self._retries: list[tuple[float, int, _Job]] = []
        self._seq = 0

    @property
    def in_flight(self) -> int:
        """Requests on the wire now."""
        return self.state.in_flight

    def stop(self) -> None:
        """Send nothing more; requests on the wire are cancelled. Call from the engine's loop."""
        self._stopped = True
        self._waker.wake()

    async def run(
        self, conversation_ids: Sequence[str], request: ConversationRequest, done: Collection[int] = ()
    ) -> None:
        """Send ``request`` to every id not in ``done``; outcomes land in :attr:`outcomes`.

        :param conversation_ids: validated, de-duplicated ids.
        :param request: what to send to each id.
        :param done: indexes confirmed by an earlier try; listed as resumed, not sent.
        """
        total = len(conversation_ids)
        self.outcomes = [None] * total
        self.confirmed = bytearray(total)
        for index in done:
            self.outcomes[index] = ("updated", {"id": conversation_ids[index], "resumed": True})
            self.confirmed[index] = 1
        self.finished = len(done)
        todo = (index for index in range(total) if not self.confirmed[index])
        transport = self._client.async_transport(max_connections=self._cap)
        try:
            await self._dispatch(conversation_ids, request, transport, todo)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await transport.close()
            for _, _, job in self._retries:
                if job.last_error is not None and self.outcomes[job.index] is None:
                    self.outcomes[job.index] = ("failed", _stopped_waiting(conversation_ids[job.index], job.last_error))

    async def _dispatch(
        self, ids: Sequence[str], request: ConversationRequest, transport: AiohttpTransport, todo: Any
    ) -> None:
        upcoming: _Job | None = None
        while not self._stopped:
            now = self._clock()
            if upcoming is None:
                index = next(todo, None)
                upcoming = _Job(index, 1, None) if index is not None else None
            retry_ready = bool(self._retries) and self._retries[0][0] <= now
            # Until Intercom has answered once, one id at a time, retries included: a bad token, a
            # plan restriction or an unreachable host then costs one id's attempts, not a burst.
            probing = self.answered == 0 and bool(self._retries or self._tasks)
            if not retry_ready and (upcoming is None or probing):
                if upcoming is None and not self._retries and not self._tasks:
                    return
                until = self._retries[0][0] - now if self._retries else _MAX_IDLE
                await self._waker.wait(min(until, _MAX_IDLE), for_answers=True)
                continue
            target = target_concurrency(
                rate=allowed_rate(self.state.limit, self._options.max_requests_per_minute, self.state.window),
                latency=self.latency.mean,
                answered=self.answered,
                cap=self._cap,
            )
            if self.state.in_flight >= target:
                await self._waker.wait(_MAX_IDLE, for_answers=True)
                continue
            delay = self.state.send_delay(self._wall_clock())
            if delay > 0:
                # Waking at least _MIN_PACING_WAIT apart lets the sends that fell due meanwhile go
                # out together (the limiter keeps their average rate), for less event-loop work.
                await self._waker.wait(min(max(delay, _MIN_PACING_WAIT), _MAX_IDLE), for_answers=False)
                continue
            if retry_ready:
                job = heapq.heappop(self._retries)[2]
            else:
                assert upcoming is not None
                job, upcoming = upcoming, None
            seq = self.state.on_send(self._wall_clock())
            task = asyncio.ensure_future(self._attempt(job, seq, ids[job.index], request, transport))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)
        if self.bug is not None:
            raise self.bug

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # A bug, not an Intercom error: it must fail the task, not vanish with the task object.
            self.bug = self.bug or task.exception()
            self.stop()
        # A freed slot, or the end of the run once no task is left: tell the dispatcher now, not
        # at its next timeout, if it is waiting for answers.
        self._waker.answer_arrived()

    async def _attempt(
        self, job: _Job, seq: int, cid: str, request: ConversationRequest, transport: AiohttpTransport
    ) -> None:
        info = self._client.request_info(request.method, request.path_for(cid), idempotent=request.idempotent)
        started, sent_at = self._clock(), self._wall_clock()
        job = job if job.first_sent is not None else replace(job, first_sent=started)
        status: int | None = None
        headers = None
        recorded = False
        try:
            status, headers, content = await transport.send(info, body=request.encoded)
            self.latency.observe(self._clock() - started)
            self.state.on_answer(headers, status, seq, sent_at, now=self._wall_clock())
            recorded = True
            self.answered += 1
            answer = parse_response(status, headers, content, info)
        except IntercomError as err:
            if not recorded:
                self.state.on_answer(headers, status, seq, sent_at, now=self._wall_clock())
                recorded = True
            reason = request.already_done.get(err.code or "") if err.status is not None else None
            if reason is not None:
                # The action is already in effect (untagging an untagged conversation): done.
                self._finish(job.index, "skipped", {**error_entry(cid, err), "reason": reason})
                self.confirmed[job.index] = 1
            else:
                self._failed(job, cid, err)
        except asyncio.CancelledError:
            # Stopped while on the wire: it may have been applied, so it is not confirmed.
            self.outcomes[job.index] = ("failed", _cancelled_in_flight(cid))
            raise
        else:
            self.outcomes[job.index] = ("updated", self._entry(cid, answer, request))
            self.confirmed[job.index] = 1
            self.finished += 1
            self.breaker.record(None)
        finally:
            if not recorded:
                self.state.on_answer(None, None, seq, sent_at, now=self._wall_clock())

    def _entry(self, cid: str, answer: dict[str, Any], request: ConversationRequest) -> dict[str, Any]:
        if request.answer == "tag":
            # The answer is the tag: the entry names the conversation, and which tag.
            return {"id": cid, "tag_id": answer.get("id")}
        return trim(answer, self._options.xcom_fields)

    def _failed(self, job: _Job, cid: str, err: IntercomError) -> None:
        assert job.first_sent is not None
        elapsed = self._clock() - job.first_sent
        delay = retry_delay(
            job.attempt,
            policy=self._policy,
            rand=self._rand(),
            now=self._wall_clock(),
            rate_limited=err.status == 429,
            reset_at=err.reset_at,
            window=self.state.window,
        )
        retry = should_retry(err, attempt=job.attempt, elapsed=elapsed, delay=delay, policy=self._policy)
        if retry and not self._stopped:
            self._seq += 1
            retry_job = replace(job, attempt=job.attempt + 1, last_error=err)
            heapq.heappush(self._retries, (self._clock() + delay, self._seq, retry_job))
            return
        final = err.after_attempts(job.attempt, elapsed) if job.attempt > 1 else err
        if self._options.ignore_not_found and final.status == 404 and final.scope == "id":
            self._finish(job.index, "skipped", error_entry(cid, final))
        else:
            self._finish(job.index, "failed", error_entry(cid, final))
            self.retryable_failures += not final.permanent
        stop = self.breaker.record(final)
        if stop is None and final.status is None and self.answered == 0:
            # Not one answer yet, and the first request gave up on the network: Intercom cannot
            # be reached (DNS, proxy), and every other id would wait the same way.
            stop = final
        if stop is not None:
            # The rest would fail alike: stop rather than send thousands of requests that cannot
            # succeed. They are listed as cancelled.
            self.fatal = self.fatal or stop
            self.stop()

    def _finish(self, index: int, kind: str, entry: dict[str, Any]) -> None:
        self.outcomes[index] = (kind, entry)
        self.finished += 1


def _stopped_waiting(cid: str, error: IntercomError) -> dict[str, Any]:
    # Sent before, and failed: it may have been applied (a 5xx, a timeout), so it is not confirmed.
    entry = error_entry(cid, error)
    entry.update(reason="cancelled", message=f"the run was stopped while waiting to retry after: {error.message}")
    return entry


def _cancelled_in_flight(cid: str) -> dict[str, Any]:
    return {
        "id": cid,
        "reason": "cancelled",
        "status": None,
        "code": None,
        "message": "the run was stopped while this update was on the wire; it may have been applied",
        "request_id": None,
    }
