"""The bulk update operators: request bodies, checks before any request, the summary and failures.

The engine itself is tested in tests/bulk; here is what the operators add: validation, the search,
the summary as XCom, and which failures Airflow may retry. Airflow's stops and real DAG runs are in
test_bulk_airflow.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_intercom.exceptions import (
    IntercomAuthError,
    IntercomError,
    IntercomForbiddenError,
    IntercomPermanentError,
    IntercomValidationError,
)
from airflow_provider_intercom.operators.bulk import (
    IntercomMarkConversationsReadOperator,
    IntercomUpdateConversationsOperator,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.emulator_log import peak_in_flight, put_ids, puts
from tests.helpers.fixtures import FakeTaskInstance, execute, id_range, use_token

BULK_OPERATORS = (IntercomUpdateConversationsOperator, IntercomMarkConversationsReadOperator)


@pytest.fixture
def fast_connection(intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch) -> IntercomEmulator:
    """``intercom_default`` on the emulator with one retry, so that failures are quick."""
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", intercom_emulator.airflow_conn_json(max_retries=1))
    return intercom_emulator


# -- Request bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        ({"read": False}, {"read": False}),
        ({"title": "Escalated"}, {"title": "Escalated"}),
        (
            {"custom_attributes": {"batch": "b1", "seats": 3, "vip": False}},
            {"custom_attributes": {"batch": "b1", "seats": 3, "vip": False}},
        ),
        ({"company_id": "6762f1"}, {"company_id": "6762f1"}),
        ({"remove_company": True}, {"company_id": None}),
        ({"read": True, "title": "Done", "company_id": "c-1"}, {"read": True, "title": "Done", "company_id": "c-1"}),
    ],
)
def test_every_put_carries_exactly_the_fields_given(
    intercom_emulator: IntercomEmulator, fields: dict[str, Any], body: dict[str, Any]
) -> None:
    summary = execute(IntercomUpdateConversationsOperator(task_id="t", conversation_ids=["3", 5, "8"], **fields))

    assert sorted((r.path, json.dumps(r.body, sort_keys=True)) for r in puts(intercom_emulator)) == [
        (f"/conversations/{cid}", json.dumps(body, sort_keys=True)) for cid in ("3", "5", "8")
    ]
    assert [c["id"] for c in summary["updated"]] == ["3", "5", "8"]
    if "title" in body:
        assert all(intercom_emulator.get(cid)["title"] == body["title"] for cid in ("3", "5", "8"))


def test_mark_read_sends_read_true_and_nothing_else(intercom_emulator: IntercomEmulator) -> None:
    execute(IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=["1", "2"]))
    assert [r.body for r in puts(intercom_emulator)] == [{"read": True}, {"read": True}]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "is empty: give at least one of"),
        ({"read": "yes"}, "read must be true or false"),
        ({"custom_attributes": {"tags": ["a"]}}, "custom attribute 'tags' must be a string, integer"),
        ({"company_id": "1", "remove_company": True}, "not both"),
    ],
)
def test_bad_fields_are_refused_before_any_request(
    intercom_emulator: IntercomEmulator, fields: dict[str, Any], message: str
) -> None:
    op = IntercomUpdateConversationsOperator(task_id="t", conversation_ids=["1"], **fields)
    with pytest.raises(IntercomPermanentError, match=message) as info:
        execute(op)
    assert isinstance(info.value.error, IntercomValidationError)
    assert intercom_emulator.requests == []


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "is empty"),
        (["1", "x", "2"], r"conversation_ids\[1\]"),
        ({"1": "2"}, "must be a list"),
        ("1,2,3", "XComArg"),
        ("{{ ti.xcom_pull('up') }}", "render_template_as_native_obj"),
        (42, "must be a list"),
    ],
)
def test_bad_collections_are_refused_before_any_request(
    intercom_emulator: IntercomEmulator, ids: Any, message: str
) -> None:
    with pytest.raises(IntercomPermanentError, match=message):
        execute(IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=ids))
    assert intercom_emulator.requests == []


def test_an_invalid_search_query_is_refused_before_any_request(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(
        task_id="t", search_query={"field": "state", "operator": "LIKE", "value": "x"}
    )
    with pytest.raises(IntercomPermanentError, match="not an Intercom search operator"):
        execute(op)
    assert intercom_emulator.requests == []


def test_templated_fields_render(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomUpdateConversationsOperator(
        task_id="t",
        search_query={"field": "state", "operator": "=", "value": "{{ params.state }}"},
        title="Review {{ ds }}",
        custom_attributes={"batch": "{{ params.batch }}"},
        company_id="{{ params.company }}",
    )
    op.render_template_fields({"params": {"state": "snoozed", "batch": "b-7", "company": "c-2"}, "ds": "2026-01-02"})  # type: ignore[arg-type]

    summary = execute(op)

    snoozed = [cid for cid in intercom_emulator.conversation_ids() if intercom_emulator.get(cid)["state"] == "snoozed"]
    assert snoozed
    search = [r for r in intercom_emulator.requests if r.method == "POST"]
    assert search[0].body["query"] == {"field": "state", "operator": "=", "value": "snoozed"}
    assert sorted(put_ids(intercom_emulator)) == sorted(snoozed)
    assert {json.dumps(r.body, sort_keys=True) for r in puts(intercom_emulator)} == {
        json.dumps(
            {"title": "Review 2026-01-02", "custom_attributes": {"batch": "b-7"}, "company_id": "c-2"}, sort_keys=True
        )
    }
    assert summary["counts"]["updated"] == len(snoozed)


# -- Arguments checked at parse time -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"conversation_ids": ["1"], "search_query": {"field": "id", "operator": "=", "value": "1"}}, "exactly one of"),
        ({"conversation_ids": ["1"], "max_concurrency": 0}, "max_concurrency must be an int from 1 to 256"),
        ({"conversation_ids": ["1"], "max_concurrency": 257}, "max_concurrency must be an int from 1 to 256"),
        ({"conversation_ids": ["1"], "max_concurrency": True}, "max_concurrency must be an int"),
        ({"conversation_ids": ["1"], "max_concurrency": 2.5}, "max_concurrency must be an int"),
        ({"conversation_ids": ["1"], "max_concurrency": "8"}, "max_concurrency must be an int"),
        ({"conversation_ids": ["1"], "max_workers": 0}, "max_concurrency must be an int"),
        ({"conversation_ids": ["1"], "max_requests_per_minute": -1}, "max_requests_per_minute"),
        ({"conversation_ids": ["1"], "rate_limit_budget": 0}, "rate_limit_budget"),
        ({"conversation_ids": ["1"], "progress_interval": True}, "progress_interval"),
        ({"conversation_ids": ["1"], "xcom_fields": "id"}, "xcom_fields"),
        ({"conversation_ids": ["1"], "xcom_fields": ["id", 3]}, "xcom_fields"),
        ({"conversation_ids": ["1"], "summary": "ranges"}, "summary must be 'auto'"),
    ],
)
def test_arguments_are_checked_at_parse_time(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(IntercomValidationError, match=message):
        IntercomMarkConversationsReadOperator(task_id="t", **kwargs)


def test_operator_init_reads_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_intercom.hooks.intercom import IntercomHook

    monkeypatch.setattr(IntercomHook, "get_connection", staticmethod(lambda conn_id: pytest.fail("read at parse time")))
    IntercomMarkConversationsReadOperator(task_id="a", conversation_ids=["1"], intercom_conn_id="nope")
    IntercomUpdateConversationsOperator(
        task_id="b", search_query={"field": "state", "operator": "=", "value": "open"}, title="x"
    )


@pytest.mark.intercom_emulator(conversations=12, latency=0.05)
def test_max_workers_still_works_with_a_deprecation_warning(intercom_emulator: IntercomEmulator) -> None:
    with pytest.warns(DeprecationWarning, match="max_workers is deprecated; use max_concurrency"):
        op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=id_range(12), max_workers=2)
    assert op.max_concurrency == 2

    summary = execute(op)

    assert summary["counts"]["updated"] == 12
    assert peak_in_flight(puts(intercom_emulator), 0.05) <= 2
    with pytest.warns(DeprecationWarning, match="max_workers"):
        both = IntercomMarkConversationsReadOperator(
            task_id="u", conversation_ids=["1"], max_workers=2, max_concurrency=9
        )
    assert both.max_concurrency == 9


# -- Summary and failures ----------------------------------------------------------------------


def test_a_failed_id_pushes_the_summary_then_fails_naming_the_ids(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=id_range(30, start=1000))
    ti = FakeTaskInstance()
    with pytest.raises(
        IntercomPermanentError, match=r"30 of 30 conversations could not be updated: 1000 \(not_found\)"
    ) as info:
        execute(op, ti)
    # Conversations that do not exist: permanent, as on the error class, so no Airflow retry; and
    # they never stop the run (every id was sent).
    assert isinstance(info.value.error, IntercomError)
    assert "and 10 more" in str(info.value)
    assert "1019 (not_found)" in str(info.value)
    assert "1020 (not_found)" not in str(info.value)
    assert "404 not_found: Resource Not Found (request_id=" in str(info.value)
    assert "set ignore_not_found=True" in str(info.value)
    assert ti.pushed["return_value"]["counts"]["failed"] == 30
    assert len(puts(intercom_emulator)) == 30


def test_when_every_failure_is_one_no_retry_can_fix_the_task_fails_without_retries(
    intercom_emulator: IntercomEmulator,
) -> None:
    # Intercom refuses the update itself (400) for every id: a retry would send the same again.
    intercom_emulator.inject("status", status=400, times=None, path="/conversations/*", message="Bad attribute")
    op = IntercomUpdateConversationsOperator(task_id="t", conversation_ids=id_range(3), title="x")
    ti = FakeTaskInstance()
    with pytest.raises(IntercomPermanentError, match=r"3 of 3 conversations could not be updated") as info:
        execute(op, ti)
    assert "400 parameter_invalid: Bad attribute" in str(info.value)
    assert "No retry can fix these" in str(info.value)
    assert [f["status"] for f in ti.pushed["return_value"]["failed"]] == [400, 400, 400]


def test_one_failure_a_retry_might_fix_leaves_airflow_retries_on(fast_connection: IntercomEmulator) -> None:
    from airflow_provider_intercom._compat import AirflowFailException

    fast_connection.inject("status", status=400, times=None, path="/conversations/1")
    fast_connection.inject("status", status=503, times=None, path="/conversations/2")
    op = IntercomUpdateConversationsOperator(task_id="t", conversation_ids=id_range(3), title="x")
    with pytest.raises(IntercomError, match=r"2 of 3 conversations could not be updated") as info:
        execute(op)
    assert not isinstance(info.value, AirflowFailException)


def test_fail_on_error_false_returns_the_summary(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=["1", "31337"], fail_on_error=False)
    summary = execute(op)
    assert list(summary) == ["counts", "updated_form", "updated", "skipped", "failed"]
    assert [f["id"] for f in summary["failed"]] == ["31337"]
    assert [c["id"] for c in summary["updated"]] == ["1"]


def test_a_search_with_no_matches_is_an_empty_success(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(
        task_id="t", search_query={"field": "state", "operator": "=", "value": "no-such-state"}
    )
    summary = execute(op)
    assert summary["counts"]["total"] == 0
    assert [r.method for r in intercom_emulator.requests] == ["POST"]


def test_do_xcom_push_false_pushes_no_summary(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=["1", "31337"], do_xcom_push=False)
    ti = FakeTaskInstance()
    with pytest.raises(IntercomPermanentError):
        execute(op, ti)
    assert ti.pushed == {}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        pytest.param(IntercomAuthError, "unauthorized", id="401"),
        pytest.param(
            IntercomForbiddenError,
            "api_plan_restricted",
            id="403",
            marks=pytest.mark.intercom_emulator(plan_restricted=True),
        ),
    ],
)
def test_an_error_for_every_id_is_permanent_after_one_request(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch, error: type[IntercomError], reason: str
) -> None:
    if error is IntercomAuthError:
        use_token(monkeypatch, intercom_emulator, "not-the-token")
    ti = FakeTaskInstance()
    with pytest.raises(IntercomPermanentError) as info:
        execute(IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=id_range(40)), ti)
    assert isinstance(info.value.error, error)
    assert len(intercom_emulator.requests) == 1
    summary = ti.pushed["return_value"]
    assert summary["failed"][0]["reason"] == reason
    assert summary["counts"]["failed"] == 40
