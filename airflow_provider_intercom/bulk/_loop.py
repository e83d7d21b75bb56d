"""The bulk engine's event loop: while the rate limit paces the sends, it wakes a few times a second.

Paced at Intercom's 1,667 calls per 10 s, a loop that wakes for every send and every answer wakes
hundreds of times a second and does a little work each time, on caches other processes have
cooled: measured, the same request then cost about twice the CPU it costs in a busy loop. So
while a budget paces the run (:func:`~._concurrency.wake_interval`), the selector returns at most
once per :data:`~airflow_provider_intercom.client._ratelimit.PACING_SLACK` (0.2 s): the answers that arrived
meanwhile are handled together, and the sends that fell due go out together (the limiter keeps
their average rate). Nothing waits longer than that interval more than it would have; with
callbacks ready, the loop never holds off, and a callback from another thread (a stop, a
write-ahead release) ends a hold at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import selectors
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVarTuple

__all__ = ["CoalescingSelector", "heap_frozen", "hold_off", "paced_event_loop"]

_Ts = TypeVarTuple("_Ts")


def hold_off(*, now: float, last_wake: float, interval: float, timeout: float | None) -> float:
    """Seconds to sleep before polling, so that polls are at least ``interval`` apart.

    :param now: the current monotonic time.
    :param last_wake: when the previous poll returned.
    :param interval: the least time between polls; 0 (or less) polls at once, as asyncio does.
    :param timeout: how long the loop would wait at most (None: until an event); 0 means work is
        ready, and is never held off.
    """
    if interval <= 0 or (timeout is not None and timeout <= 0):
        return 0.0
    hold = interval - max(now - last_wake, 0.0)
    if timeout is not None:
        hold = min(hold, timeout)
    return max(hold, 0.0)


class CoalescingSelector(selectors.DefaultSelector):
    """The platform's default selector, polled at most once per ``interval()`` seconds.

    :param interval: the least time between polls, asked before each poll (0: no holding off).
    :param clock: monotonic seconds.
    :param sleep: how to hold off, for at most the seconds given; by default until the time is up
        or :meth:`interrupt` is called.
    """

    def __init__(
        self,
        interval: Callable[[], float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        super().__init__()
        self._interrupted = threading.Event()
        self._interval, self._clock = interval, clock
        self._sleep = sleep or self._interrupted.wait
        self._last_wake = float("-inf")

    def interrupt(self) -> None:
        """End a hold under way (or the next one) now; call from any thread."""
        self._interrupted.set()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """Wait for events as the default selector does, after holding off if the last poll was recent.

        :param timeout: seconds to wait at most; None waits for an event.
        """
        hold = hold_off(now=self._clock(), last_wake=self._last_wake, interval=self._interval(), timeout=timeout)
        if hold > 0:
            started = self._clock()
            self._sleep(hold)
            if timeout is not None:
                timeout = max(timeout - (self._clock() - started), 0.0)
        # Cleared before the poll: an interruption after this point wakes the poll itself.
        self._interrupted.clear()
        events = super().select(timeout)
        self._last_wake = self._clock()
        return events


class _PacedEventLoop(asyncio.SelectorEventLoop):
    """asyncio's selector event loop on a :class:`CoalescingSelector`."""

    def __init__(self, selector: CoalescingSelector) -> None:
        super().__init__(selector)
        self._coalescing = selector

    def call_soon_threadsafe(
        self,
        callback: Callable[[*_Ts], object],
        *args: *_Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        """As asyncio's, and the callback does not wait for a hold to end.

        :param callback: what to call in the loop's thread.
        :param args: its arguments.
        :param context: the context to run it in, as in asyncio.
        """
        handle = super().call_soon_threadsafe(callback, *args, context=context)
        self._coalescing.interrupt()
        return handle


def paced_event_loop(interval: Callable[[], float]) -> asyncio.AbstractEventLoop:
    """A new event loop whose polls are at least ``interval()`` seconds apart.

    :param interval: asked before each poll; 0 makes the loop behave as asyncio's default one.
    """
    return _PacedEventLoop(CoalescingSelector(interval))


@contextlib.contextmanager
def heap_frozen() -> Iterator[None]:
    """Keep the objects that exist now out of the garbage collector's full passes, for a run.

    A task's process holds Airflow, its ORM and its imports: hundreds of thousands of objects that
    a run's many short-lived ones would otherwise make the collector walk again and again (about a
    fifth of a paced call's CPU, measured with far fewer). :func:`gc.freeze` is made for such
    long-lived objects. They are unfrozen afterwards, unless something (Airflow's forking
    executors do) had frozen objects before: unfreezing would thaw those too, so then everything
    frozen here stays frozen (the run's own objects are gone by then; what else was made meanwhile
    is only kept out of full passes).
    """
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if frozen_before == 0:
            gc.unfreeze()
