"""The engine with messages, over real HTTP against the emulator: write-ahead, read-backs, stops.

No Airflow here: the write-ahead record is a plain callback, as the task state store's adapter is.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from airflow_provider_intercom.bulk import BulkOptions, BulkRun
from airflow_provider_intercom.client._actions import reply_request
from airflow_provider_intercom.client._message import normalize_text
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import FAST_RETRIES, id_range, make_client

ADMIN = "991267653"
TEXT = "Looked into it: fixed."
LOG = logging.getLogger(__name__)


def _notes(emu: IntercomEmulator, cid: str) -> int:
    return sum(normalize_text(p["body"] or "") == TEXT for p in emu.parts(cid, "note", author_id=ADMIN))


def _posts(emu: IntercomEmulator) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST"]


@pytest.mark.intercom_emulator(conversations=120, rate_limit=100, window=1)
def test_no_message_goes_out_before_its_id_is_recorded_as_started(intercom_emulator: IntercomEmulator) -> None:
    emu = intercom_emulator
    records: list[tuple[float, int]] = []

    def write_ahead(upto: int) -> bool:
        records.append((time.monotonic(), upto))
        return True

    ids = id_range(120)
    run = BulkRun(make_client(emu, retry_policy=FAST_RETRIES), BulkOptions(rate_limit_window=1), log=LOG)
    summary = run.run(ids, reply_request(ADMIN, TEXT, "note"), write_ahead=write_ahead, write_ahead_batch=167)

    assert summary["counts"]["updated"] == 120
    for post in _posts(emu):
        index = ids.index(post.path.split("/")[2])
        recorded_before = [upto for at, upto in records if at <= post.received_monotonic]
        assert recorded_before, post.path
        assert index < max(recorded_before), post.path
    # Batches, not one record per message; and about a second of sends each (100/s here).
    assert 2 <= len(records) <= 40, len(records)


@pytest.mark.intercom_emulator(conversations=20)
def test_a_run_whose_write_ahead_fails_stops_and_sends_nothing_unrecorded(intercom_emulator: IntercomEmulator) -> None:
    emu = intercom_emulator
    run = BulkRun(make_client(emu, retry_policy=FAST_RETRIES), BulkOptions(), log=LOG)
    # The store takes the first record (ids below 10), then refuses every other.
    run.run(id_range(20), reply_request(ADMIN, TEXT, "note"), write_ahead=lambda upto: upto <= 10, write_ahead_batch=10)

    assert run.stopped
    assert len(_posts(emu)) <= 10


@pytest.mark.intercom_emulator(conversations=10)
def test_ids_an_earlier_try_may_have_sent_are_read_back_and_only_the_missing_ones_sent(
    intercom_emulator: IntercomEmulator,
) -> None:
    emu = intercom_emulator
    client = make_client(emu, retry_policy=FAST_RETRIES)
    request = reply_request(ADMIN, TEXT, "note")
    started = time.time()
    BulkRun(client, BulkOptions(), log=LOG).run(id_range(4), request)  # "the earlier try": ids 1-4
    emu.clear_requests()

    summary = BulkRun(client, BulkOptions(), log=LOG).run(id_range(10), request, read_below=6, read_after=started)

    assert {cid: _notes(emu, cid) for cid in id_range(10)} == dict.fromkeys(id_range(10), 1)
    assert sorted(r.path for r in emu.requests if r.method == "GET") == sorted(
        f"/conversations/{cid}" for cid in id_range(6)
    )
    assert sorted(int(r.path.split("/")[2]) for r in _posts(emu)) == [5, 6, 7, 8, 9, 10]
    verified = [e["id"] for e in summary["updated"] if e.get("verified")]
    assert (verified, summary["counts"]["read_backs"]) == (id_range(4), 6)


@pytest.mark.intercom_emulator(conversations=3)
def test_a_message_whose_fate_cannot_be_known_is_reported_not_resent(intercom_emulator: IntercomEmulator) -> None:
    emu = intercom_emulator
    emu.inject("apply_then_status", path="/conversations/2/reply")
    emu.inject("status", status=503, path="/conversations/2", times=None)  # every read-back fails

    client = make_client(emu, retry_policy=FAST_RETRIES, timeout=0.5)
    summary = BulkRun(client, BulkOptions(), log=LOG).run(id_range(3), reply_request(ADMIN, TEXT, "note"))

    (failed,) = summary["failed"]
    assert (failed["id"], failed["reason"]) == ("2", "unverified")
    assert "was not sent again" in failed["message"]
    assert _notes(emu, "2") == 1  # posted once by the first attempt, never again


@pytest.mark.intercom_emulator(conversations=3)
def test_a_stop_during_read_backs_ends_promptly_and_posts_nothing_twice(intercom_emulator: IntercomEmulator) -> None:
    emu = intercom_emulator
    emu.inject("apply_then_reset", path="/conversations/*/reply", times=None)
    client = make_client(emu, retry_policy=FAST_RETRIES)
    run = BulkRun(client, BulkOptions(), log=LOG)
    threading.Timer(0.5, run.stop).start()

    started = time.monotonic()
    summary = run.run(id_range(3), reply_request(ADMIN, TEXT, "note"))

    assert time.monotonic() - started < 5
    assert summary["counts"]["failed"] == 3
    # The first message went out and was applied; the stop came while it was being found out about.
    assert _notes(emu, "1") == 1
    assert "it may have been posted" in summary["failed"][0]["message"]
    assert [_notes(emu, cid) for cid in ("2", "3")] == [0, 0]
