"""Action requests: exactly the documented fields, valid against the 2.16 request schemas, checked first."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_intercom.client._actions import (
    ConversationRequest,
    assign_request,
    close_request,
    open_request,
    snooze_request,
    tag_request,
    untag_request,
    update_request,
    validate_admin_id,
)
from airflow_provider_intercom.client._error import IntercomValidationError
from tests.helpers.spec import request_problems

PARTS = "/conversations/{conversation_id}/parts"
TAGS = "/conversations/{conversation_id}/tags"
UNTAG = "/conversations/{conversation_id}/tags/{tag_id}"

REQUESTS: list[tuple[str, ConversationRequest, str, str, dict[str, Any]]] = [
    ("close", close_request("7"), "POST", PARTS, {"message_type": "close", "type": "admin", "admin_id": "7"}),
    ("open", open_request(7), "POST", PARTS, {"message_type": "open", "admin_id": "7"}),
    (
        "snooze",
        snooze_request("7", 1_900_000_000),
        "POST",
        PARTS,
        {"message_type": "snoozed", "admin_id": "7", "snoozed_until": 1_900_000_000},
    ),
    (
        "assign admin",
        assign_request("7", "42"),
        "POST",
        PARTS,
        {"message_type": "assignment", "type": "admin", "admin_id": "7", "assignee_id": "42"},
    ),
    (
        "assign team",
        assign_request("7", 5, "team"),
        "POST",
        PARTS,
        {"message_type": "assignment", "type": "team", "admin_id": "7", "assignee_id": "5"},
    ),
    (
        "unassign",
        assign_request("7", None),
        "POST",
        PARTS,
        {"message_type": "assignment", "type": "admin", "admin_id": "7", "assignee_id": "0"},
    ),
    ("tag", tag_request("7", "102"), "POST", TAGS, {"id": "102", "admin_id": "7"}),
    ("untag", untag_request("7", "102"), "DELETE", UNTAG, {"admin_id": "7"}),
]


@pytest.mark.parametrize(
    ("name", "request_", "method", "spec_path", "expected"), REQUESTS, ids=[r[0] for r in REQUESTS]
)
def test_each_action_sends_exactly_the_documented_fields(
    name: str, request_: ConversationRequest, method: str, spec_path: str, expected: dict[str, Any]
) -> None:
    assert request_.method == method
    assert request_.body == expected
    assert request_problems(spec_path, method, request_.encoded) == []


def test_the_spec_check_catches_an_undocumented_field() -> None:
    # The checker itself must be able to fail: an extra field, and a wrong type.
    assert request_problems(PARTS, "POST", {"message_type": "open", "admin_id": "7", "read": True})
    assert request_problems(PARTS, "POST", {"message_type": "snoozed", "admin_id": "7", "snoozed_until": "soon"})


def test_paths_carry_the_conversation_and_the_tag() -> None:
    assert close_request("7").path_for("123") == "/conversations/123/parts"
    assert untag_request("7", "102").path_for("123") == "/conversations/123/tags/102"
    assert update_request({"read": True}).path_for("9") == "/conversations/9"


def test_untag_of_an_untagged_conversation_counts_as_done() -> None:
    assert untag_request("7", "102").already_done == {"tag_not_found": "not_tagged"}
    assert tag_request("7", "102").already_done == {}


@pytest.mark.parametrize("bad", ["", "abc", "1 2", -1, True, None, 1.5, "../me", "1" * 40])
def test_a_bad_admin_id_is_refused_before_any_request(bad: Any) -> None:
    with pytest.raises(IntercomValidationError, match="admin_id must be an Intercom admin id"):
        validate_admin_id(bad)


@pytest.mark.parametrize("bad", ["user", "", None, "Admin"])
def test_an_assignee_type_other_than_admin_or_team_is_refused(bad: Any) -> None:
    with pytest.raises(IntercomValidationError, match="assignee_type must be 'admin' or 'team'"):
        assign_request("7", "42", bad)


def test_a_bad_assignee_or_tag_id_is_refused() -> None:
    with pytest.raises(IntercomValidationError, match="assignee_id"):
        assign_request("7", "bob")
    with pytest.raises(IntercomValidationError, match="tag id"):
        tag_request("7", "vip")
