"""Latency: fixed, or lognormal with a given median and 95th percentile, reproducible by seed."""

from __future__ import annotations

import statistics
import time

import pytest

from airflow_provider_intercom.testing.emulator import IntercomEmulator, LatencyModel
from tests.testing.emulator._support import session_for


def _percentile(values: list[float], fraction: float) -> float:
    return sorted(values)[int(fraction * len(values))]


def test_lognormal_has_the_requested_median_and_p95() -> None:
    model = LatencyModel(0.3, 0.9, seed=1)
    draws = [model.sample() for _ in range(20_000)]
    assert statistics.median(draws) == pytest.approx(0.3, rel=0.05)
    assert _percentile(draws, 0.95) == pytest.approx(0.9, rel=0.08)
    assert min(draws) > 0


def test_seed_makes_draws_reproducible() -> None:
    first = LatencyModel(0.1, 0.5, seed=7)
    again = LatencyModel(0.1, 0.5, seed=7)
    other = LatencyModel(0.1, 0.5, seed=8)
    sequence = [first.sample() for _ in range(50)]
    assert sequence == [again.sample() for _ in range(50)]
    assert sequence != [other.sample() for _ in range(50)]


def test_without_p95_the_latency_is_fixed() -> None:
    model = LatencyModel(0.25)
    assert {model.sample() for _ in range(20)} == {0.25}
    assert LatencyModel().sample() == 0.0


@pytest.mark.parametrize(("median", "p95"), [(-0.1, None), (0.0, 0.5), (0.5, 0.4)])
def test_invalid_latencies_are_refused(median: float, p95: float | None) -> None:
    with pytest.raises(ValueError):
        LatencyModel(median, p95)
    with pytest.raises(ValueError):
        IntercomEmulator(latency=median, latency_p95=p95)


def test_the_emulator_waits_a_drawn_latency_per_request() -> None:
    with IntercomEmulator(conversations=1, latency=0.02, latency_p95=0.12, latency_seed=3) as emu:
        assert (emu.latency.median, emu.latency.p95) == (0.02, 0.12)
        expected = LatencyModel(0.02, 0.12, seed=3)
        waits = [expected.sample() for _ in range(15)]
        durations = []
        with session_for(emu) as client:
            for _ in range(15):
                started = time.monotonic()
                assert client.get(f"{emu.url}/me").ok
                durations.append(time.monotonic() - started)
        # Each answer takes at least the latency drawn for it (the same seed draws the same ones).
        assert all(took >= wait for took, wait in zip(durations, waits, strict=True))
        assert max(waits) > 2 * min(waits)  # the draws do vary
