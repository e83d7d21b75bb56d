"""IntercomClient's retry loop over real HTTP against the emulator: waits, budgets, and stops.

Waits are never real: the client's ``sleep``, ``clock``, ``wall_clock`` and ``rand`` are injected.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from typing import Any

import pytest

from airflow_provider_intercom.client import (
    IntercomCancelledError,
    IntercomClient,
    IntercomConnectionError,
    IntercomRateLimitError,
    IntercomServerError,
    RetryPolicy,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import Sleeps, make_client, wait_until


class Log:
    """The client's injectable logger: keeps each warning as the line it would print."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, msg: Any, /, *args: Any) -> None:
        self.lines.append(msg % args)


# -- Retrying, with injected waits ---------------------------------------------------------------


def test_transient_errors_are_retried_with_backoff_and_logged(
    intercom_emulator: IntercomEmulator, sleeps: Sleeps
) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=2)
    log = Log()
    with make_client(intercom_emulator, sleep=sleeps, rand=lambda: 0.0, logger=log) as client:
        assert client.get_me()["type"] == "admin"
    assert len(intercom_emulator.requests) == 3
    assert sleeps == [0.25, 0.5]  # half of 0.5 s, then half of 1 s: "equal jitter" with rand = 0
    assert [line.split(": ")[0] for line in log.lines] == [
        "Intercom request failed (attempt 1 of at most 4)",
        "Intercom request failed (attempt 2 of at most 4)",
    ]
    assert all("Intercom API 503 service_unavailable on GET /me" in line for line in log.lines)
    assert log.lines[0].endswith("-- retrying in 0.2s")
    assert not any("gave up" in line for line in log.lines)


def test_giving_up_says_how_many_attempts_and_how_long(intercom_emulator: IntercomEmulator, sleeps: Sleeps) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    ticks = itertools.count(0.0, 0.5)
    with (
        make_client(intercom_emulator, sleep=sleeps, clock=lambda: next(ticks)) as client,
        pytest.raises(IntercomServerError) as info,
    ):
        client.get_me()
    assert (info.value.attempts, info.value.elapsed) == (4, 2.0)
    assert str(info.value).endswith("(gave up after 4 attempts in 2.0s)")
    assert len(intercom_emulator.requests) == 4
    assert len(sleeps) == 3


def test_the_time_budget_bounds_retries_as_well_as_attempts(
    intercom_emulator: IntercomEmulator, sleeps: Sleeps
) -> None:
    # Every look at the clock finds 10 s more gone; 25 s of budget leave room for two retries.
    policy = RetryPolicy(max_retries=10, max_retry_time=25.0)
    ticks = itertools.count(0.0, 10.0)
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    with (
        make_client(
            intercom_emulator, retry_policy=policy, sleep=sleeps, clock=lambda: next(ticks), rand=lambda: 0.0
        ) as client,
        pytest.raises(IntercomServerError, match=r"gave up after 3 attempts in 30\.0s"),
    ):
        client.get_me()
    assert len(intercom_emulator.requests) == 3


def test_a_429_wait_that_would_outlast_the_budget_is_not_started(
    intercom_emulator: IntercomEmulator, sleeps: Sleeps
) -> None:
    # A 429 says "wait a minute" (capped at 5 s here); with 1 s of budget no wait may start.
    policy = RetryPolicy(max_retries=3, max_retry_time=1.0, rate_limit_jitter=0.0, rate_limit_cap=5.0)
    intercom_emulator.inject("rate_limit", path="/me", times=None, reset_in=60)
    with (
        make_client(intercom_emulator, retry_policy=policy, sleep=sleeps) as client,
        pytest.raises(IntercomRateLimitError) as info,
    ):
        client.get_me()
    assert len(intercom_emulator.requests) == 1
    assert sleeps == []
    assert info.value.attempts == 1
    assert "gave up" not in str(info.value)
    assert info.value.reset_at is not None


def test_a_429_waits_until_the_reset_intercom_reports_plus_jitter(
    intercom_emulator: IntercomEmulator, sleeps: Sleeps
) -> None:
    policy = RetryPolicy(rate_limit_cap=120.0, rate_limit_jitter=1.0)
    now = float(int(time.time()))  # the client's wall clock stands still at this whole second
    intercom_emulator.inject("rate_limit", path="/me", times=1, reset_in=5)
    before = time.time()
    with make_client(
        intercom_emulator, retry_policy=policy, sleep=sleeps, wall_clock=lambda: now, rand=lambda: 0.25
    ) as client:
        client.get_me()
    after = time.time()
    assert len(intercom_emulator.requests) == 2
    [slept] = sleeps
    # The emulator reports the reset as a whole UNIX second, 5 s after it answered (within a window).
    reset = slept - 0.25 + now
    assert reset.is_integer()
    assert math.ceil(before + 5) <= reset <= math.ceil(after + 5)


def test_non_idempotent_requests_are_not_resent_once_they_may_have_applied(
    intercom_emulator: IntercomEmulator, client: IntercomClient
) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    with pytest.raises(IntercomServerError):
        client.request("GET", "/me", idempotent=False)
    intercom_emulator.clear_faults()
    intercom_emulator.inject("reset", path="/me", times=None)
    with pytest.raises(IntercomConnectionError):
        client.request("GET", "/me", idempotent=False)
    assert len(intercom_emulator.requests) == 2
    # A 429 was not acted upon, so it is retried all the same.
    intercom_emulator.clear_faults()
    intercom_emulator.inject("rate_limit", path="/me", times=1, reset_in=0)
    assert client.request("GET", "/me", idempotent=False)["type"] == "admin"
    assert len(intercom_emulator.requests) == 4


# -- Stopping ------------------------------------------------------------------------------------


def test_a_stop_during_a_retry_wait_keeps_the_cause(intercom_emulator: IntercomEmulator) -> None:
    stop = threading.Event()
    intercom_emulator.inject("status", path="/conversations/3", status=503, times=None)
    with (
        make_client(intercom_emulator, stop_event=stop, sleep=lambda seconds: stop.set()) as client,
        pytest.raises(IntercomCancelledError) as info,
    ):
        client.mark_conversation_read("3")
    assert info.value.status == 503
    assert info.value.request_id
    assert isinstance(info.value.__cause__, IntercomServerError)
    assert "The task was stopped while waiting to retry after: Intercom API 503" in str(info.value)
    assert len(intercom_emulator.requests) == 1


def test_a_stop_ends_a_real_wait_early(intercom_emulator: IntercomEmulator) -> None:
    # No injected sleep: the client waits on the stop event itself (30 s of backoff here).
    stop = threading.Event()
    policy = RetryPolicy(max_retries=3, backoff_base=30.0, backoff_cap=30.0)
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    threading.Thread(target=lambda: (wait_until(lambda: intercom_emulator.requests, "sent"), stop.set())).start()
    with (
        make_client(intercom_emulator, retry_policy=policy, stop_event=stop, sleep=None) as client,
        pytest.raises(IntercomCancelledError, match="while waiting to retry"),
    ):
        client.get_me()
    assert len(intercom_emulator.requests) == 1


def test_nothing_is_sent_once_stopped(intercom_emulator: IntercomEmulator) -> None:
    stop = threading.Event()
    stop.set()
    with (
        make_client(intercom_emulator, stop_event=stop) as client,
        pytest.raises(IntercomCancelledError, match="no further request is sent"),
    ):
        client.mark_conversation_read("3")
    assert intercom_emulator.requests == []
