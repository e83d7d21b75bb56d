"""The action operators, single and bulk: in real DAG runs, and their refusals before any write."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_intercom.client import IntercomValidationError
from airflow_provider_intercom.exceptions import IntercomPermanentError
from airflow_provider_intercom.operators import (
    IntercomAssignConversationOperator,
    IntercomAssignConversationsOperator,
    IntercomCloseConversationOperator,
    IntercomCloseConversationsOperator,
    IntercomSnoozeConversationOperator,
    IntercomSnoozeConversationsOperator,
    IntercomTagConversationsOperator,
    IntercomUntagConversationsOperator,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.dagrun import run_dag
from tests.helpers.fixtures import FakeTaskInstance, execute, id_range, use_token
from tests.helpers.spec import request_problems

WRITES = {"POST", "PUT", "DELETE"}
#: The description's name of each path the actions write to.
_SPEC_PATHS = (
    (re.compile(r"^/conversations/\d+/parts$"), "/conversations/{conversation_id}/parts"),
    (re.compile(r"^/conversations/\d+/tags$"), "/conversations/{conversation_id}/tags"),
    (re.compile(r"^/conversations/\d+/tags/\d+$"), "/conversations/{conversation_id}/tags/{tag_id}"),
)
SUPPORT_TEAM = "5017691"
AOIFE = "991267653"


def writes(emulator: IntercomEmulator) -> list[Any]:
    """The requests that change something (a search is a POST that changes nothing)."""
    return [r for r in emulator.requests if r.method in WRITES and r.path != "/conversations/search"]


def assert_bodies_documented(emulator: IntercomEmulator) -> None:
    """Every write's body is valid against its operation's 2.16 schema, with no undocumented field."""
    for request in writes(emulator):
        spec_path = next(name for pattern, name in _SPEC_PATHS if pattern.match(request.path))
        assert request_problems(spec_path, request.method, request.body) == [], request.path


def tag_names(emulator: IntercomEmulator, conversation_id: str) -> set[str]:
    return {tag["name"] for tag in emulator.get(conversation_id)["tags"]["tags"]}


# -- In real DAG runs ------------------------------------------------------------------------


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_every_action_runs_in_a_dag_and_sends_only_documented_bodies(intercom_emulator: IntercomEmulator) -> None:
    emulator = intercom_emulator
    for cid in ("1", *id_range(5, 11)):
        emulator.set_conversation(cid, state="open")
    for cid in ("2", *id_range(5, 16)):
        emulator.set_conversation(cid, state="closed")
    emulator.set_conversation("5", tags=[])
    emulator.set_conversation("6", tags=["billing"])
    for cid in id_range(3, 36):
        emulator.set_conversation(cid, tags=["vip"])
    for cid in ("39", "40"):  # they do not carry the tag: untagging them is already done
        emulator.set_conversation(cid, tags=[])
    before = time.time()

    result = run_dag("test_intercom_actions")

    assert set(result.task_states.values()) == {"success"}, result.task_states
    me = emulator.admins()[0]["id"]  # the token's owner: the actor when no admin_id is given
    assert emulator.get("1")["state"] == "closed"
    assert emulator.get("2")["state"] == "open"
    snoozed = emulator.get("3")
    assert snoozed["state"] == "snoozed"
    assert before + 7200 - 5 <= snoozed["snoozed_until"] <= time.time() + 7200 + 5
    assert str(emulator.get("4")["team_assignee_id"]) == SUPPORT_TEAM
    assert emulator.parts("4", "assignment", author_id=AOIFE)  # the operator's admin_id is the actor
    assert tag_names(emulator, "5") == {"Needs-Review"}
    assert tag_names(emulator, "6") == set()
    assert result.xcom("close")["state"] == "closed"  # single operators return the conversation
    assert result.xcom("tag")["name"] == "Needs-Review"  # ... and the tag ones the tag
    assert all(emulator.get(cid)["state"] == "closed" for cid in id_range(5, 11))
    assert all(emulator.get(cid)["state"] == "open" for cid in id_range(5, 16))
    assert all(emulator.get(cid)["state"] == "snoozed" for cid in id_range(5, 21))
    assert all(str(emulator.get(cid)["admin_assignee_id"]) == AOIFE for cid in id_range(5, 26))
    assert all("vip" in tag_names(emulator, cid) for cid in id_range(5, 31))
    assert all("vip" not in tag_names(emulator, cid) for cid in id_range(5, 36))
    assert emulator.parts("11", "close", author_id=me)
    untagged = result.xcom("bulk_untag")
    assert next(iter(untagged)) == "counts"
    assert untagged["counts"]["total"] == 5
    assert sorted(entry["id"] for entry in untagged["skipped"]) == ["39", "40"]
    assert {entry["reason"] for entry in untagged["skipped"]} == {"not_tagged"}
    assert [r for r in emulator.requests if r.path == "/me"], "no admin_id anywhere: GET /me names the actor"
    assert_bodies_documented(emulator)


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
@pytest.mark.intercom_emulator(conversations=300)
def test_a_search_driven_bulk_close_sends_one_close_per_conversation_after_a_dry_run_that_sends_none(
    intercom_emulator: IntercomEmulator,
) -> None:
    for cid in id_range(300):
        intercom_emulator.set_conversation(cid, state="open")

    result = run_dag("test_intercom_close_by_search")

    assert result.state_of("preview") == "success"
    assert result.state_of("close") == "success"
    preview = result.xcom("preview")
    assert preview["dry_run"] is True
    assert preview["counts"]["total"] == 300
    closes = [r for r in writes(intercom_emulator) if r.path.endswith("/parts")]
    assert len(writes(intercom_emulator)) == len(closes) == 300  # the dry run wrote nothing
    assert sorted(r.path.split("/")[2] for r in closes) == sorted(id_range(300))
    assert {r.body["message_type"] for r in closes} == {"close"}
    assert result.xcom("close")["counts"]["updated"] == 300  # the summary schema of every bulk operator
    assert intercom_emulator.conversation_ids({"field": "state", "operator": "=", "value": "open"}) == []


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_the_search_operators_ids_feed_a_bulk_snooze(intercom_emulator: IntercomEmulator) -> None:
    for cid in ("3", "8", "13"):
        intercom_emulator.set_conversation(cid, state="open", tags=["vip"])
    tagged = intercom_emulator.conversation_ids({"field": "tag_ids", "operator": "=", "value": "84"})
    assert {"3", "8", "13"} <= set(tagged)

    result = run_dag("test_intercom_search_then_snooze")

    assert sorted(result.xcom("find")) == sorted(tagged)
    assert sorted(r.path.split("/")[2] for r in writes(intercom_emulator)) == sorted(tagged)
    assert all(intercom_emulator.get(cid)["snoozed_until"] == 1_900_000_000 for cid in tagged)


# -- The actor --------------------------------------------------------------------------------


def test_the_connections_admin_id_is_the_actor_and_no_get_me_is_made(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_token(monkeypatch, intercom_emulator, intercom_emulator.token, admin_id=AOIFE, app_id_code="abc123")

    execute(IntercomCloseConversationOperator(task_id="t", conversation_id="7"))

    assert intercom_emulator.parts("7", "close", author_id=AOIFE)
    assert not [r for r in intercom_emulator.requests if r.path == "/me"]


def test_without_any_admin_id_the_tokens_admin_acts_with_one_get_me_per_task(
    intercom_emulator: IntercomEmulator,
) -> None:
    execute(IntercomCloseConversationsOperator(task_id="t", conversation_ids=id_range(20)))

    me = intercom_emulator.admins()[0]["id"]
    assert all(intercom_emulator.parts(cid, "close", author_id=me) for cid in id_range(20))
    assert len([r for r in intercom_emulator.requests if r.path == "/me"]) == 1


# -- Bad input fails before any write ---------------------------------------------------------

_BAD_INPUT = [
    pytest.param(
        lambda: IntercomSnoozeConversationsOperator(
            task_id="t", conversation_ids=["1"], snoozed_until=datetime.now(UTC) - timedelta(hours=1)
        ),
        r"snoozed_until must be in the future.*minutes ago",
        id="past snoozed_until",
    ),
    pytest.param(
        lambda: IntercomSnoozeConversationOperator(
            task_id="t",
            conversation_id="1",
            snoozed_until=datetime(2030, 1, 1),
        ),
        r"snoozed_until is a naive datetime",
        id="naive snoozed_until",
    ),
    pytest.param(
        lambda: IntercomTagConversationsOperator(task_id="t", conversation_ids=["1"], tag="biling"),
        r"Closest names: 'billing'",
        id="unknown tag",
    ),
    pytest.param(
        lambda: IntercomUntagConversationsOperator(
            task_id="t", search_query={"field": "state", "operator": "=", "value": "open"}, tag="nope"
        ),
        r"tag 'nope' is neither the id nor the name of a tag",
        id="unknown tag, search-driven",
    ),
    pytest.param(
        lambda: IntercomAssignConversationsOperator(task_id="t", conversation_ids=["1"], assignee_id="123"),
        r"assignee_id '123' is not an admin of this workspace",
        id="no such admin",
    ),
    pytest.param(
        lambda: IntercomAssignConversationOperator(
            task_id="t", conversation_id="1", assignee_id="99", assignee_type="team"
        ),
        r"assignee_id '99' is not a team of this workspace",
        id="no such team",
    ),
    pytest.param(
        lambda: IntercomAssignConversationsOperator(
            task_id="t", conversation_ids=["1"], assignee_id="5", assignee_type="bot"
        ),
        r"assignee_type.*(admin|team)",
        id="assignee_type",
    ),
]


@pytest.mark.parametrize(("make", "message"), _BAD_INPUT)
def test_bad_input_fails_before_any_write_and_says_what_to_fix(
    intercom_emulator: IntercomEmulator, make: Any, message: str
) -> None:
    with pytest.raises(IntercomPermanentError, match=message) as info:
        execute(make(), FakeTaskInstance())

    assert isinstance(info.value.error, IntercomValidationError)  # and Airflow does not retry it
    assert "Task 't'" in str(info.value)
    assert writes(intercom_emulator) == []


@pytest.mark.parametrize(
    "targets",
    [{}, {"conversation_ids": ["1"], "search_query": {"field": "state", "operator": "=", "value": "open"}}],
    ids=["neither", "both"],
)
def test_a_bulk_action_needs_exactly_one_of_ids_or_a_search(targets: dict[str, Any]) -> None:
    with pytest.raises(IntercomValidationError, match=r"exactly one of conversation_ids .* or search_query"):
        IntercomCloseConversationsOperator(task_id="t", **targets)


def test_a_dry_run_makes_the_read_only_checks_and_fails_as_the_real_run_would(
    intercom_emulator: IntercomEmulator,
) -> None:
    ok = execute(IntercomTagConversationsOperator(task_id="t", conversation_ids=id_range(4), tag="vip", dry_run=True))
    with pytest.raises(IntercomPermanentError, match="Closest names: 'vip'"):
        execute(IntercomTagConversationsOperator(task_id="t", conversation_ids=id_range(4), tag="vipp", dry_run=True))

    assert ok["counts"] == {"total": 4}
    assert ok["conversation_ids"] == id_range(4)
    assert writes(intercom_emulator) == []
    assert [r.path for r in intercom_emulator.requests].count("/tags") == 2
