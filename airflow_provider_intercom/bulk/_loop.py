"""The bulk engine's event loop: while the rate limit paces the sends, it wakes a few times a second.

Paced at Intercom's 1,667 calls per 10 s, a loop that wakes for every send and every answer wakes
hundreds of times a second and does a little work each time, on caches other processes have
cooled: measured, the same request then cost about twice the CPU it costs in a busy loop. So
while the engine reports that the budget, not the answers, decides when it sends
(:attr:`~._engine.AsyncBulkEngine.paced`), the selector returns at most once per
:data:`~airflow_provider_intercom.client._ratelimit.PACING_SLACK`: the answers that arrived
meanwhile are handled together, and the sends that fell due go out together (the limiter keeps
their average rate). Nothing waits longer than that interval more than it would have; with
callbacks ready, the loop never holds off.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import selectors
import time
from collections.abc import Callable, Iterator

__all__ = ["CoalescingSelector", "heap_frozen", "hold_off", "paced_event_loop"]


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
    :param sleep: how to sleep (the loop's thread has nothing else to do meanwhile).
    """

    def __init__(
        self,
        interval: Callable[[], float],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__()
        self._interval, self._clock, self._sleep = interval, clock, sleep
        self._last_wake = float("-inf")

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """Wait for events as the default selector does, after holding off if the last poll was recent.

        :param timeout: seconds to wait at most; None waits for an event.
        """
        hold = hold_off(now=self._clock(), last_wake=self._last_wake, interval=self._interval(), timeout=timeout)
        if hold > 0:
            self._sleep(hold)
            if timeout is not None:
                timeout = max(timeout - hold, 0.0)
        events = super().select(timeout)
        self._last_wake = self._clock()
        return events


def paced_event_loop(interval: Callable[[], float]) -> asyncio.AbstractEventLoop:
    """A new event loop whose polls are at least ``interval()`` seconds apart.

    :param interval: asked before each poll; 0 makes the loop behave as asyncio's default one.
    """
    return asyncio.SelectorEventLoop(CoalescingSelector(interval))


@contextlib.contextmanager
def heap_frozen() -> Iterator[None]:
    """Keep the objects that exist now out of the garbage collector's full passes, for a run.

    A task's process holds Airflow, its ORM and its imports: hundreds of thousands of objects that
    a run's many short-lived ones would otherwise make the collector walk again and again (about a
    fifth of a paced call's CPU, measured with far fewer). :func:`gc.freeze` is made for such
    long-lived objects. They are unfrozen afterwards, unless something (Airflow's forking
    executors do) had frozen objects before: those are left as they were found, frozen.
    """
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if frozen_before == 0:
            gc.unfreeze()
