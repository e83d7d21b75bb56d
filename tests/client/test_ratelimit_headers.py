"""Rate-limit headers are facts to check: the domain of each value, and what happens outside it."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.client import AdaptiveRateLimiter
from airflow_provider_intercom.client._ratelimit import RateLimitState, rate_limit_send_delay
from airflow_provider_intercom.client._ratelimit_headers import (
    RESET_SLACK,
    count_problem,
    header_number,
    read_rate_limit_headers,
    reset_problem,
    usable_reset,
)
from tests.client.test_ratelimit import Clock, headers, sends_now

NOW = 1_700_000_000.0
WINDOW = 10.0


class Warnings:
    """A logger that keeps its warnings."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, msg: Any, /, *args: Any) -> None:
        self.lines.append(str(msg) % args)


# -- The domains ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "usable"),
    [("0", True), ("1667", True), ("12.5", True), ("-5", False), ("-0.5", False), ("lots", False), ("nan", False)],
)
def test_a_count_is_a_number_not_below_zero(value: str, usable: bool) -> None:
    assert (count_problem(header_number({"X": value}, "X")) is None) is usable


@pytest.mark.parametrize(
    ("reset", "usable"),
    [
        pytest.param(NOW + 10, True, id="the window's end"),
        pytest.param(NOW, True, id="now"),
        pytest.param(NOW - WINDOW, True, id="one window past"),
        pytest.param(NOW + WINDOW + RESET_SLACK, True, id="one window and the slack ahead"),
        pytest.param(NOW + WINDOW + RESET_SLACK + 0.01, False, id="just beyond"),
        pytest.param(NOW - WINDOW - 0.01, False, id="just before"),
        pytest.param(NOW * 1000, False, id="milliseconds"),
        pytest.param(NOW + 30 * 86400, False, id="30 days ahead"),
        pytest.param(10.0, False, id="delta-seconds"),
        pytest.param(None, False, id="not a number"),
    ],
)
def test_a_reset_is_unix_seconds_within_one_window_of_now(reset: float | None, usable: bool) -> None:
    assert (reset_problem(reset, now=NOW, window=WINDOW) is None) is usable
    assert usable_reset(reset, now=NOW, window=WINDOW) == (reset if usable else None)


@given(
    values=st.dictionaries(
        st.sampled_from(["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]),
        st.one_of(
            st.text(max_size=30),
            st.integers(min_value=-(10**20), max_value=10**20).map(str),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
        ),
    ),
    now=st.floats(min_value=0, max_value=4e9),
)
def test_whatever_the_headers_say_a_reading_holds_only_values_in_their_domains(
    values: dict[str, str], now: float
) -> None:
    reading = read_rate_limit_headers(values, now=now, window=WINDOW)
    assert reading.limit is None or reading.limit >= 0
    assert reading.remaining is None or reading.remaining >= 0
    assert reading.reset_at is None or now - WINDOW <= reading.reset_at <= now + WINDOW + RESET_SLACK
    # A value present and not kept is reported; a missing header is no problem.
    kept = {"X-RateLimit-Limit": reading.limit, "X-RateLimit-Remaining": reading.remaining}
    kept["X-RateLimit-Reset"] = reading.reset_at  # type: ignore[assignment]
    assert {name for name, _, _ in reading.rejected} == {name for name in values if kept[name] is None}


# -- The limiter treats an unusable value as absent, and says so once -----------------------------


HOSTILE = {
    "reset in milliseconds": headers(100, 1000.0 * 1000),
    "reset 30 days ahead": headers(0, 1000.0 + 30 * 86400),
    "reset an hour past": headers(0, 1000.0 - 3600),
    'reset of "10"': headers(0, 10),
    "remaining -5": headers(-5, 1005),
    "non-numeric": {"X-RateLimit-Limit": "x", "X-RateLimit-Remaining": "lots", "X-RateLimit-Reset": "soon"},
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_unusable_headers_do_not_hold_the_senders_and_are_reported_once(name: str) -> None:
    log = Warnings()
    limiter = AdaptiveRateLimiter(clock=Clock(), logger=log)
    for _ in range(20):
        limiter.release(HOSTILE[name], 200, limiter.acquire())
    assert sends_now(limiter)
    assert 1 <= len(log.lines) <= 3
    assert len(set(log.lines)) == len(log.lines)
    assert all(line.startswith("Ignoring X-RateLimit-") for line in log.lines)


def test_a_429_whose_reset_is_unusable_does_not_stall_the_senders() -> None:
    # A gateway answered 429 with "X-RateLimit-Reset: 10" (seconds to wait, not a time): read as
    # a time, it made this clock look 54 years ahead of Intercom's, and nothing was sent again.
    limiter = AdaptiveRateLimiter(clock=Clock(), logger=logging.getLogger(__name__))
    seq = limiter.acquire()
    limiter.release(headers(0, 10), 429, seq, 1000.0)
    assert sends_now(limiter)


@pytest.mark.parametrize(("window", "paced"), [(None, True), (1.0, False)])
def test_the_window_is_set_not_inferred_from_resets_a_second_apart(window: float | None, paced: bool) -> None:
    # Two answers whose resets are 1 s apart once pinned the window at 1 s: after a reset, the
    # whole limit was then spread over 1 s instead of Intercom's 10, ten times Intercom's rate.
    # Only a window that is set (a test server's) is shorter.
    state = RateLimitState() if window is None else RateLimitState(window=window)
    state.on_answer(headers(50, 1001), 200, state.on_send(1000.5), now=1000.5)
    state.on_answer(headers(50, 1002), 200, state.on_send(1001.5), now=1001.5)
    assert state.send_delay(1002.5) == 0  # the window has ended: the next one starts
    sent, now = 0, 1002.5
    while now < 1003.0:  # half a second, looked at every 10 ms
        while state.send_delay(now) == 0 and sent < 100:
            state.on_send(now)
            sent += 1
        now += 0.01
    # 100 calls over the next 10 s: about 0.1 s apart, so a handful; over 1 s: all of them.
    assert sent < 20 if paced else sent == 100


@pytest.mark.parametrize("window", [0.0, -1.0, float("nan"), float("inf")])
def test_the_window_must_be_a_positive_number_of_seconds(window: float) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        RateLimitState(window=window)


def test_the_send_delay_never_exceeds_a_window_and_the_slack_but_the_users_ceiling_may() -> None:
    far = rate_limit_send_delay(now=NOW, remaining=0, reset_at=NOW + 30 * 86400, in_flight=0, last_send_at=NOW)
    assert far == pytest.approx(WINDOW + RESET_SLACK)
    # max_requests_per_minute=1 is the user's own choice, not a header's: one minute apart it is.
    slow = rate_limit_send_delay(now=NOW, remaining=None, reset_at=None, in_flight=0, last_send_at=NOW, min_interval=60)
    assert slow == pytest.approx(60.0)


@pytest.mark.parametrize(("apart", "left", "burst"), [(1.0, 60, False), (10.0, 960, True)])
def test_resets_closer_than_the_window_shrink_the_slack_not_the_pace(apart: float, left: int, burst: bool) -> None:
    # A test server's 1 s windows, unknown to the task: a sender that woke late then sends only
    # what fell due within a fiftieth of the windows it sees, not a fiftieth of Intercom's 10 s.
    # (Both budgets pace one send per 10 ms over what is left of the window.)
    state = RateLimitState()
    state.on_answer(headers(left, 1000 + apart), 200, state.on_send(999.0), now=999.0)
    state.on_answer(headers(left, 1000 + 2 * apart), 200, state.on_send(1000.0 + apart / 2), now=1000.0 + apart)
    late = 1000.0 + apart + 0.4
    at_once = 0
    while state.send_delay(late) == 0 and at_once < 100:
        state.on_send(late)
        at_once += 1
    assert at_once > 10 if burst else at_once < 5
