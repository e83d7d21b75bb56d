"""Applied-then-failed faults, and faults planned for a share of first attempts."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
import requests

from airflow_provider_intercom.testing.emulator import Fault, FirstAttemptFaults, IntercomEmulator


def _note(emu: IntercomEmulator) -> dict[str, Any]:
    return {"message_type": "note", "type": "admin", "admin_id": emu.admin_id, "body": "Checked"}


@pytest.mark.parametrize(
    ("method", "path", "body", "part_type"),
    [
        ("POST", "/conversations/3/reply", "note", "note"),
        ("POST", "/conversations/3/parts", {"message_type": "open", "admin_id": "991267459"}, "open"),
    ],
)
def test_apply_then_reset_applies_and_answers_nothing(
    emu: IntercomEmulator, client: requests.Session, method: str, path: str, body: Any, part_type: str
) -> None:
    before = emu.count_parts("3", part_type)
    emu.inject("apply_then_reset", path=path)
    with pytest.raises(requests.ConnectionError):
        client.request(method, f"{emu.url}{path}", json=_note(emu) if body == "note" else body)
    assert emu.count_parts("3", part_type) == before + 1
    assert (emu.requests[-1].status, emu.requests[-1].fault) == (None, "apply_then_reset")


def test_apply_then_status_applies_and_answers_502(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject("apply_then_status", method="POST")
    response = client.post(f"{emu.url}/conversations/4/tags", json={"id": "87", "admin_id": emu.admin_id})
    assert response.status_code == 502
    assert response.json()["errors"][0]["code"] == "server_error"
    assert "87" in [tag["id"] for tag in emu.get("4")["tags"]["tags"]]


def test_apply_then_slow_applies_before_the_client_gives_up(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject("apply_then_slow", delay=1.0)
    before = emu.count_parts("5", "note")
    with pytest.raises(requests.Timeout):
        client.post(f"{emu.url}/conversations/5/reply", json=_note(emu), timeout=0.3)
    # The read-back, on another connection, already sees the note.
    assert emu.count_parts("5", "note") == before + 1
    answered = client.get(f"{emu.url}/conversations/5").json()["conversation_parts"]["conversation_parts"]
    assert answered[-1]["part_type"] == "note"


def test_faults_before_applying_leave_the_conversation_alone(emu: IntercomEmulator, client: requests.Session) -> None:
    before = emu.get("6")
    for kind in ("reset", "status", "html"):
        emu.inject(kind)  # type: ignore[arg-type]
        with contextlib.suppress(requests.ConnectionError):
            client.put(f"{emu.url}/conversations/6", json={"read": not before["read"]})
    assert emu.get("6") == before


def test_apply_then_put_changes_the_conversation(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject("apply_then_status", method="PUT", status=504)
    response = client.put(f"{emu.url}/conversations/6", json={"title": "Applied"})
    assert response.status_code == 504
    assert emu.get("6")["title"] == "Applied"


def test_a_first_attempt_plan_faults_each_target_once_deterministically(
    emu: IntercomEmulator, client: requests.Session
) -> None:
    kinds = ["apply_then_reset", "apply_then_status", Fault("apply_then_slow", delay=0.5), "reset", "status"]
    plan = emu.inject_first_attempts(0.3, kinds, seed=42)
    twin = FirstAttemptFaults(0.3, kinds, seed=42)
    ids = emu.conversation_ids()
    before = {cid: emu.count_parts(cid, "note") for cid in ids}
    for cid in ids:
        for _attempt in range(3):
            try:
                if client.post(f"{emu.url}/conversations/{cid}/reply", json=_note(emu), timeout=0.2).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
    time.sleep(0.6)  # let the slow answers' threads finish
    expected = {
        f"POST /conversations/{cid}/reply" for cid in ids if twin.planned("POST", f"/conversations/{cid}/reply")
    }
    assert set(plan.faulted) == expected
    assert 0 < len(expected) < len(ids)
    assert len(set(plan.faulted.values())) > 1
    for cid in ids:
        target = f"POST /conversations/{cid}/reply"
        applied_once = plan.faulted.get(target, "none") in (
            "none",
            "apply_then_reset",
            "apply_then_status",
            "apply_then_slow",
        )
        added = emu.count_parts(cid, "note") - before[cid]
        # A fault before applying makes the retry the only note; after applying, the retry adds a second.
        assert added == (2 if target in plan.faulted and applied_once else 1), (cid, plan.faulted.get(target))


def test_a_plan_leaves_reads_and_searches_alone(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject_first_attempts(1.0, ["status"])
    assert client.get(f"{emu.url}/conversations/1").status_code == 200
    assert client.post(f"{emu.url}/conversations/search", json={"query": {}}).status_code in (200, 400)
    assert client.put(f"{emu.url}/conversations/1", json={"read": True}).status_code == 500
    assert client.put(f"{emu.url}/conversations/1", json={"read": True}).status_code == 200
    emu.clear_faults()
    assert client.put(f"{emu.url}/conversations/2", json={"read": True}).status_code == 200


@pytest.mark.parametrize(("fraction", "kinds"), [(1.5, ["status"]), (0.3, []), (0.3, ["explode"])])
def test_a_plan_refuses_bad_settings(fraction: float, kinds: list[Any]) -> None:
    with pytest.raises(ValueError):
        FirstAttemptFaults(fraction, kinds)
