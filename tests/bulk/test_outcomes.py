"""Per-id outcomes: a byte per success, an entry per failure, and entries of successes only while they fit."""

from __future__ import annotations

import gc
import tracemalloc

from airflow_provider_intercom.bulk._outcomes import Outcomes
from airflow_provider_intercom.client.facts import FULL_SUMMARY_BYTES


def test_an_id_is_settled_once_confirmed_failed_or_skipped() -> None:
    outcomes = Outcomes(["1", "2", "3", "4"], b"\x00\x00\x00\x01")
    outcomes.updated(0, None)
    outcomes.ended(1, "failed", {"id": "2"})
    assert [outcomes.settled(i) for i in range(4)] == [True, True, False, True]
    assert list(outcomes.attention()) == [(1, "failed", {"id": "2"}), (2, "failed", None)]
    assert list(outcomes.updated_indexes()) == [0, 3]


def test_entries_of_updated_ids_are_kept_while_they_fit_then_dropped() -> None:
    ids = [str(i) for i in range(100)]
    outcomes = Outcomes(ids, budget=200)
    outcomes.updated(0, {"id": "0", "read": True})
    assert outcomes.keeping
    for index in range(1, 100):
        outcomes.updated(index, {"id": ids[index], "read": True} if outcomes.keeping else None)
    assert not outcomes.keeping
    assert list(outcomes.updated_indexes()) == list(range(100))  # every success still counted


def test_resumed_ids_past_the_budget_keep_no_entry() -> None:
    ids = [str(i) for i in range(10_000)]
    assert not Outcomes(ids, b"\x01" * 10_000, budget=FULL_SUMMARY_BYTES).keeping
    assert Outcomes(ids[:10], b"\x01" * 10, budget=FULL_SUMMARY_BYTES).keeping


def _held_after_successes(total: int, budget: int | None) -> int:
    ids = [str(10**9 + i) for i in range(total)]
    gc.collect()
    tracemalloc.start()
    try:
        outcomes = Outcomes(ids, budget=budget)
        for index, cid in enumerate(ids):
            entry = {"id": cid, "read": True, "state": "closed", "updated_at": 1767225600}
            outcomes.updated(index, entry if outcomes.keeping else None)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcomes.total == total
    return held


def test_a_success_costs_about_a_byte_once_past_the_budget() -> None:
    total = 200_000
    # What stays held: the one-byte-per-id flags, not a tuple and a dict per id.
    assert _held_after_successes(total, FULL_SUMMARY_BYTES) < total * 2
    # The same measure can fail: keeping every entry (summary="full") holds hundreds of bytes per id.
    assert _held_after_successes(20_000, None) > 20_000 * 100
