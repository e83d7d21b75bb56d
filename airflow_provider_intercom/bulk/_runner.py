"""Runs the async engine in a thread of its own, so that Airflow's stops reach it.

Airflow's ``execution_timeout`` is a SIGALRM that raises ``AirflowTaskTimeout`` (a
``BaseException``) in the main thread. Raised inside a coroutine, asyncio would store it on that
task instead of stopping the run. So the event loop runs in a worker thread, the main thread
waits on it in short joins (where the signal can land), and any stop -- a timeout, ``on_kill``,
SIGTERM -- is forwarded into the loop with ``call_soon_threadsafe``. Progress lines and
checkpoints are written from the main thread too, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any, Protocol

from airflow_provider_intercom.bulk._concurrency import allowed_rate, wake_interval
from airflow_provider_intercom.bulk._engine import AsyncBulkEngine
from airflow_provider_intercom.bulk._loop import heap_frozen, paced_event_loop
from airflow_provider_intercom.bulk._options import BulkOptions
from airflow_provider_intercom.bulk._outcomes import Outcomes
from airflow_provider_intercom.bulk._summary import build_summary, progress_line
from airflow_provider_intercom.client._actions import ConversationRequest
from airflow_provider_intercom.client._error import IntercomError
from airflow_provider_intercom.client.facts import WRITE_AHEAD_SECONDS

#: How often the main thread looks up from waiting (for signals, progress and checkpoints).
_POLL = 0.1
#: How long a stopped run may take to cancel what is on the wire and close its connections.
STOP_GRACE = 2.0
#: Fewest ids one write-ahead record lets go out (the first one, before any rate is measured).
MIN_WRITE_AHEAD = 10


class _Log(Protocol):
    def info(self, msg: Any, /, *args: Any) -> Any: ...

    def warning(self, msg: Any, /, *args: Any) -> Any: ...


class BulkRun:
    """One bulk run in its own event loop thread. :meth:`stop` may be called from any thread.

    :param client: the client the run takes its settings from.
    :param options: how the run behaves.
    :param log: where progress lines, and warnings about unusable rate-limit headers, go.
    :param clock: monotonic seconds, for progress and checkpoint intervals.
    :param stop_event: an event shared with the caller: once set, the run stops as by :meth:`stop`.
    :param log_summary: log the run's closing "Intercom bulk ... finished" line (a single operator,
        which logs its own line about its one conversation, turns it off).
    """

    def __init__(
        self,
        client: Any,
        options: BulkOptions,
        *,
        log: _Log,
        clock: Callable[[], float] = time.monotonic,
        stop_event: threading.Event | None = None,
        log_summary: bool = True,
    ) -> None:
        self.engine = AsyncBulkEngine(client, options, logger=log)
        self._log_summary = log_summary
        self._options = options
        self._log = log
        self._clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = 0.0
        self._stop_requested = stop_event or threading.Event()
        #: The summary of the run, kept even when the run was interrupted.
        self.summary: dict[str, Any] | None = None

    @property
    def stopped(self) -> bool:
        """Whether the run was asked to stop (``on_kill``, a timeout) rather than ending by itself."""
        return self._stop_requested.is_set()

    def stop(self) -> None:
        """Stop promptly: no new request is sent; requests on the wire are cancelled."""
        self._stop_requested.set()
        loop = self._loop
        if loop is not None and not loop.is_closed():
            # RuntimeError: the loop closed in between, and there is nothing left to stop.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.engine.stop)

    def run(
        self,
        conversation_ids: Sequence[str],
        request: ConversationRequest,
        *,
        done: bytes | bytearray | Collection[int] = b"",
        on_checkpoint: Callable[[bytes], None] | None = None,
        checkpoint_interval: float = 5.0,
        read_below: int = 0,
        read_after: float = 0.0,
        write_ahead: Callable[[int], bool] | None = None,
        write_ahead_batch: int = 1,
    ) -> dict[str, Any]:
        """Run to the end (or to a stop) and return the summary.

        :param conversation_ids: validated, de-duplicated ids.
        :param request: what to send to each id.
        :param done: what an earlier try confirmed, not sent again: a :class:`~._bitmap.Bitmap`
            (:func:`~._checkpoint.decode_done`), one byte per id (empty when none was), or indexes.
        :param on_checkpoint: called from this thread with a snapshot of the confirmed ids (one
            byte per id) every ``checkpoint_interval`` seconds, and once more at the end, also
            when the run is interrupted.
        :param checkpoint_interval: seconds between checkpoints.
        :param read_below: messages: ids with a lower index are read back before their send (an
            earlier try may have sent them).
        :param read_after: UNIX seconds from which an earlier try may have sent them.
        :param write_ahead: messages: called from this thread with an index before any id at or
            past the last one given is sent; it records that ids below it may have been sent, and
            returns whether the record was written. The run stops if it was not.
        :param write_ahead_batch: how many ids one write-ahead record lets go out at most.
        :raises IntercomError: an unexpected error of the run itself; an error that stopped the run
            for every id is :attr:`fatal`, not raised.
        """
        started = self._started = self._clock()
        failure: list[BaseException] = []
        # Waited on instead of Thread.join: an exception raised by a signal handler inside join()
        # (execution_timeout's SIGALRM) can leave the thread marked stopped while it still runs
        # (CPython's bpo-45274 fix releases the running thread's lock), and join() then returns
        # at once, so the summary would be built while requests are still being cancelled.
        finished = threading.Event()

        def main() -> None:
            loop = paced_event_loop(self._poll_interval)
            self._loop = loop
            try:
                if self._stop_requested.is_set():
                    self.engine.stop()
                with heap_frozen():
                    loop.run_until_complete(
                        self.engine.run(conversation_ids, request, done, read_below=read_below, read_after=read_after)
                    )
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
                failure.append(exc)
            finally:
                loop.close()
                finished.set()

        if write_ahead is not None:
            self.engine.released = 0
            self._write_ahead(write_ahead, write_ahead_batch, len(conversation_ids), direct=True)
        thread = threading.Thread(target=main, name="intercom-bulk", daemon=True)
        next_progress = started + self._options.progress_interval
        next_checkpoint = started + checkpoint_interval
        try:
            thread.start()  # within the try: a signal may land while it waits for the thread to start
            forwarded = False
            while not finished.wait(_POLL):
                if self._stop_requested.is_set() and not forwarded:
                    self.stop()  # the shared event was set from outside: tell the loop
                    forwarded = True
                if write_ahead is not None:
                    self._write_ahead(write_ahead, write_ahead_batch, len(conversation_ids))
                now = self._clock()
                if now >= next_progress:
                    self._progress(len(conversation_ids), now - started)
                    next_progress = now + self._options.progress_interval
                if on_checkpoint is not None and now >= next_checkpoint:
                    on_checkpoint(bytes(self.engine.confirmed))
                    next_checkpoint = now + checkpoint_interval
        except BaseException:
            # Interrupted here (execution_timeout, a kill): stop the loop, then let the caller
            # publish what was done before re-raising.
            self.stop()
            finished.wait(STOP_GRACE)
            raise
        finally:
            if on_checkpoint is not None:
                on_checkpoint(bytes(self.engine.confirmed))
            self.summary = self._summary(conversation_ids, request.action, self._clock() - started, done)
        if failure:
            raise failure[0]
        return self.summary

    def _poll_interval(self) -> float:
        """The least time between two wake-ups of the run's event loop (see :mod:`._loop`)."""
        state = self.engine.state
        rate = allowed_rate(state.limit, self._options.max_requests_per_minute, state.window)
        return wake_interval(rate=rate, cap=self.engine.cap, slack=state.slack)

    def _write_ahead(self, write: Callable[[int], bool], most: int, total: int, *, direct: bool = False) -> None:
        """Record the next batch of ids as started before the engine may send to them.

        A batch is about :data:`~airflow_provider_intercom.client.facts.WRITE_AHEAD_SECONDS` of sends
        at the rate measured so far (``most`` at Intercom's full rate), so that a killed try leaves
        about that many ids to read back whatever the rate.
        """
        engine = self.engine
        released = engine.released or 0
        elapsed = self._clock() - self._started
        measured = engine.wanted / elapsed * WRITE_AHEAD_SECONDS if elapsed > 0 else 0.0
        batch = max(min(most, MIN_WRITE_AHEAD), min(most, math.ceil(measured)))
        # Ahead by half a batch, so that the engine never waits for this thread's next poll.
        if released >= total or released - engine.wanted > batch // 2:
            return
        upto = min(total, max(released, engine.wanted) + batch)
        if not write(upto):
            self._log.warning(
                "Stopping: the write-ahead record could not be written, and no message is sent unrecorded; "
                "a retry of the task resumes from the last record."
            )
            self.stop()
            return
        loop = self._loop
        if direct or loop is None:
            engine.released = upto  # the loop has not started: nothing reads it yet
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed in between: nothing left to send
                loop.call_soon_threadsafe(engine.release, upto)

    def _progress(self, total: int, elapsed: float) -> None:
        engine = self.engine
        line = progress_line(
            engine.finished, total, elapsed, engine.state.rate_limited, engine.in_flight, engine.outcomes.resumed
        )
        self._log.info("%s", line)

    def _summary(
        self, conversation_ids: Sequence[str], action: str, elapsed: float, done: bytes | bytearray | Collection[int]
    ) -> dict[str, Any]:
        engine = self.engine
        outcomes = engine.outcomes
        if outcomes.total != len(conversation_ids):  # the run never started: what is not resumed is cancelled
            outcomes = Outcomes(conversation_ids, done)
        summary = build_summary(
            conversation_ids,
            outcomes,
            requests=engine.state.sent,
            rate_limited=engine.state.rate_limited,
            elapsed=elapsed,
            read_backs=engine.read_backs,
        )
        counts = summary["counts"]
        if not self._log_summary:
            return summary
        self._log.info(
            "Intercom bulk %s finished: %d done (%d of them in an earlier try), %d skipped, %d failed "
            "of %d in %.1fs (%d requests, %d rate-limited answers).",
            action,
            counts["updated"],
            counts["resumed"],
            counts["skipped"],
            counts["failed"],
            counts["total"],
            elapsed,
            counts["requests"],
            counts["rate_limited_responses"],
        )
        return summary

    @property
    def retryable_failures(self) -> int:
        """How many ids failed with an error that a later try of the task might fix."""
        return self.engine.retryable_failures

    @property
    def fatal(self) -> IntercomError | None:
        """The error that stopped the run for every id (see :mod:`._breaker`), if any."""
        return self.engine.fatal
