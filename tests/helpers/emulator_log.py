"""Reading the emulator's request log: which PUTs arrived when, how many at once, how many per window."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

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
