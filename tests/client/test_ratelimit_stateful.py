"""The pacing state driven by arbitrary answers: no header sequence makes it wait too long or stall.

Hypothesis plays a network that may send anything in ``X-RateLimit-*``: any text, negative or
non-finite numbers, resets in milliseconds, far ahead or long past, as delta-seconds, or near the
window's end; 200s, 429s, 5xx and lost answers, in any order, on a fake clock.
"""

from __future__ import annotations

import math

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from airflow_provider_intercom.client._ratelimit import RateLimitState
from airflow_provider_intercom.client._ratelimit_headers import RESET_SLACK

WINDOW = 10.0
START = 1_700_000_000.0

#: A header value: absent (None), literal text, ("rel", seconds from now), or ("ms",) for now in ms.
_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["nan", "inf", "-inf", "-5", "0", "1", "10", "1e400", "", " 7 "]),
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.tuples(st.just("rel"), st.floats(min_value=-3 * WINDOW, max_value=3 * WINDOW)),
    st.tuples(st.just("rel"), st.sampled_from([30 * 86400.0, -3600.0, WINDOW, WINDOW + RESET_SLACK, -WINDOW])),
    st.just(("ms",)),
)
_headers = st.fixed_dictionaries(
    {"X-RateLimit-Limit": _values, "X-RateLimit-Remaining": _values, "X-RateLimit-Reset": _values}
)


def _text(value: object, now: float) -> str | None:
    if isinstance(value, tuple):
        return str(int(now * 1000)) if value[0] == "ms" else repr(now + value[1])
    return value  # type: ignore[return-value]


class Pacing(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.state = RateLimitState(window=WINDOW)
        self.on_wire: list[tuple[int, float]] = []

    def _delay(self) -> float:
        delay = self.state.send_delay(self.now)
        assert math.isfinite(delay)
        assert 0 <= delay <= WINDOW + RESET_SLACK, delay
        return delay

    @rule()
    def send(self) -> None:
        if self._delay() <= 0:
            self.on_wire.append((self.state.on_send(self.now), self.now))

    @rule(seconds=st.floats(min_value=0, max_value=3 * WINDOW))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds

    @precondition(lambda self: bool(self.on_wire))
    @rule(
        pick=st.integers(min_value=0),
        status=st.sampled_from([200, 200, 429, 503, None]),
        values=_headers,
    )
    def answer(self, pick: int, status: int | None, values: dict[str, object]) -> None:
        seq, sent_at = self.on_wire.pop(pick % len(self.on_wire))
        headers = {name: text for name, value in values.items() if (text := _text(value, self.now)) is not None}
        self.state.on_answer(headers if status else None, status, seq, sent_at, now=self.now)

    @precondition(lambda self: not self.on_wire)
    @rule()
    def idle_for_a_window_sends_again(self) -> None:
        # Nothing on the wire: after one window, the slack, and the most clock skew a 429 can
        # reveal (the slack again), whatever the answers said, a request may go out.
        self.now += WINDOW + 2 * RESET_SLACK
        assert self._delay() == 0

    @invariant()
    def every_wait_is_bounded(self) -> None:
        self._delay()


Pacing.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestPacing = Pacing.TestCase
