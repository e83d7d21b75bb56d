"""The conversation actions, admins, teams and tags answer as Intercom's full 2.16 description says.

Every request body sent here is valid against its operation's request schema, and every answer
against its response schema. Error answers whose status the description does not document for an
operation are allowed only by name, in :data:`ERRORS_NOT_DOCUMENTED`, with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from airflow_provider_intercom.testing.emulator.markup import to_html
from tests.testing.emulator._contract import Contract

PARTS = "/conversations/{conversation_id}/parts"
REPLY = "/conversations/{conversation_id}/reply"
TAGS = "/conversations/{conversation_id}/tags"
UNTAG = "/conversations/{conversation_id}/tags/{tag_id}"
#: (operation path, method, status, code) -> why the emulator answers it though it is undocumented.
ERRORS_NOT_DOCUMENTED: dict[tuple[str, str, int, str], str] = {
    (PARTS, "POST", 400, "parameter_invalid"): "a past snoozed_until is a 400 (intercom-ruby PR #384); bad fields",
    (PARTS, "POST", 400, "parameter_not_found"): "a missing required field",
    (REPLY, "POST", 400, "parameter_invalid"): "a reply without a body, or with more than 10 attachment_urls",
    (TAGS, "POST", 400, "parameter_not_found"): "a missing admin_id",
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[IntercomEmulator]:
    with IntercomEmulator(conversations=40, seed=9) as emu:
        yield emu


@pytest.fixture
def session(emulator: IntercomEmulator) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {emulator.token}"
        yield s


def _send(
    emulator: IntercomEmulator,
    session: requests.Session,
    contract: Contract,
    spec_path: str,
    method: str,
    url_path: str,
    body: dict[str, Any],
) -> tuple[requests.Response, Any]:
    assert contract.request_errors(spec_path, method, body) == [], body
    response = session.request(method, f"{emulator.url}{url_path}", json=body)
    if response.status_code >= 400 and not contract.documented(spec_path, method, response.status_code):
        code = response.json()["errors"][0]["code"]
        assert (spec_path, method, response.status_code, code) in ERRORS_NOT_DOCUMENTED, response.text
    return response, contract.check(spec_path, response)


def _example(full_spec: dict[str, Any], path: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A named example's request body and response of an operation of the description."""
    operation = full_spec["paths"][path]["post"]
    requests_ = operation["requestBody"]["content"]["application/json"]["examples"]
    answers = operation["responses"]["200"]["content"]["application/json"]["examples"]
    request = next(e["value"] for e in requests_.values() if e["summary"] == name)
    return request, answers[name]["value"]


@pytest.mark.parametrize(
    ("path", "name"), [(PARTS, "Close a conversation"), (REPLY, "Admin Reply with a Note")], ids=["close", "note"]
)
def test_bodies_come_back_as_the_descriptions_examples_show(full_spec: dict[str, Any], path: str, name: str) -> None:
    request, answer = _example(full_spec, path, name)
    assert to_html(request["body"]) == answer["conversation_parts"]["conversation_parts"][-1]["body"]


def test_close_snooze_open_assign_conform(
    emulator: IntercomEmulator, session: requests.Session, contract: Contract
) -> None:
    admin = emulator.admin_id
    url = "/conversations/3/parts"
    snooze = int(time.time()) + 3600
    steps: list[tuple[dict[str, Any], str, str]] = [
        ({"message_type": "close", "type": "admin", "admin_id": admin, "body": "Goodbye :)"}, "closed", "close"),
        ({"message_type": "snoozed", "admin_id": admin, "snoozed_until": snooze}, "snoozed", "snoozed"),
        ({"message_type": "open", "admin_id": admin}, "open", "open"),
        (
            {"message_type": "assignment", "type": "team", "admin_id": admin, "assignee_id": "5017692", "body": "Over"},
            "open",
            "assignment",
        ),
        ({"message_type": "assignment", "type": "admin", "admin_id": admin, "assignee_id": "0"}, "open", "assignment"),
    ]
    for body, state, part_type in steps:
        response, answer = _send(emulator, session, contract, PARTS, "POST", url, body)
        assert response.status_code == 200, response.text
        assert answer["state"] == state
        assert answer["conversation_parts"]["conversation_parts"][-1]["part_type"] == part_type
    assert (answer["team_assignee_id"], answer["admin_assignee_id"]) == (5017692, 0)


def test_assigning_a_closed_conversation_conforms(
    emulator: IntercomEmulator, session: requests.Session, contract: Contract
) -> None:
    emulator.set_conversation("4", state="closed")
    body = {"message_type": "assignment", "type": "admin", "admin_id": emulator.admin_id, "assignee_id": "991267801"}
    _, answer = _send(emulator, session, contract, PARTS, "POST", "/conversations/4/parts", body)
    assert (answer["state"], answer["open"], answer["admin_assignee_id"]) == ("open", True, 991267801)
    last = answer["conversation_parts"]["conversation_parts"][-1]
    assert (last["part_type"], last["assigned_to"]) == ("assign_and_reopen", {"type": "admin", "id": "991267801"})


def test_replies_conform(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    base = {"type": "admin", "admin_id": emulator.admin_id}
    comment = {**base, "message_type": "comment", "body": "Hi", "created_at": 1_700_000_000, "skip_notifications": True}
    note = {**base, "message_type": "note", "body": "<p>Internal</p>", "attachment_urls": ["https://x.example/a.png"]}
    for body in (comment, note):
        response, answer = _send(emulator, session, contract, REPLY, "POST", "/conversations/5/reply", body)
        assert response.status_code == 200, response.text
    parts = answer["conversation_parts"]["conversation_parts"]
    assert [p["part_type"] for p in parts[-2:]] == ["comment", "note"]
    assert parts[-2]["created_at"] == 1_700_000_000
    assert parts[-1]["attachments"][0]["url"] == "https://x.example/a.png"


def test_tags_conform(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    admin = emulator.admin_id
    _, tag = _send(emulator, session, contract, TAGS, "POST", "/conversations/6/tags", {"id": "87", "admin_id": admin})
    assert (tag["id"], tag["name"], tag["applied_by"]["id"]) == ("87", "Needs-Review", admin)
    response, removed = _send(
        emulator, session, contract, UNTAG, "DELETE", "/conversations/6/tags/87", {"admin_id": admin}
    )
    assert response.status_code == 200
    assert removed["id"] == "87"
    again, error = _send(emulator, session, contract, UNTAG, "DELETE", "/conversations/6/tags/87", {"admin_id": admin})
    assert again.status_code == 404
    assert error["errors"][0] == {"code": "tag_not_found", "message": "Tag not found"}


@pytest.mark.parametrize(("path", "key"), [("/admins", "admins"), ("/teams", "teams"), ("/tags", "data")])
def test_workspace_lists_conform(
    emulator: IntercomEmulator, session: requests.Session, contract: Contract, path: str, key: str
) -> None:
    body = contract.check(path, session.get(f"{emulator.url}{path}"))
    assert len(body[key]) >= 3


def _error_case(spec_path: str, method: str, url: str, body: dict[str, Any], status: int, code: str) -> Any:
    return pytest.param(spec_path, method, url, body, status, code, id=f"{status}-{code}-{url}")


ADMIN = "991267459"


@pytest.mark.parametrize(
    ("spec_path", "method", "url", "body", "status", "code"),
    [
        _error_case(
            PARTS, "POST", "/conversations/999/parts", {"message_type": "open", "admin_id": ADMIN}, 404, "not_found"
        ),
        _error_case(
            PARTS, "POST", "/conversations/1/parts", {"message_type": "open", "admin_id": "1"}, 404, "admin_not_found"
        ),
        _error_case(
            PARTS,
            "POST",
            "/conversations/1/parts",
            {"message_type": "assignment", "type": "team", "admin_id": ADMIN, "assignee_id": "991267459"},
            404,
            "assignee_not_found",
        ),
        _error_case(
            PARTS,
            "POST",
            "/conversations/1/parts",
            {"message_type": "snoozed", "admin_id": ADMIN, "snoozed_until": 1_000_000_000},
            400,
            "parameter_invalid",
        ),
        _error_case(
            REPLY,
            "POST",
            "/conversations/999/reply",
            {"message_type": "note", "type": "admin", "admin_id": ADMIN, "body": "x"},
            404,
            "not_found",
        ),
        _error_case(TAGS, "POST", "/conversations/999/tags", {"id": "81", "admin_id": ADMIN}, 404, "not_found"),
        _error_case(TAGS, "POST", "/conversations/1/tags", {"id": "9999", "admin_id": ADMIN}, 404, "tag_not_found"),
        _error_case(UNTAG, "DELETE", "/conversations/999/tags/81", {"admin_id": ADMIN}, 404, "not_found"),
    ],
)
def test_error_answers_conform(
    emulator: IntercomEmulator,
    session: requests.Session,
    contract: Contract,
    spec_path: str,
    method: str,
    url: str,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    response, answer = _send(emulator, session, contract, spec_path, method, url, body)
    assert response.status_code == status
    assert answer["errors"][0]["code"] == code


@pytest.mark.parametrize(
    ("spec_path", "url", "body", "code"),
    [
        (PARTS, "/conversations/1/parts", {"message_type": "close", "type": "admin"}, "parameter_not_found"),
        (PARTS, "/conversations/1/parts", {"message_type": "reopen", "admin_id": ADMIN}, "parameter_invalid"),
        (
            REPLY,
            "/conversations/1/reply",
            {"message_type": "note", "type": "admin", "admin_id": ADMIN},
            "parameter_invalid",
        ),
        (TAGS, "/conversations/1/tags", {"id": "81"}, "parameter_not_found"),
    ],
)
def test_invalid_bodies_are_error_lists(
    emulator: IntercomEmulator,
    session: requests.Session,
    contract: Contract,
    spec_path: str,
    url: str,
    body: Any,
    code: str,
) -> None:
    # These bodies break the request schema on purpose: Intercom must refuse them.
    response = session.post(f"{emulator.url}{url}", json=body)
    assert response.status_code == 400
    assert (spec_path, "POST", 400, code) in ERRORS_NOT_DOCUMENTED
    assert contract.check(spec_path, response)["errors"][0]["code"] == code
