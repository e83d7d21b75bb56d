"""The emulator's store at scale: a million conversations, built when asked for, in little memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.testing.emulator._support import session_for

MILLION = 1_000_000
MB = 1024 * 1024


def _peak_allocated(work: Callable[[], Any]) -> tuple[Any, int]:
    """What ``work`` returns, and the most memory Python had allocated meanwhile above its start."""
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def million() -> Iterator[IntercomEmulator]:
    with IntercomEmulator(conversations=MILLION, seed=4, rate_limit=10**9, record_requests=False) as emulator:
        yield emulator


def test_a_million_conversations_take_little_memory_and_no_time_to_set_up() -> None:
    emulator, peak = _peak_allocated(lambda: IntercomEmulator(conversations=MILLION, seed=4))

    assert peak < 2 * MB
    assert emulator.get(MILLION)["id"] == str(MILLION)
    with pytest.raises(KeyError):
        emulator.get(MILLION + 1)


def test_every_id_of_a_million_is_served_over_http(million: IntercomEmulator) -> None:
    with session_for(million) as http:
        for cid in ("1", "500000", str(MILLION)):
            answer = http.get(f"{million.url}/conversations/{cid}")
            assert answer.status_code == 200
            assert answer.json()["id"] == cid
        for missing in (str(MILLION + 1), "0", "007"):
            assert http.get(f"{million.url}/conversations/{missing}").status_code == 404


def test_a_conversation_is_the_same_whatever_the_size_of_the_store() -> None:
    small = IntercomEmulator(conversations=10, seed=4)
    large = IntercomEmulator(conversations=MILLION, seed=4)
    assert [small.get(cid) for cid in small.conversation_ids()] == [large.get(cid) for cid in range(1, 11)]
    assert small.get(7) != IntercomEmulator(conversations=10, seed=5).get(7)


def test_marking_conversations_read_keeps_a_small_record_of_each(million: IntercomEmulator) -> None:
    marked = range(1, 2001)

    def mark() -> None:
        with session_for(million) as http:
            for number in marked:
                answer = http.put(f"{million.url}/conversations/{number}", json={"read": True, "title": "Done"})
                assert answer.status_code == 200

    _, peak = _peak_allocated(mark)

    # A whole conversation is ~3 KB as JSON, ~20 KB as dicts; its change, ~200 bytes.
    assert peak < len(marked) * 400 + 2 * MB
    assert all(million.get(n)["read"] is True and million.get(n)["title"] == "Done" for n in (1, 1000, 2000))
    assert million.get(2001)["title"] != "Done"


def test_changes_and_deletions_last(million: IntercomEmulator) -> None:
    million.add_parts(42, 3, part_type="note", body="Kept")
    million.set_conversation(42, state="closed", tags=["VIP"])
    with session_for(million) as http:
        assert http.delete(f"{million.url}/conversations/43").status_code == 200
        assert http.get(f"{million.url}/conversations/43").status_code == 404

    after = million.get(42)
    assert [p["body"] for p in after["conversation_parts"]["conversation_parts"][-3:]] == ["<p>Kept</p>"] * 3
    assert (after["state"], [t["name"] for t in after["tags"]["tags"]]) == ("closed", ["VIP"])
    with pytest.raises(KeyError):
        million.get(43)


def test_a_refused_change_leaves_the_conversation_as_it_was() -> None:
    emulator = IntercomEmulator(conversations=5, seed=4)
    before = emulator.get(3)
    with pytest.raises(ValueError):
        emulator.set_conversation(3, read=not before["read"], state="pending")
    assert emulator.get(3) == before


def test_ids_are_listed_without_deleted_ones() -> None:
    emulator = IntercomEmulator(conversations=12, seed=4)
    with emulator, session_for(emulator) as http:
        assert http.delete(f"{emulator.url}/conversations/10").status_code == 200
    assert emulator.conversation_ids() == [str(n) for n in range(1, 13) if n != 10]
