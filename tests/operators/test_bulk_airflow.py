"""The bulk update operators under Airflow: its stops (on_kill, a timeout's signal) and real DAG runs
(``dag.test()``): which failures Airflow retries, and how a run cut off by ``execution_timeout`` ends.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from airflow_provider_intercom.exceptions import IntercomCancelledError
from airflow_provider_intercom.operators.bulk import (
    IntercomMarkConversationsReadOperator,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.dagrun import AIRFLOW_3, run_dag, task_instance
from tests.helpers.emulator_log import AfterPuts, assert_nothing_sent_after, put_ids, puts
from tests.helpers.fixtures import FakeTaskInstance, execute, id_range, use_token

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
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=id_range(400), max_concurrency=2)
    ti = FakeTaskInstance()
    alarm = AfterPuts(intercom_emulator, 10, timeout_signal)
    alarm.start()

    with pytest.raises(BaseException, match="Timeout, PID: test") as info:
        execute(op, ti)

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
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=id_range(400), max_concurrency=2)
    ti = FakeTaskInstance()
    killer = AfterPuts(intercom_emulator, 10, op.on_kill)  # as Airflow's SIGTERM handler would
    killer.start()

    # execute() runs in the main thread, as in a task (Airflow 2 refuses it anywhere else).
    with pytest.raises(IntercomCancelledError, match=r"Task 't' was stopped after \d+ of 400 conversations"):
        execute(op, ti)

    killer.join()
    counts = ti.pushed["return_value"]["counts"]
    assert_nothing_sent_after(intercom_emulator, killer.at, accounted=counts["requests"], on_wire=2)
    assert counts["failed"] > 300
    assert counts["requests"] < 30


def test_a_killed_run_fails_even_without_fail_on_error(intercom_emulator: IntercomEmulator) -> None:
    # On Airflow 3.3, SIGTERM calls on_kill without raising: the run must not pass for a success.
    op = IntercomMarkConversationsReadOperator(
        task_id="t", conversation_ids=id_range(400), max_concurrency=2, fail_on_error=False
    )
    ti = FakeTaskInstance()
    killer = AfterPuts(intercom_emulator, 10, op.on_kill)
    killer.start()
    with pytest.raises(IntercomCancelledError, match="was stopped after"):
        execute(op, ti)
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
        execute(op, FakeTaskInstance())
    killer.join()
    assert puts(intercom_emulator) == []


# -- In real DAG runs --------------------------------------------------------------------------


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
        use_token(monkeypatch, intercom_emulator, "not-the-token")

    result = run_dag("test_intercom_permanent_failure")

    assert result.state == "failed"
    for task_id in ("bulk", "single"):
        assert result.state_of(task_id) == "failed"  # not up_for_retry, despite retries=2
        assert task_instance(result, task_id)[0] == 1
    paths = [r.path for r in intercom_emulator.requests]
    # The bulk task sent one probe for its 40 ids, the single task its one PUT: nothing was retried.
    assert sorted(paths) == ["/conversations/1", "/conversations/45"]
    assert result.xcom("bulk")["failed"][0]["reason"] == reason


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_a_missing_conversation_is_permanent_so_airflow_does_not_retry_the_task(
    intercom_emulator: IntercomEmulator,
) -> None:
    # As for the single operator: Intercom's 404 not_found says the id does not exist, and a retry
    # would only ask again. ignore_not_found=True skips such ids instead.
    result = run_dag("test_intercom_bulk_failure_retried")

    assert result.state_of("bulk") == "failed"
    assert task_instance(result, "bulk")[0] == 1
    assert put_ids(intercom_emulator).count("424242") == 1
    summary = result.xcom("bulk")
    assert [(f["id"], f["reason"]) for f in summary["failed"]] == [("424242", "not_found")]


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_an_id_that_failed_for_a_passing_reason_lets_airflow_retry_the_task(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_token(monkeypatch, intercom_emulator, intercom_emulator.token, max_retries=0)
    intercom_emulator.inject("status", path="/conversations/1", status=503, times=None)

    result = run_dag("test_intercom_bulk_failure_retried")

    assert result.state_of("bulk") == "failed"
    assert task_instance(result, "bulk")[0] == 2
    assert put_ids(intercom_emulator).count("1") == 2


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
        return result.state_of("bulk"), task_instance(result, "bulk")[2], result.xcom("bulk")
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
