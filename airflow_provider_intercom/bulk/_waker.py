"""Wakes the bulk engine's dispatcher: after a timeout, on a stop, or when an answer arrives."""

from __future__ import annotations

import asyncio

__all__ = ["Waker"]


class Waker:
    """Wakes the dispatcher after a timeout, on a stop, or (if it asked) when an answer arrives.

    A dispatcher that only waits for the next send time does not need each answer: waking it for
    every one would double the event loop's work per request.
    """

    def __init__(self) -> None:
        self._future: asyncio.Future[None] | None = None
        self._for_answers = False

    async def wait(self, timeout: float, *, for_answers: bool) -> None:
        """Wait until woken, or ``timeout`` seconds.

        :param timeout: seconds at most.
        :param for_answers: whether an answer arriving wakes this wait.
        """
        loop = asyncio.get_running_loop()
        self._for_answers = for_answers
        future = self._future = loop.create_future()
        handle = loop.call_later(max(timeout, 0.0), self.wake)
        try:
            await future
        finally:
            handle.cancel()

    def wake(self) -> None:
        """End the current wait now."""
        if self._future is not None and not self._future.done():
            self._future.set_result(None)

    def answer_arrived(self) -> None:
        """An answer arrived: end the current wait if it waits for answers."""
        if self._for_answers:
            self.wake()
