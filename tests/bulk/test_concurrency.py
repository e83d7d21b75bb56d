"""How many requests the engine keeps in flight: pure decisions, tested directly."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.bulk._concurrency import (
    HEADROOM,
    INITIAL_CONCURRENCY,
    LATENCY_SMOOTHING,
    RAMP,
    LatencyEstimator,
    allowed_rate,
    target_concurrency,
    wake_interval,
)
from airflow_provider_intercom.client.facts import (
    APP_RATE_LIMIT_PER_WINDOW,
    MAX_CONCURRENCY_LIMIT,
    RATE_LIMIT_WINDOW_SECONDS,
)

#: Intercom's default app limit, in calls per second.
INTERCOM_RATE = APP_RATE_LIMIT_PER_WINDOW / RATE_LIMIT_WINDOW_SECONDS


@pytest.mark.parametrize(("rate", "latency"), [(None, None), (INTERCOM_RATE, 1.0), (0.5, 0.01)])
def test_one_probe_until_a_first_success(rate: float | None, latency: float | None) -> None:
    # A bad token or a plan restriction then costs one request, not a burst.
    assert target_concurrency(rate=rate, latency=latency, answered=0, cap=MAX_CONCURRENCY_LIMIT) == 1


def test_before_latency_is_known_a_few_requests_go_out() -> None:
    assert target_concurrency(rate=None, latency=None, answered=100, cap=256) == INITIAL_CONCURRENCY
    assert target_concurrency(rate=INTERCOM_RATE, latency=None, answered=100, cap=256) == INITIAL_CONCURRENCY
    assert target_concurrency(rate=None, latency=None, answered=100, cap=2) == 2


def test_rate_times_latency_with_headroom_is_kept_in_flight() -> None:
    # Little's law: 20 calls/s at 0.5 s each needs 10 in flight; the spread of latency adds a margin.
    assert target_concurrency(rate=20.0, latency=0.5, answered=1000, cap=256) == math.ceil(20 * 0.5 * HEADROOM) + 1
    # Intercom's default limit at 1 s of latency needs more than the hard ceiling allows.
    assert target_concurrency(rate=INTERCOM_RATE, latency=1.0, answered=1000, cap=256) == 256


def test_concurrency_grows_with_latency_and_never_passes_the_cap() -> None:
    latencies = [0.01, 0.05, 0.1, 0.3, 1.0, 3.0]
    uncapped = [target_concurrency(rate=INTERCOM_RATE, latency=lat, answered=10**6, cap=10**6) for lat in latencies]
    assert uncapped == sorted(uncapped)
    assert uncapped[-1] > 10 * uncapped[0]
    capped = [target_concurrency(rate=INTERCOM_RATE, latency=lat, answered=10**6, cap=16) for lat in latencies]
    assert max(capped) == 16
    assert all(c <= 16 for c in capped)


def test_growth_follows_successes_over_a_few_round_trips() -> None:
    steps = [target_concurrency(rate=INTERCOM_RATE, latency=1.0, answered=ok, cap=256) for ok in (1, 2, 4, 8, 32)]
    assert steps == [RAMP, 2 * RAMP, 4 * RAMP, 8 * RAMP, 256]


@given(
    rate=st.one_of(st.none(), st.floats(min_value=0, max_value=1e5)),
    latency=st.one_of(st.none(), st.floats(min_value=0, max_value=600)),
    answered=st.integers(min_value=0, max_value=10**9),
    cap=st.integers(min_value=1, max_value=MAX_CONCURRENCY_LIMIT),
)
def test_target_is_always_between_one_and_the_cap(
    rate: float | None, latency: float | None, answered: int, cap: int
) -> None:
    target = target_concurrency(rate=rate, latency=latency, answered=answered, cap=cap)
    assert 1 <= target <= cap
    assert target <= max(1, RAMP * answered)


def test_allowed_rate_is_the_lower_of_the_limit_and_the_users_ceiling() -> None:
    assert allowed_rate(None, None) is None
    assert allowed_rate(0, None) is None  # a limit of 0 says nothing about a rate
    assert allowed_rate(APP_RATE_LIMIT_PER_WINDOW, None) == pytest.approx(INTERCOM_RATE)
    assert allowed_rate(None, 600) == pytest.approx(10.0)
    assert allowed_rate(APP_RATE_LIMIT_PER_WINDOW, 600) == pytest.approx(10.0)
    assert allowed_rate(APP_RATE_LIMIT_PER_WINDOW, 60_000) == pytest.approx(INTERCOM_RATE)


def test_allowed_rate_follows_a_shorter_window() -> None:
    # A window set for a test server's 1 s windows: 20 per window is 20 per second.
    assert allowed_rate(20, None, window=1.0) == pytest.approx(20.0)
    assert allowed_rate(20, None) == pytest.approx(20 / RATE_LIMIT_WINDOW_SECONDS)


def test_latency_estimate_starts_at_the_first_sample_and_then_moves_slowly() -> None:
    estimator = LatencyEstimator()
    assert estimator.mean is None
    estimator.observe(0.2)
    assert estimator.mean == pytest.approx(0.2)
    estimator.observe(1.2)
    assert estimator.mean == pytest.approx(0.2 + LATENCY_SMOOTHING * 1.0)
    # One outlier moves it a little; a lasting change moves it all the way.
    for _ in range(500):
        estimator.observe(1.0)
    assert estimator.mean == pytest.approx(1.0, rel=1e-3)


@given(st.lists(st.floats(min_value=0, max_value=60), min_size=1, max_size=50))
def test_latency_estimate_stays_within_the_samples(samples: list[float]) -> None:
    estimator = LatencyEstimator()
    for sample in samples:
        estimator.observe(sample)
    assert estimator.mean is not None
    assert min(samples) - 1e-9 <= estimator.mean <= max(samples) + 1e-9


@pytest.mark.parametrize(
    ("rate", "cap", "batches"),
    [
        pytest.param(INTERCOM_RATE, MAX_CONCURRENCY_LIMIT, True, id="Intercom's limit: ~33 sends per wake-up"),
        pytest.param(INTERCOM_RATE, 8, False, id="8 slots: each answer frees the next send"),
        pytest.param(None, MAX_CONCURRENCY_LIMIT, False, id="no limit heard yet"),
        pytest.param(1e8, MAX_CONCURRENCY_LIMIT, False, id="a limit no run reaches"),
    ],
)
def test_the_engine_wakes_in_batches_only_while_a_budget_paces_it_and_the_slots_hold_a_batch(
    rate: float | None, cap: int, batches: bool
) -> None:
    assert wake_interval(rate=rate, cap=cap, slack=0.2) == (0.2 if batches else 0.0)
