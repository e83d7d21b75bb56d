"""The one summary schema: every id accounted for, ``counts`` first, and a size that stays small."""

from __future__ import annotations

import json

import pytest

from airflow_provider_intercom.bulk._summary import build_summary, error_entry, progress_line, trim
from airflow_provider_intercom.client import IntercomNotFoundError, IntercomServerError
from airflow_provider_intercom.client.facts import DEFAULT_XCOM_FIELDS

COUNT_KEYS = [
    "total",
    "updated",
    "skipped",
    "failed",
    "resumed",
    "requests",
    "rate_limited_responses",
    "read_backs",
    "elapsed_seconds",
]
ERROR_KEYS = {"id", "reason", "status", "code", "message", "request_id"}


def _conversation(cid: str, *, body_size: int = 0) -> dict[str, object]:
    return {
        "type": "conversation",
        "id": cid,
        "read": True,
        "state": "closed",
        "updated_at": 1767225600,
        "title": "x" * body_size,
        "source": {"body": "<p>" + "y" * body_size + "</p>"},
    }


def _not_found(cid: str) -> IntercomNotFoundError:
    return IntercomNotFoundError(
        "Resource Not Found",
        status=404,
        code="not_found",
        request_id="req-1",
        method="PUT",
        path=f"/conversations/{cid}",
        hint="A long hint that must not be repeated in every entry of the summary. " * 5,
    )


def test_counts_come_first_with_every_key() -> None:
    summary = build_summary(["1"], [("updated", {"id": "1"})], resumed=0, requests=1, rate_limited=0, elapsed=0.5)
    assert list(summary) == ["counts", "updated", "skipped", "failed"]
    assert list(summary["counts"]) == COUNT_KEYS
    # The key order survives JSON, which is how XCom stores it.
    assert list(json.loads(json.dumps(summary))) == ["counts", "updated", "skipped", "failed"]


def test_every_id_is_accounted_for_in_input_order() -> None:
    ids = ["30", "10", "20", "40", "50"]
    outcomes = [
        ("updated", {"id": "30"}),
        ("failed", error_entry("10", _not_found("10"))),
        ("updated", {"id": "20"}),
        ("skipped", error_entry("40", _not_found("40"))),
        None,  # never answered: the run stopped first
    ]
    summary = build_summary(ids, outcomes, resumed=0, requests=7, rate_limited=3, elapsed=1.23456)

    assert [c["id"] for c in summary["updated"]] == ["30", "20"]
    assert [s["id"] for s in summary["skipped"]] == ["40"]
    assert [f["id"] for f in summary["failed"]] == ["10", "50"]
    assert summary["failed"][1]["reason"] == "cancelled"
    assert summary["counts"] == {
        "total": 5,
        "updated": 2,
        "skipped": 1,
        "failed": 2,
        "resumed": 0,
        "requests": 7,
        "rate_limited_responses": 3,
        "read_backs": 0,
        "elapsed_seconds": 1.235,
    }


def test_resumed_ids_are_listed_as_updated_and_counted() -> None:
    outcomes = [("updated", {"id": "1", "resumed": True}), ("updated", {"id": "2", "read": True})]
    summary = build_summary(["1", "2"], outcomes, resumed=1, requests=1, rate_limited=0, elapsed=0.1)
    assert summary["counts"]["updated"] == 2
    assert summary["counts"]["resumed"] == 1
    assert summary["updated"][0] == {"id": "1", "resumed": True}


def test_outcomes_must_match_the_ids() -> None:
    with pytest.raises(ValueError):
        build_summary(["1", "2"], [None], resumed=0, requests=0, rate_limited=0, elapsed=0.0)


def test_an_error_entry_keeps_intercoms_words_without_the_hint() -> None:
    entry = error_entry("7", _not_found("7"))
    assert set(entry) == ERROR_KEYS
    assert entry == {
        "id": "7",
        "reason": "not_found",
        "status": 404,
        "code": "not_found",
        "message": "Resource Not Found",
        "request_id": "req-1",
    }
    server = error_entry("8", IntercomServerError("boom", status=503, code="service_unavailable"))
    assert (server["reason"], server["status"]) == ("server_error", 503)
    cancelled = error_entry("9", None)
    assert set(cancelled) == ERROR_KEYS
    assert (cancelled["reason"], cancelled["status"]) == ("cancelled", None)


def test_xcom_fields_trim_each_conversation() -> None:
    conversation = _conversation("1")
    assert trim(conversation, DEFAULT_XCOM_FIELDS) == {
        "id": "1",
        "read": True,
        "state": "closed",
        "updated_at": 1767225600,
    }
    assert trim(conversation, ("id", "title", "missing")) == {"id": "1", "title": "", "missing": None}
    assert trim(conversation, None) is conversation


def test_a_summary_of_many_ids_stays_small_whatever_the_conversations_hold() -> None:
    # What 20,000 ids cost in XCom: bounded per id by the trimmed fields, not by the conversations.
    total = 20_000
    ids = [str(10**9 + i) for i in range(total)]
    outcomes = [
        ("updated", trim(_conversation(cid, body_size=2_000), DEFAULT_XCOM_FIELDS))
        if i % 10
        else ("failed", error_entry(cid, _not_found(cid)))
        for i, cid in enumerate(ids)
    ]
    summary = build_summary(ids, outcomes, resumed=0, requests=total, rate_limited=0, elapsed=120.0)

    size = len(json.dumps(summary))
    assert summary["counts"]["updated"] == 18_000
    assert summary["counts"]["failed"] == 2_000
    assert size < total * 130, size
    whole = build_summary(
        ids[:100],
        [("updated", _conversation(cid, body_size=2_000)) for cid in ids[:100]],
        resumed=0,
        requests=100,
        rate_limited=0,
        elapsed=1.0,
    )
    # The same test can fail: keeping whole conversations is a hundred times larger per id.
    assert len(json.dumps(whole)) / 100 > 30 * size / total


def test_progress_line_says_what_is_done_and_what_is_left() -> None:
    line = progress_line(done=250, total=1000, elapsed=10.0, rate_limited=3, in_flight=12)
    assert line == (
        "Intercom bulk update: 250/1000 done (25%), 25.0/s, 12 in flight, 3 rate-limited (429) answers, ETA 30s"
    )
    assert progress_line(done=0, total=10, elapsed=0.0, rate_limited=0, in_flight=1).endswith("ETA unknown")
    assert "0/0 done (100%)" in progress_line(done=0, total=0, elapsed=1.0, rate_limited=0, in_flight=0)
