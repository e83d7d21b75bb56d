"""Replies and notes, and a close with a body, posted exactly once in real DAG runs.

Faults are "applied, then failed" (the emulator applies the request, then drops the connection,
answers 502, or answers after the client's timeout) mixed with failures before applying; the
emulator's parts are counted after the run: exactly one message on every conversation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_intercom.client._message import normalize_text
from airflow_provider_intercom.operators._resume_hints import AIRFLOW_LINE
from airflow_provider_intercom.testing.emulator import Fault, IntercomEmulator
from airflow_provider_intercom.testing.emulator.faults import APPLIED_THEN_FAILED
from tests.dags.test_intercom_messages import ADMIN, CLOSING, NOTE
from tests.helpers.dagrun import run_dag
from tests.helpers.spec import request_problems

try:
    from airflow.sdk.execution_time.context import TaskStateStoreAccessor  # noqa: F401

    HAS_STATE_STORE = True
except ImportError:  # Airflow < 3.3
    HAS_STATE_STORE = False

pytestmark = [pytest.mark.dagrun, pytest.mark.usefixtures("airflow_db")]
needs_store = pytest.mark.skipif(
    not HAS_STATE_STORE,
    reason="needs Airflow 3.3+'s task state store: below it, every try reads every conversation back, "
    "so a try cut by the same execution_timeout never gets further (docs/messages.md)",
)
#: Faults of a first attempt: three applied-then-failed kinds, and two that fail before applying.
FAULTS = ["apply_then_reset", "apply_then_status", Fault("apply_then_slow", delay=2.5), "reset", "status"]
TIMEOUT = 1.0


@pytest.fixture(autouse=True)
def connection(intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    # A short request timeout: "applied, then answered too late" is then quick to reach.
    conn = intercom_emulator.airflow_conn_json(timeout=TIMEOUT, max_retries=5)
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", conn)


def _count(emu: IntercomEmulator, cid: str, part_type: str, text: str) -> int:
    """How many parts of the conversation are this message (the seed data has parts of its own)."""
    wanted = normalize_text(text)
    return sum(normalize_text(p["body"] or "") == wanted for p in emu.parts(cid, part_type, author_id=ADMIN))


def _writes(emu: IntercomEmulator, suffix: str) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST" and r.path.endswith(suffix)]


def _applied_then_failed(plan: Any) -> int:
    return sum(1 for kind in plan.faulted.values() if kind in APPLIED_THEN_FAILED)


@pytest.mark.intercom_emulator(conversations=300)
def test_a_bulk_note_under_faults_leaves_exactly_one_note_on_every_conversation(
    intercom_emulator: IntercomEmulator,
) -> None:
    emu = intercom_emulator
    plan = emu.inject_first_attempts(0.3, FAULTS, seed=7, path="/conversations/*/reply")

    result = run_dag("test_intercom_note_bulk")

    assert result.state_of("notes") == "success"
    assert {cid: _count(emu, str(cid), "note", NOTE) for cid in range(1, 301)} == {cid: 1 for cid in range(1, 301)}
    summary = result.xcom("notes")
    counts = summary["counts"]
    assert (counts["total"], counts["updated"], counts["failed"]) == (300, 300, 0)
    verified = [entry["id"] for entry in summary["updated"] if entry.get("verified")]
    # Every message whose answer was lost after Intercom applied it was found, not sent again.
    assert len(verified) == _applied_then_failed(plan) > 0
    assert counts["read_backs"] >= 2 * (len(plan.faulted) - len(verified))
    assert len(_writes(emu, "/reply")) == 300 + len(plan.faulted) - len(verified)


@pytest.mark.intercom_emulator(conversations=100)
def test_a_bulk_close_with_a_body_under_faults_leaves_exactly_one_close_part(
    intercom_emulator: IntercomEmulator,
) -> None:
    emu = intercom_emulator
    for cid in range(1, 101):
        emu.set_conversation(str(cid), state="open")
    plan = emu.inject_first_attempts(0.3, FAULTS, seed=3, path="/conversations/*/parts")

    result = run_dag("test_intercom_close_with_body")

    assert result.state_of("close") == "success"
    assert {cid: _count(emu, str(cid), "close", CLOSING) for cid in range(1, 101)} == {cid: 1 for cid in range(1, 101)}
    assert all(emu.get(str(cid))["state"] == "closed" for cid in range(1, 101))
    counts = result.xcom("close")["counts"]
    assert (counts["updated"], counts["failed"]) == (100, 0)
    assert _applied_then_failed(plan) > 0
    for request in _writes(emu, "/parts")[:20]:
        assert request_problems("/conversations/{conversation_id}/parts", "POST", request.body) == []


@pytest.mark.intercom_emulator(conversations=10)
@pytest.mark.parametrize(
    "fault",
    [Fault("apply_then_reset"), Fault("apply_then_status"), Fault("apply_then_slow", delay=2.5)],
    ids=lambda fault: fault.kind,
)
def test_a_single_reply_whose_answer_is_lost_after_it_was_applied_is_posted_once(
    intercom_emulator: IntercomEmulator, fault: Fault
) -> None:
    emu = intercom_emulator
    emu.inject(fault.kind, path="/conversations/7/reply", delay=fault.delay)

    result = run_dag("test_intercom_reply_single")

    assert result.state_of("reply") == "success"
    assert _count(emu, "7", "comment", "Thanks! We're on it.") == 1
    assert result.xcom("reply") == {"id": "7", "verified": True}
    (write,) = _writes(emu, "/reply")
    assert request_problems("/conversations/{conversation_id}/reply", "POST", write.body) == []
    assert json.loads(json.dumps(result.xcom("reply"))) == result.xcom("reply")


@pytest.mark.intercom_emulator(conversations=12)
def test_generated_replies_post_each_conversation_its_own_body(intercom_emulator: IntercomEmulator) -> None:
    emu = intercom_emulator

    result = run_dag("test_intercom_reply_generated")

    assert result.state_of("replies") == "success"
    for cid in range(1, 13):
        assert _count(emu, str(cid), "comment", f"Hello #{cid}, your refund is on its way.") == 1
    assert _count(emu, "1", "comment", "Hello #2, your refund is on its way.") == 0


def _tries(emu: IntercomEmulator) -> list[list[Any]]:
    """The requests of each try: every try starts with a ``GET /me`` (the DAG's ``pre_execute``)."""
    tries: list[list[Any]] = []
    for request in sorted(emu.requests, key=lambda r: r.received_monotonic):
        if (request.method, request.path) == ("GET", "/me"):
            tries.append([])
        elif tries:
            tries[-1].append(request)
    return tries


@pytest.mark.intercom_emulator(conversations=60)
def test_an_airflow_retry_of_a_bulk_note_run_posts_nothing_twice(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = intercom_emulator
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", emu.airflow_conn_json(timeout=TIMEOUT, max_retries=0))
    emu.inject("status", status=503, path="/conversations/30/reply")  # not applied; the first try fails

    result = run_dag("test_intercom_note_retried")

    assert result.state_of("notes") == "success"
    assert {cid: _count(emu, str(cid), "note", NOTE) for cid in range(1, 61)} == {cid: 1 for cid in range(1, 61)}
    first, second = _tries(emu)
    assert len([r for r in first if r.method == "POST"]) == 60
    # The retry sent only the note that was not posted, after reading back what it could not rule out.
    assert [r.path for r in second if r.method == "POST"] == ["/conversations/30/reply"]
    reads = [r for r in second if r.method == "GET"]
    assert "/conversations/30" in {r.path for r in reads}
    counts = result.xcom("notes")["counts"]
    assert counts["read_backs"] == len(reads)
    if not HAS_STATE_STORE:
        assert len(reads) == 60  # Airflow < 3.3: no record of the first try, so every id is read back


@needs_store
@pytest.mark.intercom_emulator(conversations=600, rate_limit=50, window=1)
def test_a_bulk_note_cut_by_execution_timeout_and_retried_posts_one_note_each(
    intercom_emulator: IntercomEmulator,
) -> None:
    emu = intercom_emulator

    result = run_dag("test_intercom_note_cut")

    assert result.state_of("notes") == "success"
    assert {cid: _count(emu, str(cid), "note", NOTE) for cid in range(1, 601)} == {cid: 1 for cid in range(1, 601)}
    tries = _tries(emu)
    assert len(tries) >= 2
    # A retry reads back only what the write-ahead record says may have been sent unconfirmed:
    # a batch or a few of about a second of sends each (50 here; 20 to 70 reads measured on a quiet
    # machine, 172 on a loaded one), plus what was on the wire; without the record, all 600.
    for retry in tries[1:]:
        reads = [r for r in retry if r.method == "GET" and r.path != "/me"]
        assert len(reads) < 300, len(reads)


def _clear_after_success(emu: IntercomEmulator, monkeypatch: pytest.MonkeyPatch, dag_id: str, task_id: str) -> str:
    """Run the DAG (the task succeeds), clear the task through the REST API, run its next try; its
    output. No message is posted by that try.

    On 3.3 the clear keeps the record the run kept; on 3.4 a plain clear discards it, and the next
    try reads every conversation back instead.
    """
    from tests.operators.test_resume_clear import _clear, _run_again

    result = run_dag(dag_id)
    assert result.state_of(task_id) == "success"
    emu.clear_requests()
    cleared = _clear(monkeypatch, result.run_id, dag_id=dag_id, task_id=task_id, only_failed=False)
    assert cleared.json()["total_entries"] == 1, cleared.text
    out = _run_again(result.run_id, dag_id=dag_id, task_id=task_id)
    assert [r for r in emu.requests if r.method == "POST"] == [], out[-3000:]
    return out


@pytest.mark.skipif(AIRFLOW_LINE < (3, 3), reason="clears a task through Airflow 3's REST API")
@pytest.mark.intercom_emulator(conversations=20)
def test_clearing_a_successful_note_task_posts_nothing_again(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = intercom_emulator

    _clear_after_success(emu, monkeypatch, "test_intercom_note_small", "notes")

    assert {cid: _count(emu, str(cid), "note", NOTE) for cid in range(1, 21)} == {cid: 1 for cid in range(1, 21)}


@pytest.mark.skipif(AIRFLOW_LINE < (3, 3), reason="clears a task through Airflow 3's REST API")
@pytest.mark.intercom_emulator(conversations=10)
def test_clearing_a_successful_single_reply_says_nothing_was_posted_again(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = intercom_emulator

    out = _clear_after_success(emu, monkeypatch, "test_intercom_reply_single", "reply")

    assert _count(emu, "7", "comment", "Thanks! We're on it.") == 1
    if AIRFLOW_LINE == (3, 3):  # on 3.4 a plain clear discards the record: the try reads back instead
        assert "already replied to by an earlier try of this task; nothing was posted again" in out, out[-3000:]
    assert "Intercom bulk" not in out, out[-3000:]  # a single-conversation task says nothing of a bulk run
