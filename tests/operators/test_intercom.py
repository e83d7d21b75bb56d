"""The single-conversation operators: exact request bodies, checks before any request, errors.

Errors no retry can fix are raised as :class:`IntercomPermanentError` (an ``AirflowFailException``),
so Airflow fails the task without retrying; the others are raised as they are.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_intercom.exceptions import (
    IntercomAuthError,
    IntercomError,
    IntercomForbiddenError,
    IntercomNotFoundError,
    IntercomPermanentError,
    IntercomServerError,
    IntercomValidationError,
)
from airflow_provider_intercom.links import CONVERSATION_URL_XCOM_KEY
from airflow_provider_intercom.operators.intercom import (
    IntercomMarkConversationReadOperator,
    IntercomUpdateConversationOperator,
    IntercomUpdateConversationsOperator,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.dagrun import run_dag
from tests.helpers.emulator_log import puts
from tests.helpers.fixtures import FakeTaskInstance

SINGLE_OPERATORS = (IntercomUpdateConversationOperator, IntercomMarkConversationReadOperator)


def _bodies(emulator: IntercomEmulator) -> list[tuple[str, Any]]:
    return [(r.path, r.body) for r in puts(emulator)]


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        ({"read": False}, {"read": False}),
        ({"title": "Refund sent"}, {"title": "Refund sent"}),
        (
            {"custom_attributes": {"issue_type": "Billing", "seats": 12, "score": 0.5, "vip": True}},
            {"custom_attributes": {"issue_type": "Billing", "seats": 12, "score": 0.5, "vip": True}},
        ),
        ({"company_id": "6762f1"}, {"company_id": "6762f1"}),
        ({"remove_company": True}, {"company_id": None}),
        (
            {"read": True, "title": "", "custom_attributes": {"reviewed_at": 1767225600}},
            {"read": True, "title": "", "custom_attributes": {"reviewed_at": 1767225600}},
        ),
    ],
)
def test_update_sends_exactly_the_fields_given(
    intercom_emulator: IntercomEmulator, fields: dict[str, Any], body: dict[str, Any]
) -> None:
    ti = FakeTaskInstance()

    conversation = IntercomUpdateConversationOperator(task_id="t", conversation_id=3, **fields).execute({"ti": ti})  # type: ignore[arg-type]

    assert _bodies(intercom_emulator) == [("/conversations/3", body)]
    assert conversation == intercom_emulator.get("3")
    if "company_id" in body:
        assert conversation.get("company", {}).get("id") == body["company_id"]
    url = f"https://app.intercom.com/a/inbox/{intercom_emulator.app_id_code}/inbox/conversation/3"
    assert ti.pushed == {CONVERSATION_URL_XCOM_KEY: url}


def test_mark_read_sends_read_true_and_nothing_else(intercom_emulator: IntercomEmulator) -> None:
    conversation = IntercomMarkConversationReadOperator(task_id="t", conversation_id="4").execute(
        {"ti": FakeTaskInstance()}  # type: ignore[arg-type]
    )
    assert _bodies(intercom_emulator) == [("/conversations/4", {"read": True})]
    assert conversation["read"] is True


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "is empty: give at least one of"),
        ({"read": "yes"}, "read must be true or false"),
        ({"title": 5}, "title must be a string"),
        ({"custom_attributes": {}}, "custom_attributes must be a non-empty dict"),
        ({"custom_attributes": {"tags": ["a"]}}, "custom attribute 'tags' must be a string, integer"),
        ({"custom_attributes": {"score": float("nan")}}, "Intercom accepts only finite numbers"),
        ({"custom_attributes": {" ": 1}}, "names must be non-empty strings"),
        ({"company_id": ""}, "company_id must be the company's Intercom id"),
        ({"company_id": "1", "remove_company": True}, "not both"),
        ({"remove_company": "yes"}, "remove_company must be true or false"),
    ],
)
def test_bad_fields_are_refused_before_any_request(
    intercom_emulator: IntercomEmulator, fields: dict[str, Any], message: str
) -> None:
    op = IntercomUpdateConversationOperator(task_id="t", conversation_id="1", **fields)
    with pytest.raises(IntercomPermanentError, match=message) as info:
        op.execute({"ti": FakeTaskInstance()})  # type: ignore[arg-type]
    assert isinstance(info.value.error, IntercomValidationError)
    assert "Task 't'" in str(info.value)
    assert intercom_emulator.requests == []


@pytest.mark.parametrize(
    "bad", [None, "", " ", "abc", "12a", "-5", 1.5, True, "../me", "1/../../me", "1?x=y", "1\n2", "9" * 40]
)
@pytest.mark.parametrize("operator", SINGLE_OPERATORS)
def test_bad_ids_are_refused_before_any_request(
    intercom_emulator: IntercomEmulator, operator: type[IntercomUpdateConversationOperator], bad: Any
) -> None:
    kwargs = {"read": True} if operator is IntercomUpdateConversationOperator else {}
    op = operator(task_id="t", conversation_id=bad, **kwargs)
    with pytest.raises(IntercomPermanentError, match="conversation_id"):
        op.execute({"ti": FakeTaskInstance()})  # type: ignore[arg-type]
    assert intercom_emulator.requests == []


def test_templated_fields_render(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomUpdateConversationOperator(
        task_id="t",
        conversation_id="{{ params.cid }}",
        title="Reviewed on {{ ds }}",
        custom_attributes={"batch": "{{ params.batch }}", "seats": 3},
        company_id="{{ params.company }}",
        intercom_conn_id="{{ params.conn }}",
    )
    op.render_template_fields(
        {"params": {"cid": "7", "batch": "b-42", "company": "c-9", "conn": "intercom_default"}, "ds": "2026-01-02"}  # type: ignore[arg-type]
    )
    op.execute({"ti": FakeTaskInstance()})  # type: ignore[arg-type]

    assert _bodies(intercom_emulator) == [
        (
            "/conversations/7",
            {
                "title": "Reviewed on 2026-01-02",
                "custom_attributes": {"batch": "b-42", "seats": 3},
                "company_id": "c-9",
            },
        )
    ]


def test_operator_init_reads_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_intercom.hooks.intercom import IntercomHook

    monkeypatch.setattr(IntercomHook, "get_connection", staticmethod(lambda conn_id: pytest.fail("read at parse time")))
    IntercomMarkConversationReadOperator(task_id="a", conversation_id="1", intercom_conn_id="nope")
    IntercomUpdateConversationOperator(task_id="b", conversation_id="1", title="x", intercom_conn_id="nope")


# -- Errors: permanent ones skip Airflow's retries ---------------------------------------------


@pytest.mark.parametrize(
    ("fault", "error", "permanent", "requests"),
    [
        ({"status": 401, "code": "unauthorized", "message": "Access Token Invalid"}, IntercomAuthError, True, 1),
        ({"status": 403, "code": "api_plan_restricted"}, IntercomForbiddenError, True, 1),
        ({"status": 404, "code": "not_found"}, IntercomNotFoundError, True, 1),
        ({"status": 400, "code": "parameter_invalid", "field": "read"}, IntercomError, True, 1),
        ({"status": 503}, IntercomServerError, False, 2),
    ],
)
def test_errors_no_retry_can_fix_fail_the_task_at_once(
    intercom_emulator: IntercomEmulator,
    monkeypatch: pytest.MonkeyPatch,
    fault: dict[str, Any],
    error: type[IntercomError],
    permanent: bool,
    requests: int,
) -> None:
    from airflow_provider_intercom._compat import AirflowFailException

    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", intercom_emulator.airflow_conn_json(max_retries=1))
    intercom_emulator.inject("status", path="/conversations/3", times=None, **fault)
    op = IntercomMarkConversationReadOperator(task_id="t", conversation_id="3")

    with pytest.raises((IntercomError, IntercomPermanentError)) as info:
        op.execute({"ti": FakeTaskInstance()})  # type: ignore[arg-type]

    raised = info.value
    assert isinstance(raised, AirflowFailException) is permanent
    cause = raised.error if isinstance(raised, IntercomPermanentError) else raised
    assert isinstance(cause, error)
    assert raised.__cause__ is (cause if permanent else None)  # never its own cause
    assert str(fault["status"]) in str(raised)
    assert len(intercom_emulator.requests) == requests


def test_the_link_lookup_makes_one_quick_attempt(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    ti = FakeTaskInstance()
    conversation = IntercomMarkConversationReadOperator(task_id="t", conversation_id="3").execute({"ti": ti})  # type: ignore[arg-type]
    assert conversation["read"] is True  # the work is done; only the link is missing
    assert ti.pushed == {}
    assert [r.path for r in intercom_emulator.requests] == ["/conversations/3", "/me"]


@pytest.mark.parametrize(
    ("extra", "fields", "message"),
    [
        ({}, {"password": ""}, "has no access token"),
        ({"region": "mars"}, {}, "unknown extra 'region'"),
        ({"timeout": "soon"}, {}, "non-numeric extra 'timeout'"),
        ({"timeout": -3}, {}, "positive number of seconds"),
        ({"api_version": "latest"}, {}, "unknown extra 'api_version'"),
        ({}, {"host": "http://intercom.example.com"}, "plain-http Host"),
    ],
)
def test_a_bad_connection_fails_before_any_request(
    intercom_emulator: IntercomEmulator,
    monkeypatch: pytest.MonkeyPatch,
    extra: dict[str, Any],
    fields: dict[str, Any],
    message: str,
) -> None:
    conn = json.loads(intercom_emulator.airflow_conn_json(**extra))
    conn.update(fields)
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_BAD", json.dumps(conn))
    for op in _single_and_bulk("intercom_bad"):
        with pytest.raises(IntercomPermanentError, match=message) as info:
            op.execute({"ti": FakeTaskInstance()})  # type: ignore[arg-type]
        assert "'intercom_bad'" in str(info.value)
    assert intercom_emulator.requests == []


def test_a_missing_connection_fails_before_any_request(intercom_emulator: IntercomEmulator) -> None:
    for op in _single_and_bulk("intercom_missing"):
        with pytest.raises(IntercomPermanentError, match="'intercom_missing' is not defined"):
            op.execute({"ti": FakeTaskInstance()})  # type: ignore[arg-type]
    assert intercom_emulator.requests == []


def _single_and_bulk(conn_id: str) -> list[IntercomUpdateConversationOperator | IntercomUpdateConversationsOperator]:
    """A single and a bulk operator on ``conn_id``: the connection is read the same way by both."""
    return [
        IntercomMarkConversationReadOperator(task_id="a", conversation_id="1", intercom_conn_id=conn_id),
        IntercomUpdateConversationsOperator(task_id="b", conversation_ids=["1"], title="x", intercom_conn_id=conn_id),
    ]


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_a_users_mapped_dag_gets_each_conversation_in_xcom(intercom_emulator: IntercomEmulator) -> None:
    result = run_dag("test_intercom_mapped")

    assert result.state == "success"
    assert [result.state_of("mark", i) for i in range(3)] == ["success"] * 3
    assert result.xcom("mark", map_index=1) == intercom_emulator.get("4")
    assert result.xcom("collect") == ["2", "4", "6"]
    assert sorted(r.path for r in puts(intercom_emulator)) == [f"/conversations/{i}" for i in (2, 4, 6)]
