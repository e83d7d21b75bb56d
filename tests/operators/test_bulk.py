"""The bulk update operators: request bodies, checks before any request, stops, and real DAG runs.

The engine itself is tested in tests/bulk; here is what the operators add: validation, the search,
the summary as XCom, which failures Airflow may retry, and Airflow's stops (on_kill, timeouts).
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from airflow_provider_intercom.exceptions import (
    IntercomAuthError,
    IntercomCancelledError,
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
from tests.helpers.dagrun import AIRFLOW_3, DagRunResult, run_dag
from tests.helpers.emulator_log import AfterPuts, assert_nothing_sent_after, peak_in_flight, put_ids, puts
from tests.helpers.fixtures import FakeTaskInstance

BULK_OPERATORS = (IntercomUpdateConversationsOperator, IntercomMarkConversationsReadOperator)


def _ids(count: int, start: int = 1) -> list[str]:
    return [str(i) for i in range(start, start + count)]


def _execute(op: IntercomUpdateConversationsOperator, ti: FakeTaskInstance | None = None) -> dict[str, Any]:
    return op.execute({"ti": ti or FakeTaskInstance()})  # type: ignore[arg-type]


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
    summary = _execute(IntercomUpdateConversationsOperator(task_id="t", conversation_ids=["3", 5, "8"], **fields))

    assert sorted((r.path, json.dumps(r.body, sort_keys=True)) for r in puts(intercom_emulator)) == [
        (f"/conversations/{cid}", json.dumps(body, sort_keys=True)) for cid in ("3", "5", "8")
    ]
    assert [c["id"] for c in summary["updated"]] == ["3", "5", "8"]
    if "title" in body:
        assert all(intercom_emulator.get(cid)["title"] == body["title"] for cid in ("3", "5", "8"))


def test_mark_read_sends_read_true_and_nothing_else(intercom_emulator: IntercomEmulator) -> None:
    _execute(IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=["1", "2"]))
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
        _execute(op)
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
        _execute(IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=ids))
    assert intercom_emulator.requests == []


def test_an_invalid_search_query_is_refused_before_any_request(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(
        task_id="t", search_query={"field": "state", "operator": "LIKE", "value": "x"}
    )
    with pytest.raises(IntercomPermanentError, match="not an Intercom search operator"):
        _execute(op)
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

    summary = _execute(op)

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


@pytest.mark.parametrize("operator", BULK_OPERATORS)
def test_template_fields_are_tuples_and_documented(operator: type[IntercomUpdateConversationsOperator]) -> None:
    assert isinstance(operator.template_fields, tuple)
    doc = (operator.__doc__ or "") + (IntercomUpdateConversationsOperator.__doc__ or "")
    for name in operator.template_fields:
        line = next(p for p in doc.split(":param ") if p.startswith(f"{name}:"))
        assert "(templated)" in line


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
        op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=_ids(12), max_workers=2)
    assert op.max_concurrency == 2

    summary = _execute(op)

    assert summary["counts"]["updated"] == 12
    assert peak_in_flight(puts(intercom_emulator), 0.05) <= 2
    with pytest.warns(DeprecationWarning, match="max_workers"):
        both = IntercomMarkConversationsReadOperator(
            task_id="u", conversation_ids=["1"], max_workers=2, max_concurrency=9
        )
    assert both.max_concurrency == 9


# -- Summary and failures ----------------------------------------------------------------------


def test_a_failed_id_pushes_the_summary_then_fails_naming_the_ids(intercom_emulator: IntercomEmulator) -> None:
    from airflow_provider_intercom._compat import AirflowFailException

    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=_ids(30, start=1000))
    ti = FakeTaskInstance()
    with pytest.raises(IntercomError, match=r"30 of 30 conversations could not be updated: 1000 \(not_found\)") as info:
        _execute(op, ti)
    # Not permanent: an id may fail for a reason that passes, so Airflow's retries apply.
    assert not isinstance(info.value, AirflowFailException)
    assert info.value.__cause__ is not info.value  # raised as it is, not as its own cause
    assert "and 10 more" in str(info.value)
    assert "1019 (not_found)" in str(info.value)
    assert "1020 (not_found)" not in str(info.value)
    assert "404 not_found: Resource Not Found (request_id=" in str(info.value)
    assert ti.pushed["return_value"]["counts"]["failed"] == 30


def test_when_every_failure_is_one_no_retry_can_fix_the_task_fails_without_retries(
    intercom_emulator: IntercomEmulator,
) -> None:
    # Intercom refuses the update itself (400) for every id: a retry would send the same again.
    intercom_emulator.inject("status", status=400, times=None, path="/conversations/*", message="Bad attribute")
    op = IntercomUpdateConversationsOperator(task_id="t", conversation_ids=_ids(3), title="x")
    ti = FakeTaskInstance()
    with pytest.raises(IntercomPermanentError, match=r"3 of 3 conversations could not be updated") as info:
        _execute(op, ti)
    assert "400 parameter_invalid: Bad attribute" in str(info.value)
    assert "No retry can fix these" in str(info.value)
    assert [f["status"] for f in ti.pushed["return_value"]["failed"]] == [400, 400, 400]


def test_one_failure_a_retry_might_fix_leaves_airflow_retries_on(fast_connection: IntercomEmulator) -> None:
    from airflow_provider_intercom._compat import AirflowFailException

    fast_connection.inject("status", status=400, times=None, path="/conversations/1")
    fast_connection.inject("status", status=503, times=None, path="/conversations/2")
    op = IntercomUpdateConversationsOperator(task_id="t", conversation_ids=_ids(3), title="x")
    with pytest.raises(IntercomError, match=r"2 of 3 conversations could not be updated") as info:
        _execute(op)
    assert not isinstance(info.value, AirflowFailException)


def test_fail_on_error_false_returns_the_summary(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=["1", "31337"], fail_on_error=False)
    summary = _execute(op)
    assert list(summary) == ["counts", "updated", "skipped", "failed"]
    assert [f["id"] for f in summary["failed"]] == ["31337"]
    assert [c["id"] for c in summary["updated"]] == ["1"]


def test_a_search_with_no_matches_is_an_empty_success(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(
        task_id="t", search_query={"field": "state", "operator": "=", "value": "no-such-state"}
    )
    summary = _execute(op)
    assert summary["counts"]["total"] == 0
    assert [r.method for r in intercom_emulator.requests] == ["POST"]


def test_do_xcom_push_false_pushes_no_summary(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=["1", "31337"], do_xcom_push=False)
    ti = FakeTaskInstance()
    with pytest.raises(IntercomError):
        _execute(op, ti)
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
        _use_token(monkeypatch, intercom_emulator, "not-the-token")
    ti = FakeTaskInstance()
    with pytest.raises(IntercomPermanentError) as info:
        _execute(IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=_ids(40)), ti)
    assert isinstance(info.value.error, error)
    assert len(intercom_emulator.requests) == 1
    summary = ti.pushed["return_value"]
    assert summary["failed"][0]["reason"] == reason
    assert summary["counts"]["failed"] == 40


def _use_token(monkeypatch: pytest.MonkeyPatch, emulator: IntercomEmulator, token: str, **extra: Any) -> None:
    conn = json.loads(emulator.airflow_conn_json(**extra))
    conn["password"] = token
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", json.dumps(conn))


# -- Airflow's stops ---------------------------------------------------------------------------


@pytest.fixture
def timeout_signal() -> Iterator[Callable[[], None]]:
    """Sends what Airflow's execution_timeout sends: SIGALRM, raising AirflowTaskTimeout in the main thread."""
    try:
        from airflow.sdk.exceptions import AirflowTaskTimeout
    except ImportError:  # Airflow 2.x
        from airflow.exceptions import AirflowTaskTimeout

    def timeout(signum: int, frame: object) -> None:
        raise AirflowTaskTimeout("Timeout, PID: test")

    main = threading.main_thread().ident
    assert main is not None
    previous = signal.signal(signal.SIGALRM, timeout)
    yield lambda: signal.pthread_kill(main, signal.SIGALRM)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.intercom_emulator(conversations=400, latency=0.05)
def test_a_timeout_stops_the_run_and_still_pushes_the_summary(
    intercom_emulator: IntercomEmulator, timeout_signal: Callable[[], None]
) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=_ids(400), max_concurrency=2)
    ti = FakeTaskInstance()
    alarm = AfterPuts(intercom_emulator, 10, timeout_signal)
    alarm.start()

    with pytest.raises(BaseException, match="Timeout, PID: test") as info:
        _execute(op, ti)

    alarm.join()
    assert type(info.value).__name__ == "AirflowTaskTimeout"
    summary = ti.pushed["return_value"]
    counts = summary["counts"]
    assert_nothing_sent_after(intercom_emulator, alarm.at, accounted=counts["requests"], on_wire=2)
    assert counts["total"] == 400
    assert counts["updated"] + counts["failed"] == 400
    assert 10 <= counts["requests"] < 100
    assert 0 < counts["updated"] < 400
    assert {f["reason"] for f in summary["failed"]} == {"cancelled"}


@pytest.mark.intercom_emulator(conversations=400, latency=0.05)
def test_on_kill_stops_the_run_and_sends_nothing_afterwards(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=_ids(400), max_concurrency=2)
    ti = FakeTaskInstance()
    killer = AfterPuts(intercom_emulator, 10, op.on_kill)  # as Airflow's SIGTERM handler would
    killer.start()

    # execute() runs in the main thread, as in a task (Airflow 2 refuses it anywhere else).
    with pytest.raises(IntercomCancelledError, match=r"Task 't' was stopped after \d+ of 400 conversations"):
        _execute(op, ti)

    killer.join()
    counts = ti.pushed["return_value"]["counts"]
    assert_nothing_sent_after(intercom_emulator, killer.at, accounted=counts["requests"], on_wire=2)
    assert counts["failed"] > 300
    assert counts["requests"] < 30


def test_a_killed_run_fails_even_without_fail_on_error(intercom_emulator: IntercomEmulator) -> None:
    # On Airflow 3.3, SIGTERM calls on_kill without raising: the run must not pass for a success.
    op = IntercomMarkConversationsReadOperator(
        task_id="t", conversation_ids=_ids(400), max_concurrency=2, fail_on_error=False
    )
    ti = FakeTaskInstance()
    killer = AfterPuts(intercom_emulator, 10, op.on_kill)
    killer.start()
    with pytest.raises(IntercomCancelledError, match="was stopped after"):
        _execute(op, ti)
    killer.join()
    assert ti.pushed["return_value"]["counts"]["updated"] < 400


def test_on_kill_during_the_search_sends_no_put(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("slow", delay=1.0, path="/conversations/search", times=None)
    op = IntercomMarkConversationsReadOperator(
        task_id="t", search_query={"field": "read", "operator": "=", "value": False}
    )
    killer = threading.Timer(0.3, op.on_kill)
    killer.start()
    with pytest.raises(IntercomCancelledError):
        _execute(op, FakeTaskInstance())
    killer.join()
    assert puts(intercom_emulator) == []


# -- In real DAG runs --------------------------------------------------------------------------


def _task_instance(result: DagRunResult, task_id: str) -> tuple[int, datetime, datetime]:
    """``(try_number, start_date, end_date)`` of a task instance of the run."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = (
            session.query(TaskInstance).filter_by(dag_id=result.dag.dag_id, run_id=result.run_id, task_id=task_id).one()
        )
        return ti.try_number, ti.start_date, ti.end_date


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize(
    ("case", "reason"),
    [
        pytest.param("bad token", "unauthorized", id="401"),
        pytest.param(
            "plan restricted",
            "api_plan_restricted",
            id="403",
            marks=pytest.mark.intercom_emulator(plan_restricted=True),
        ),
    ],
)
def test_a_permanent_error_fails_the_task_on_its_first_try_after_one_request(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch, case: str, reason: str
) -> None:
    if case == "bad token":
        _use_token(monkeypatch, intercom_emulator, "not-the-token")

    result = run_dag("test_intercom_permanent_failure")

    assert result.state == "failed"
    for task_id in ("bulk", "single"):
        assert result.state_of(task_id) == "failed"  # not up_for_retry, despite retries=2
        assert _task_instance(result, task_id)[0] == 1
    paths = [r.path for r in intercom_emulator.requests]
    # The bulk task sent one probe for its 40 ids, the single task its one PUT: nothing was retried.
    assert sorted(paths) == ["/conversations/1", "/conversations/45"]
    assert result.xcom("bulk")["failed"][0]["reason"] == reason


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_a_failed_id_is_not_permanent_so_airflow_retries_the_task(intercom_emulator: IntercomEmulator) -> None:
    result = run_dag("test_intercom_bulk_failure_retried")

    assert result.state_of("bulk") == "failed"
    assert _task_instance(result, "bulk")[0] == 2
    assert put_ids(intercom_emulator).count("424242") == 2
    summary = result.xcom("bulk")
    assert [(f["id"], f["reason"]) for f in summary["failed"]] == [("424242", "not_found")]


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_a_bulk_failure_pushes_the_summary_then_fails(intercom_emulator: IntercomEmulator) -> None:
    result = run_dag("test_intercom_bulk_failure")

    assert result.state == "failed"
    assert result.state_of("bulk") == "failed"
    summary = result.xcom("bulk")
    assert [c["id"] for c in summary["updated"]] == ["1", "2"]
    assert [(f["id"], f["reason"], f["status"]) for f in summary["failed"]] == [("424242", "not_found", 404)]


def _run_timing_out(dag_id: str) -> tuple[str, datetime, dict[str, Any]]:
    """``dag.test()`` a DAG whose task ``bulk`` times out: its state, end date and summary XCom."""
    if AIRFLOW_3:
        result = run_dag(dag_id)
        return result.state_of("bulk"), _task_instance(result, "bulk")[2], result.xcom("bulk")
    # Airflow 2's dag.test() fails the task, then lets its AirflowTaskTimeout (a BaseException) out.
    from airflow.exceptions import AirflowTaskTimeout
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XCom
    from airflow.utils.session import create_session

    with pytest.raises(AirflowTaskTimeout):
        run_dag(dag_id)
    with create_session() as session:
        ti = session.query(TaskInstance).filter_by(dag_id=dag_id, task_id="bulk").one()
        row = session.query(XCom).filter_by(dag_id=dag_id, task_id="bulk", key="return_value").one()
        return str(getattr(ti.state, "value", ti.state)), ti.end_date, row.value


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
@pytest.mark.intercom_emulator(conversations=200, rate_limit=20, window=1)
def test_execution_timeout_ends_the_task_promptly_with_its_summary(intercom_emulator: IntercomEmulator) -> None:
    state, ended, summary = _run_timing_out("test_intercom_bulk_timeout")

    assert state == "failed"
    counts = summary["counts"]
    # 200 ids at 20 per second would take 10 s; the task must end within 3 s of its start, the
    # 2 s timeout included. (Measured from the run's first request, which comes after execute()
    # began: Airflow's own start-up before execute() varies with the machine's load.)
    first = puts(intercom_emulator)[0].received_at
    assert ended.timestamp() - first < 3
    assert counts["elapsed_seconds"] < 3
    assert counts["total"] == 200
    assert counts["updated"] + counts["failed"] == 200
    assert counts["updated"] < 100
    assert {f["reason"] for f in summary["failed"]} == {"cancelled"}
    # The task's end comes after the stop; only what was on the wire then may still arrive.
    assert_nothing_sent_after(intercom_emulator, ended.timestamp(), accounted=counts["requests"], on_wire=3)
