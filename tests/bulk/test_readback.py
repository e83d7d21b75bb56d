"""When a message is read back, and what each read-back decides."""

from __future__ import annotations

import pytest

from airflow_provider_intercom.bulk import write_ahead_batch
from airflow_provider_intercom.bulk._readback import READS_AFTER_AMBIGUOUS, after_read, first_read_at


@pytest.mark.parametrize(
    ("sent_at", "timeout", "now", "expected"),
    [(100.0, 30.0, 101.0, 130.0), (100.0, 30.0, 140.0, 140.0), (100.0, 0.5, 100.5, 100.5)],
)
def test_the_first_read_waits_out_the_request_timeout(
    sent_at: float, timeout: float, now: float, expected: float
) -> None:
    assert first_read_at(sent_at, timeout, now) == expected


@pytest.mark.parametrize(
    ("verdict", "reads_left", "step"),
    [
        ("posted", 2, "posted"),
        ("posted", 1, "posted"),
        ("absent", READS_AFTER_AMBIGUOUS, "read_again"),
        ("absent", 1, "send"),
        ("unverifiable", 2, "unverified"),
        ("unverifiable", 1, "unverified"),
    ],
)
def test_after_read(verdict: str, reads_left: int, step: str) -> None:
    assert after_read(verdict, reads_left) == step  # type: ignore[arg-type]


def test_a_message_is_only_resent_after_two_reads_miss_it() -> None:
    reads, step = READS_AFTER_AMBIGUOUS, after_read("absent", READS_AFTER_AMBIGUOUS)
    while step == "read_again":
        reads -= 1
        step = after_read("absent", reads)
    assert (step, READS_AFTER_AMBIGUOUS - reads + 1) == ("send", 2)


@pytest.mark.parametrize(("ceiling", "batch"), [(None, 167), (600.0, 10), (6.0, 1), (1_000_000.0, 167)])
def test_a_write_ahead_batch_is_about_a_second_of_sends(ceiling: float | None, batch: int) -> None:
    assert write_ahead_batch(ceiling) == batch
