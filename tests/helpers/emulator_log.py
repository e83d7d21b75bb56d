"""Reading the emulator's request log: which PUTs arrived when, how many at once, how many per window."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence

from airflow_provider_intercom.testing.emulator import IntercomEmulator, RecordedRequest


def puts(emulator: IntercomEmulator) -> list[RecordedRequest]:
    """The ``PUT /conversations/{id}`` requests the emulator received, in arrival order."""
    return [r for r in emulator.requests if r.method == "PUT"]


def put_ids(emulator: IntercomEmulator) -> list[str]:
    """The conversation id of each PUT, in arrival order (an id retried appears more than once)."""
    return [r.path.rsplit("/", 1)[1] for r in puts(emulator)]


def peak_in_flight(requests: Sequence[RecordedRequest], latency: float) -> int:
    """The most requests the emulator held at once, when each took ``latency`` seconds to answer.

    With a fixed latency, a request is in flight from its arrival to arrival + latency; counted on
    the server, this is never more than the client had on the wire.
    """
    arrivals = sorted(r.received_monotonic for r in requests)
    return max((sum(1 for t in arrivals if t <= now < t + latency) for now in arrivals), default=0)


def most_per_window(requests: Sequence[RecordedRequest], window: int) -> int:
    """The most requests that arrived within one of the emulator's aligned rate-limit windows."""
    counts = Counter(int(r.received_at // window) for r in requests)
    return max(counts.values(), default=0)


class AfterPuts(threading.Thread):
    """Calls ``action`` from another thread, as Airflow stops a task, once ``count`` PUTs arrived.

    ``at`` is the UNIX time at which it called ``action``. Start it, then run the task.
    """

    def __init__(self, emulator: IntercomEmulator, count: int, action: Callable[[], object]) -> None:
        super().__init__(name="after-puts", daemon=True)
        self._emulator, self._count, self._action = emulator, count, action
        self.at = 0.0

    def run(self) -> None:
        deadline = time.monotonic() + 20
        while len(puts(self._emulator)) < self._count and time.monotonic() < deadline:
            time.sleep(0.005)
        self.at = time.time()
        self._action()


def assert_nothing_sent_after(emulator: IntercomEmulator, stopped_at: float, *, accounted: int, on_wire: int) -> None:
    """Check that a run stopped at ``stopped_at`` sent nothing afterwards.

    The emulator stamps a request when it reads it, which may be a little after the client wrote
    it; so rather than compare times closely: every PUT is one the run's summary accounts for
    (``counts.requests``), and only those already on the wire when the stop came (at most
    ``on_wire``) arrived after it.
    """
    # A PUT written just before the stop may be read after the run returned on a loaded machine:
    # wait a little so that it is counted below, where it must be one of those on the wire.
    time.sleep(0.5)
    sent = puts(emulator)
    assert len(sent) <= accounted, (len(sent), accounted)
    late = [r.received_at - stopped_at for r in sent if r.received_at > stopped_at]
    assert len(late) <= on_wire, late
