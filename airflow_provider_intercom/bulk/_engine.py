"""The asyncio bulk engine: one request sent to many conversations at Intercom's rate limit.

Every per-conversation request of the provider goes through it, as a
:class:`~airflow_provider_intercom.client._actions.ConversationRequest`. One dispatcher coroutine
decides when the next request goes out: the rate-limit budget
(:class:`~airflow_provider_intercom.client._ratelimit.RateLimitState`) paces sends, and the
concurrency target (:func:`~._concurrency.target_concurrency`) keeps enough in flight to use it
whatever the latency. A failed request is judged by the client's pure decisions
(:mod:`~airflow_provider_intercom.client._retry`) and queued for its retry time; a message whose
fate is unknown is read back first (:mod:`._readback`). State is touched from the event loop only;
:mod:`._runner` runs the engine in a thread and reads its counters.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom.bulk._bitmap import indexes
from airflow_provider_intercom.bulk._breaker import CircuitBreaker
from airflow_provider_intercom.bulk._concurrency import LatencyEstimator, allowed_rate, target_concurrency
from airflow_provider_intercom.bulk._job import Job
from airflow_provider_intercom.bulk._options import BulkOptions
from airflow_provider_intercom.bulk._outcomes import Outcomes
from airflow_provider_intercom.bulk._readback import READS_AFTER_AMBIGUOUS, after_read, first_read_at
from airflow_provider_intercom.bulk._summary import cancelled_in_flight, error_entry, stopped_waiting, trim, unverified
from airflow_provider_intercom.bulk._waker import Waker
from airflow_provider_intercom.client._error import IntercomError
from airflow_provider_intercom.client._message import find_part, is_ambiguous, is_conversation
from airflow_provider_intercom.client._ratelimit import RateLimitState
from airflow_provider_intercom.client._ratelimit_headers import WarningLogger
from airflow_provider_intercom.client._responses import not_the_conversation, parse_response
from airflow_provider_intercom.client._retry import RetryPolicy, retry_delay, should_retry
from airflow_provider_intercom.client.facts import FULL_SUMMARY_BYTES, MAX_CONCURRENCY_LIMIT, READ_BACK_GAP_SECONDS

if TYPE_CHECKING:
    from airflow_provider_intercom.client import IntercomClient
    from airflow_provider_intercom.client._actions import ConversationRequest
    from airflow_provider_intercom.client._aiohttp_client import AiohttpTransport

#: Longest single wait of the dispatcher, so that progress and stops are seen promptly.
_MAX_IDLE = 0.25


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
        #: The most requests in flight at once.
        self.cap = options.max_concurrency or MAX_CONCURRENCY_LIMIT
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
        #: What happened to each id (a byte per success; an entry per failure or skip).
        self.outcomes = Outcomes(())
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
        self._waker = Waker()
        self._tasks: set[asyncio.Task[None]] = set()
        self._retries: list[tuple[float, int, Job]] = []
        self._seq = 0
        #: Messages: how many conversations were read back.
        self.read_backs = 0
        #: Write-ahead (messages, durable runs): ids at or past this index are not sent until
        #: :meth:`release` moves it on; None sends without waiting.
        self.released: int | None = None
        #: The index of the next id that has not been sent yet (for the write-ahead record).
        self.wanted = 0
        self._read_below = 0
        self._read_after = 0.0

    @property
    def confirmed(self) -> bytearray:
        """One byte per id: 1 once Intercom confirmed it (or an earlier try did)."""
        return self.outcomes.confirmed

    @property
    def in_flight(self) -> int:
        """Requests on the wire now."""
        return self.state.in_flight

    def release(self, upto: int) -> None:
        """Allow sends to ids whose index is below ``upto`` (recorded as started). Call from the loop."""
        self.released = max(self.released or 0, upto)
        self._waker.wake()

    def stop(self) -> None:
        """Send nothing more; requests on the wire are cancelled. Call from the engine's loop."""
        self._stopped = True
        self._waker.wake()

    async def run(
        self,
        conversation_ids: Sequence[str],
        request: ConversationRequest,
        done: bytes | bytearray | Collection[int] = b"",
        *,
        read_below: int = 0,
        read_after: float = 0.0,
    ) -> None:
        """Send ``request`` to every id not in ``done``; outcomes land in :attr:`outcomes`.

        :param conversation_ids: validated, de-duplicated ids.
        :param request: what to send to each id.
        :param done: what an earlier try confirmed: a :class:`~._bitmap.Bitmap`
            (:func:`~._checkpoint.decode_done`), one byte per id, or indexes; listed as resumed, not sent.
        :param read_below: messages: ids with a lower index may have been sent by an earlier try,
            and are read back before their send.
        :param read_after: UNIX seconds from which an earlier try may have sent them.
        """
        self._read_below, self._read_after = (read_below, read_after) if request.message is not None else (0, 0.0)
        budget = None if self._options.summary == "full" else FULL_SUMMARY_BYTES
        outcomes = self.outcomes = Outcomes(conversation_ids, done, budget=budget)
        self.finished = outcomes.resumed
        todo = indexes(outcomes.confirmed, 0)
        transport = self._client.async_transport(max_connections=self.cap)
        try:
            await self._dispatch(conversation_ids, request, transport, todo)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await transport.close()
            for _, _, job in self._retries:
                if not outcomes.settled(job.index) and (job.reads or job.last_error is not None):
                    left = stopped_waiting(conversation_ids[job.index], job.last_error, reading_back=job.reads > 0)
                    outcomes.ended(job.index, "failed", left)

    async def _dispatch(
        self, ids: Sequence[str], request: ConversationRequest, transport: AiohttpTransport, todo: Any
    ) -> None:
        upcoming: Job | None = None
        while not self._stopped:
            now = self._clock()
            if upcoming is None:
                upcoming = self._next_job(todo, len(ids))
            retry_ready = bool(self._retries) and self._retries[0][0] <= now
            # Until Intercom has answered once, one id at a time, retries included: a bad token, a
            # plan restriction or an unreachable host then costs one id's attempts, not a burst.
            probing = self.answered == 0 and bool(self._retries or self._tasks)
            # Write-ahead: a message to an id whose start is not recorded yet waits for the record.
            held = upcoming is not None and self.released is not None and upcoming.index >= self.released
            if not retry_ready and (upcoming is None or probing or held):
                if upcoming is None and not self._retries and not self._tasks:
                    return
                until = self._retries[0][0] - now if self._retries else _MAX_IDLE
                await self._waker.wait(min(until, _MAX_IDLE), for_answers=True)
                continue
            target = target_concurrency(
                rate=allowed_rate(self.state.limit, self._options.max_requests_per_minute, self.state.window),
                latency=self.latency.mean,
                answered=self.answered,
                cap=self.cap,
            )
            if self.state.in_flight >= target:
                await self._waker.wait(_MAX_IDLE, for_answers=True)
                continue
            delay = self.state.send_delay(self._wall_clock())
            if delay > 0:
                # Waking the slack apart, the sends that fell due meanwhile go out together; see ._loop.
                await self._waker.wait(min(max(delay, self.state.slack), _MAX_IDLE), for_answers=False)
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

    def _next_job(self, todo: Any, total: int) -> Job | None:
        index = next(todo, None)
        self.wanted = total if index is None else index
        if index is None:
            return None
        if index < self._read_below:
            return Job(index, 1, None, reads=1, sent_after=self._read_after)
        return Job(index, 1, None)

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
        self, job: Job, seq: int, cid: str, request: ConversationRequest, transport: AiohttpTransport
    ) -> None:
        if job.reads:
            try:
                await self._read_back(job, seq, cid, request, transport)
            except asyncio.CancelledError:
                self.outcomes.ended(job.index, "failed", cancelled_in_flight(cid))
                raise
            return
        info = self._client.request_info(request.method, request.path_for(cid), idempotent=request.idempotent)
        started, sent_at = self._clock(), self._wall_clock()
        if job.first_sent is None:
            job = replace(job, first_sent=started)
        if request.message is not None and (job.sent_after is None or job.created_at is None):
            stamp = int(sent_at) if request.message.stamp_created_at and job.created_at is None else job.created_at
            job = replace(job, sent_after=sent_at if job.sent_after is None else job.sent_after, created_at=stamp)
        status: int | None = None
        headers = None
        recorded = False
        try:
            status, headers, content = await transport.send(info, body=request.payload(cid, created_at=job.created_at))
            self.latency.observe(self._clock() - started)
            self.state.on_answer(headers, status, seq, sent_at, now=self._wall_clock())
            recorded = True
            self.answered += 1
            answer = parse_response(status, headers, content, info)
            if request.message is not None and not is_conversation(answer, cid):
                raise not_the_conversation(status, info, cid)
        except IntercomError as err:
            if not recorded:
                self.state.on_answer(headers, status, seq, sent_at, now=self._wall_clock())
                recorded = True
            reason = request.already_done.get(err.code or "") if err.status is not None else None
            if request.message is not None and is_ambiguous(err) and not self._stopped:
                # The message may have been posted: find out before sending it again.
                read_at = first_read_at(started, info.timeout, self._clock())
                self._schedule(replace(job, last_error=err, reads=READS_AFTER_AMBIGUOUS, read_failures=0), read_at)
            elif reason is not None:
                # The action is already in effect (untagging an untagged conversation): done.
                self._finish(job.index, "skipped", {**error_entry(cid, err), "reason": reason}, confirmed=True)
            else:
                self._failed(job, cid, err)
        except asyncio.CancelledError:
            # Stopped while on the wire: it may have been applied, so it is not confirmed.
            self.outcomes.ended(job.index, "failed", cancelled_in_flight(cid))
            raise
        else:
            # An entry only while the summary will list each id: past that, a success costs a byte.
            self.outcomes.updated(job.index, self._entry(cid, answer, request) if self.outcomes.keeping else None)
            self.finished += 1
            self.breaker.record(None)
        finally:
            if not recorded:
                self.state.on_answer(None, None, seq, sent_at, now=self._wall_clock())

    async def _read_back(
        self, job: Job, seq: int, cid: str, request: ConversationRequest, transport: AiohttpTransport
    ) -> None:
        """Read the conversation back and look for the message; then send, read again, or finish."""
        assert request.message is not None
        assert job.sent_after is not None
        info = self._client.request_info("GET", f"/conversations/{cid}")
        started, sent_at = self._clock(), self._wall_clock()
        self.read_backs += 1
        status: int | None = None
        headers = None
        try:
            status, headers, content = await transport.send(info, body=None)
            self.latency.observe(self._clock() - started)
            self.answered += 1
            answer = parse_response(status, headers, content, info)
            if not is_conversation(answer, cid):
                raise not_the_conversation(status, info, cid)
        except IntercomError as err:
            self._read_failed(job, cid, err)
            return
        finally:
            self.state.on_answer(headers, status, seq, sent_at, now=self._wall_clock())
        found = find_part(answer, request.message, request.text_for(cid), sent_after=job.sent_after)
        step = after_read(found, job.reads)
        if step == "posted":
            self.outcomes.updated(job.index, {"id": cid, "verified": True}, verified=True)
            self.finished += 1
            self.breaker.record(None)
        elif step == "unverified":
            self._finish(job.index, "failed", unverified(cid, "more than 500 newer parts hide the older ones"))
        elif step == "read_again":
            self._schedule(replace(job, reads=job.reads - 1, read_failures=0), self._clock() + READ_BACK_GAP_SECONDS)
        elif job.attempt > self._policy.max_retries and job.last_error is not None:
            # Not posted, and out of attempts: fail with what the last send met.
            self._finish(job.index, "failed", error_entry(cid, job.last_error))
            self.retryable_failures += 1
        else:
            attempt = job.attempt + 1 if job.last_error is not None else job.attempt
            self._schedule(replace(job, reads=0, attempt=attempt), self._clock())

    def _read_failed(self, job: Job, cid: str, err: IntercomError) -> None:
        if err.status == 404 and err.scope == "id":  # the conversation is gone
            self._finish(job.index, "skipped" if self._options.ignore_not_found else "failed", error_entry(cid, err))
            return
        failures = job.read_failures + 1
        delay = self._delay(err, failures)
        elapsed = self._clock() - (job.first_sent if job.first_sent is not None else self._clock())
        if not self._stopped and should_retry(err, attempt=failures, elapsed=elapsed, delay=delay, policy=self._policy):
            self._schedule(replace(job, read_failures=failures), self._clock() + delay)
            return
        self._finish(job.index, "failed", unverified(cid, f"reading the conversation back failed: {err.message}", err))
        self.retryable_failures += not err.permanent

    def _delay(self, err: IntercomError, attempt: int) -> float:
        return retry_delay(
            attempt, policy=self._policy, rand=self._rand(), now=self._wall_clock(), rate_limited=err.status == 429,
            reset_at=err.reset_at, window=self.state.window,
        )  # fmt: skip

    def _schedule(self, job: Job, at: float) -> None:
        self._seq += 1
        heapq.heappush(self._retries, (at, self._seq, job))

    def _entry(self, cid: str, answer: dict[str, Any], request: ConversationRequest) -> dict[str, Any]:
        if request.answer == "tag":
            # The answer is the tag: the entry names the conversation, and which tag.
            return {"id": cid, "tag_id": answer.get("id")}
        # The id always: updated_ids() and users find the conversation by it, whatever xcom_fields keeps.
        return {"id": cid, **trim(answer, self._options.xcom_fields)}

    def _failed(self, job: Job, cid: str, err: IntercomError) -> None:
        assert job.first_sent is not None
        elapsed = self._clock() - job.first_sent
        delay = self._delay(err, job.attempt)
        retry = should_retry(err, attempt=job.attempt, elapsed=elapsed, delay=delay, policy=self._policy)
        if retry and not self._stopped:
            self._schedule(replace(job, attempt=job.attempt + 1, last_error=err), self._clock() + delay)
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

    def _finish(self, index: int, kind: str, entry: dict[str, Any], *, confirmed: bool = False) -> None:
        self.outcomes.ended(index, kind, entry, confirmed=confirmed)
        self.finished += 1
