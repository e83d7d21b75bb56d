"""The one summary schema: every id accounted for, ``counts`` first, and a size that grows with what needs attention."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_intercom.bulk._outcomes import Outcomes
from airflow_provider_intercom.bulk._summary import build_summary, error_entry, progress_line, trim, updated_ids
from airflow_provider_intercom.client import IntercomNotFoundError, IntercomServerError
from airflow_provider_intercom.client.facts import DEFAULT_XCOM_FIELDS, FULL_SUMMARY_BYTES

COUNT_KEYS = [
    "total",
    "updated",
    "skipped",
    "failed",
    "resumed",
    "verified",
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


def _outcomes(
    ids: list[str], results: list[tuple[str, dict[str, Any]] | None], done: bytes = b"", budget: int | None = None
) -> Outcomes:
    """An Outcomes as the engine leaves it: ("updated" | "failed" | "skipped", entry) per id, or None."""
    outcomes = Outcomes(ids, done, budget=budget)
    for index, result in enumerate(results):
        if result is not None and result[0] == "updated":
            entry = result[1] if outcomes.keeping else None
            outcomes.updated(index, entry, verified=bool(result[1].get("verified")))
        elif result is not None:
            outcomes.ended(index, *result)
    return outcomes


def _summary(outcomes: Outcomes, ids: list[str], **counters: Any) -> dict[str, Any]:
    counters = {"requests": len(ids), "rate_limited": 0, "elapsed": 0.5, **counters}
    return build_summary(ids, outcomes, **counters)


def test_counts_come_first_with_every_key() -> None:
    summary = _summary(_outcomes(["1"], [("updated", {"id": "1"})]), ["1"])
    assert list(summary) == ["counts", "updated_form", "updated", "skipped", "failed"]
    assert list(summary["counts"]) == COUNT_KEYS
    # The key order survives JSON, which is how XCom stores it.
    assert list(json.loads(json.dumps(summary))) == list(summary)


def test_every_id_is_accounted_for_in_input_order() -> None:
    ids = ["30", "10", "20", "40", "50"]
    results = [
        ("updated", {"id": "30"}),
        ("failed", error_entry("10", _not_found("10"))),
        ("updated", {"id": "20"}),
        ("skipped", error_entry("40", _not_found("40"))),
        None,  # never answered: the run stopped first
    ]
    summary = _summary(_outcomes(ids, results), ids, requests=7, rate_limited=3, elapsed=1.23456)

    assert summary["updated_form"] == "full"
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
        "verified": 0,
        "requests": 7,
        "rate_limited_responses": 3,
        "read_backs": 0,
        "elapsed_seconds": 1.235,
    }


def test_an_id_skipped_because_it_was_already_done_is_skipped_not_updated() -> None:
    outcomes = _outcomes(["1", "2"], [("updated", {"id": "1"}), None])
    outcomes.ended(1, "skipped", {"id": "2", "reason": "not_tagged"}, confirmed=True)
    summary = _summary(outcomes, ["1", "2"])
    assert (summary["counts"]["updated"], summary["counts"]["skipped"]) == (1, 1)
    assert summary["skipped"] == [{"id": "2", "reason": "not_tagged"}]


@pytest.mark.parametrize("budget", [None, 10])
def test_resumed_and_verified_ids_are_counted_in_either_form(budget: int | None) -> None:
    ids = ["1", "2", "3", "4"]
    results = [None, ("updated", {"id": "2", "read": True}), ("updated", {"id": "3", "verified": True}), None]
    summary = _summary(_outcomes(ids, results, done=b"\x01\x00\x00\x01", budget=budget), ids)

    counts = summary["counts"]
    assert (counts["updated"], counts["resumed"], counts["verified"], counts["failed"]) == (4, 2, 1, 0)
    if budget is None:
        assert summary["updated_form"] == "full"
        assert summary["updated"] == [
            {"id": "1", "resumed": True},
            {"id": "2", "read": True},
            {"id": "3", "verified": True},
            {"id": "4", "resumed": True},
        ]
    else:  # the per-id detail is in the full form only
        assert (summary["updated_form"], summary["updated"]) == ("ranges", [[0, 3]])


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


def test_failed_and_skipped_entries_stay_small_whatever_the_conversations_hold() -> None:
    # 2,000 failures of 20,000 ids: each failure is listed in full, without the error's long hint.
    total = 20_000
    ids = [str(10**9 + i) for i in range(total)]
    results = [
        ("updated", trim(_conversation(cid, body_size=2_000), DEFAULT_XCOM_FIELDS))
        if i % 10
        else ("failed", error_entry(cid, _not_found(cid)))
        for i, cid in enumerate(ids)
    ]
    summary = _summary(_outcomes(ids, results, budget=FULL_SUMMARY_BYTES), ids)

    assert (summary["counts"]["updated"], summary["counts"]["failed"]) == (18_000, 2_000)
    assert len(summary["updated"]) == 2_000  # one range between each two failures
    assert len(json.dumps(summary)) < 2_000 * 160  # per failure: its entry, and a range


@pytest.mark.parametrize(
    ("total", "fields", "form"),
    [
        (100, DEFAULT_XCOM_FIELDS, "full"),
        (3_000, DEFAULT_XCOM_FIELDS, "full"),
        (5_000, DEFAULT_XCOM_FIELDS, "ranges"),
        (200_000, DEFAULT_XCOM_FIELDS, "ranges"),
        (100, None, "ranges"),  # whole conversations: the budget is bytes, not ids
    ],
)
def test_a_summary_with_nothing_failed_stays_under_512_kb_and_switches_form(
    total: int, fields: tuple[str, ...] | None, form: str
) -> None:
    ids = [str(10**9 + i) for i in range(total)]
    results = [("updated", trim(_conversation(cid, body_size=2_000), fields)) for cid in ids]
    summary = _summary(_outcomes(ids, results, budget=FULL_SUMMARY_BYTES), ids)

    assert summary["updated_form"] == form
    assert len(json.dumps(summary)) < 512 * 1024
    assert summary["counts"]["updated"] == total
    assert updated_ids(summary, ids) == ids


def test_summary_full_lists_every_id_whatever_the_size() -> None:
    ids = [str(10**9 + i) for i in range(5_000)]
    results = [("updated", trim(_conversation(cid), DEFAULT_XCOM_FIELDS)) for cid in ids]
    summary = _summary(_outcomes(ids, results, budget=None), ids)
    assert summary["updated_form"] == "full"
    assert [entry["id"] for entry in summary["updated"]] == ids
    assert len(json.dumps(summary)) > FULL_SUMMARY_BYTES


@pytest.mark.parametrize(
    ("summary", "given", "expected"),
    [
        ({"updated_form": "full", "updated": [{"id": "7"}, {"id": "3", "resumed": True}]}, None, ["7", "3"]),
        ({"updated": [{"id": "7"}]}, None, ["7"]),  # a summary from before the form existed
        ({"updated_form": "ranges", "updated": [[0, 1], [3, 3]], "counts": {"total": 4}}, ["5", "6", "7", "8"],
         ["5", "6", "8"]),
        # Duplicates are dropped as the operator drops them; ints are ids too.
        ({"updated_form": "ranges", "updated": [[1, 2]], "counts": {"total": 3}}, [5, "6", "5", "7"], ["6", "7"]),
        ({"updated_form": "ranges", "updated": [], "counts": {"total": 2}}, ["1", "2"], []),
        ({"updated_form": "ranges", "updated": [[1, 1]], "counts": {"total": 2}}, {"4": "Hi", "3": "Ho"}, ["3"]),
    ],
)  # fmt: skip
def test_updated_ids_reads_either_form(summary: dict[str, Any], given: Any, expected: list[str]) -> None:
    assert updated_ids(summary, given) == expected


@pytest.mark.parametrize(
    ("summary", "given", "match"),
    [
        ({"updated_form": "ranges", "updated": [[0, 1]], "counts": {"total": 2}}, None, "conversation_ids"),
        ({"updated_form": "ranges", "updated": [[0, 1]], "counts": {"total": 2}}, ["1", "2", "3"], "the run had 2"),
        ({"updated_form": "sampled", "updated": []}, None, "unknown updated_form"),
    ],
)
def test_updated_ids_says_what_it_needs(summary: dict[str, Any], given: list[str] | None, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        updated_ids(summary, given)


@pytest.mark.parametrize(
    ("done", "total", "elapsed", "resumed", "rate", "eta"),
    [
        (250, 1000, 10.0, 0, "25.0/s", "ETA 30s"),
        # 589 of them resumed: 200 ids in 10 s is 20/s, whatever an earlier try did.
        (789, 1000, 10.0, 589, "20.0/s", "ETA 11s"),
        (589, 1000, 10.0, 589, "0.0/s", "ETA unknown"),  # nothing done yet in this try
        (0, 10, 0.0, 0, "0.0/s", "ETA unknown"),
    ],
)
def test_progress_rate_and_eta_count_this_tries_work_only(
    done: int, total: int, elapsed: float, resumed: int, rate: str, eta: str
) -> None:
    line = progress_line(done, total, elapsed, rate_limited=3, in_flight=12, resumed=resumed)
    assert f", {rate}, " in line
    assert line.endswith(eta)


def test_progress_line_says_what_is_done_and_what_is_left() -> None:
    line = progress_line(done=250, total=1000, elapsed=10.0, rate_limited=3, in_flight=12)
    assert line == (
        "Intercom bulk update: 250/1000 done (25%), 25.0/s, 12 in flight, 3 rate-limited (429) answers, ETA 30s"
    )
    assert "0/0 done (100%)" in progress_line(done=0, total=0, elapsed=1.0, rate_limited=0, in_flight=0)
