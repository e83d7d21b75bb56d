"""What the conversation actions do: state, assignees, tags, parts, searches and refusals."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from airflow_provider_intercom.testing.emulator.markup import to_html
from tests.testing.emulator._support import search_all


def _manage(emu: IntercomEmulator, client: requests.Session, cid: str, **body: Any) -> requests.Response:
    return client.post(f"{emu.url}/conversations/{cid}/parts", json={"admin_id": emu.admin_id, **body})


def _note(emu: IntercomEmulator, client: requests.Session, cid: str, text: str, **extra: Any) -> requests.Response:
    body = {"message_type": "note", "type": "admin", "admin_id": emu.admin_id, "body": text, **extra}
    return client.post(f"{emu.url}/conversations/{cid}/reply", json=body)


def _future(seconds: int = 3600) -> int:
    return int(time.time()) + seconds


def test_close_then_open_then_snooze_changes_state_and_adds_parts(
    emu: IntercomEmulator, client: requests.Session
) -> None:
    before = emu.count_parts("2")
    closed = _manage(emu, client, "2", message_type="close", type="admin", body="Goodbye :)").json()
    assert (closed["state"], closed["open"], closed["snoozed_until"]) == ("closed", False, None)
    until = _future()
    snoozed = _manage(emu, client, "2", message_type="snoozed", snoozed_until=until).json()
    assert (snoozed["state"], snoozed["open"], snoozed["snoozed_until"]) == ("snoozed", True, until)
    opened = _manage(emu, client, "2", message_type="open").json()
    assert (opened["state"], opened["open"], opened["snoozed_until"]) == ("open", True, None)
    parts = emu.parts("2")[before:]
    assert [p["part_type"] for p in parts] == ["close", "snoozed", "open"]
    assert [p["body"] for p in parts] == ["<p>Goodbye :)</p>", None, None]
    assert {p["author"]["id"] for p in parts} == {emu.admin_id}
    assert all(p["created_at"] >= int(time.time()) - 5 for p in parts)
    assert client.get(f"{emu.url}/conversations/2").json()["conversation_parts"]["conversation_parts"][-1] == parts[-1]


def test_assignment_sets_clears_and_reopens(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.set_conversation("3", state="closed")
    team = _manage(emu, client, "3", message_type="assignment", type="team", assignee_id="5017693", body="To you")
    assert team.status_code == 200, team.text
    body = team.json()
    assert (body["state"], body["team_assignee_id"]) == ("open", 5017693)
    last = emu.parts("3")[-1]
    assert (last["part_type"], last["assigned_to"], last["body"]) == (
        "assign_and_reopen",
        {"type": "team", "id": "5017693"},
        "<p>To you</p>",
    )
    cleared = _manage(emu, client, "3", message_type="assignment", type="admin", assignee_id="0").json()
    assert (cleared["admin_assignee_id"], cleared["team_assignee_id"]) == (0, 5017693)
    assert emu.parts("3")[-1]["part_type"] == "assignment"
    assert emu.parts("3")[-1]["assigned_to"] == {"type": "nobody_admin", "id": None}


def test_replies_wake_a_snoozed_conversation_but_leave_a_closed_one(
    emu: IntercomEmulator, client: requests.Session
) -> None:
    emu.set_conversation("4", snoozed_until=_future())
    emu.set_conversation("5", state="closed")
    assert _note(emu, client, "4", "Looked at it").json()["state"] == "open"
    assert _note(emu, client, "5", "Still closed").json()["state"] == "closed"
    comment = {"message_type": "comment", "type": "admin", "admin_id": emu.admin_id, "body": "Hi", "created_at": 1234}
    answer = client.post(f"{emu.url}/conversations/5/reply", json=comment).json()
    last = answer["conversation_parts"]["conversation_parts"][-1]
    assert (last["part_type"], last["body"], last["created_at"]) == ("comment", "<p>Hi</p>", 1234)


def test_tags_attach_as_a_set_and_untagging_twice_is_tag_not_found(
    emu: IntercomEmulator, client: requests.Session
) -> None:
    emu.set_conversation("6", tags=[])
    body = {"id": "84", "admin_id": emu.admin_id}
    first = client.post(f"{emu.url}/conversations/6/tags", json=body).json()
    second = client.post(f"{emu.url}/conversations/6/tags", json=body).json()
    assert first == second
    assert [t["id"] for t in emu.get("6")["tags"]["tags"]] == ["84"]
    url = f"{emu.url}/conversations/6/tags/84"
    assert client.delete(url, json={"admin_id": emu.admin_id}).json()["name"] == "vip"
    missing = client.delete(url, json={"admin_id": emu.admin_id})
    assert (missing.status_code, missing.json()["errors"][0]["code"]) == (404, "tag_not_found")
    assert emu.get("6")["tags"]["tags"] == []


def test_search_sees_what_the_actions_change(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.set_conversation("7", tags=[])
    _manage(emu, client, "7", message_type="snoozed", snoozed_until=_future(7200))
    _manage(emu, client, "7", message_type="assignment", type="admin", assignee_id="991267877")
    client.post(f"{emu.url}/conversations/7/tags", json={"id": "87", "admin_id": emu.admin_id})
    query = {
        "operator": "AND",
        "value": [
            {"field": "state", "operator": "=", "value": "snoozed"},
            {"field": "admin_assignee_id", "operator": "=", "value": 991267877},
            {"field": "tag_ids", "operator": "=", "value": "87"},
            {"field": "snoozed_until", "operator": ">", "value": _future(3600)},
        ],
    }
    ids, _ = search_all(client, emu.url, query)
    assert ids == ["7"]
    _manage(emu, client, "7", message_type="assignment", type="admin", assignee_id="0")
    assert search_all(client, emu.url, query)[0] == []
    unassigned, _ = search_all(client, emu.url, {"field": "admin_assignee_id", "operator": "=", "value": 0})
    assert "7" in unassigned


def test_get_returns_the_500_newest_parts_and_the_true_count(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.add_parts("8", 510, part_type="note")
    _note(emu, client, "8", "The newest")
    shown = client.get(f"{emu.url}/conversations/8").json()["conversation_parts"]
    every = emu.parts("8")
    assert len(every) > 511
    assert shown["total_count"] == len(every)
    assert shown["conversation_parts"] == every[-500:]
    assert shown["conversation_parts"][-1]["body"] == "<p>The newest</p>"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"message_type": "close", "type": "admin"}, 400, "parameter_not_found"),
        ({"message_type": "close", "type": "team", "admin_id": "991267459"}, 400, "parameter_invalid"),
        ({"message_type": "close", "type": "admin", "admin_id": "42"}, 404, "admin_not_found"),
        ({"message_type": "close", "type": "admin", "admin_id": True}, 400, "parameter_invalid"),
        ({"message_type": "open", "admin_id": "991267459", "read": True}, 400, "parameter_invalid"),
        ({"message_type": "snoozed", "admin_id": "991267459"}, 400, "parameter_not_found"),
        ({"message_type": "snoozed", "admin_id": "991267459", "snoozed_until": "soon"}, 400, "parameter_invalid"),
        (
            {"message_type": "assignment", "type": "bot", "admin_id": "991267459", "assignee_id": "1"},
            400,
            "parameter_invalid",
        ),
        (
            {"message_type": "assignment", "type": "admin", "admin_id": "991267459", "assignee_id": "5017691"},
            404,
            "assignee_not_found",
        ),
        ({"message_type": "archive", "admin_id": "991267459"}, 400, "parameter_invalid"),
        ({"admin_id": "991267459"}, 400, "parameter_not_found"),
    ],
)
def test_invalid_manage_requests_change_nothing(
    emu: IntercomEmulator, client: requests.Session, body: dict[str, Any], status: int, code: str
) -> None:
    before = emu.get("9")
    response = client.post(f"{emu.url}/conversations/9/parts", json=body)
    assert (response.status_code, response.json()["errors"][0]["code"]) == (status, code)
    assert emu.get("9") == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message_type": "note", "type": "admin", "admin_id": "991267459"}, "body"),
        ({"message_type": "quick_reply", "type": "admin", "admin_id": "991267459"}, "message_type"),
        ({"message_type": "comment", "type": "user", "intercom_user_id": "x", "body": "Hi"}, "type"),
        (
            {
                "message_type": "note",
                "type": "admin",
                "admin_id": "991267459",
                "body": "x",
                "attachment_urls": ["u"] * 11,
            },
            "attachment_urls",
        ),
    ],
)
def test_invalid_replies_are_refused(
    emu: IntercomEmulator, client: requests.Session, body: dict[str, Any], field: str
) -> None:
    response = client.post(f"{emu.url}/conversations/9/reply", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field


def test_admin_ids_may_be_integers_as_in_the_descriptions_examples(
    emu: IntercomEmulator, client: requests.Session
) -> None:
    response = client.post(
        f"{emu.url}/conversations/10/parts", json={"message_type": "open", "admin_id": int(emu.admin_id)}
    )
    assert response.status_code == 200


def test_html_bodies_are_normalised_and_text_is_escaped() -> None:
    assert to_html("Fish & chips <3") == "<p>Fish &amp; chips &lt;3</p>"
    assert to_html("One\nTwo\n\nThree") == "<p>One<br>Two</p><p>Three</p>"
    assert to_html("<html><body> <p>A</p>  <p>B</p> </body></html>") == "<p>A</p>\n<p>B</p>"
