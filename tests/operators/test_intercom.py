"""The operators inside real DAG runs (dag.test, SQLite metadata DB, connection from AIRFLOW_CONN_*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_intercom.exceptions import IntercomError, IntercomValidationError
from airflow_provider_intercom.links import CONVERSATION_URL_XCOM_KEY, IntercomConversationLink
from airflow_provider_intercom.operators.intercom import (
    IntercomMarkConversationReadOperator,
    IntercomMarkConversationsReadOperator,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.dagrun import AIRFLOW_3, load_dag, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


def _unread(emu: IntercomEmulator, state: str | None = None) -> list[str]:
    return [
        cid
        for cid in emu.conversation_ids()
        if not emu.get(cid)["read"] and (state is None or emu.get(cid)["state"] == state)
    ]


@pytest.mark.dagrun
def test_example_dag_marks_read_and_pushes_the_conversation(intercom_emulator: IntercomEmulator) -> None:
    cid = _unread(intercom_emulator)[0]

    result = run_dag("example_intercom_mark_read", conf={"conversation_id": cid})

    assert result.state == "success"
    assert result.state_of("mark_read") == "success"
    conversation = result.xcom("mark_read")
    assert conversation == intercom_emulator.get(cid)
    assert conversation["read"] is True
    assert result.xcom("summarize") == {
        "id": cid,
        "read": True,
        "state": conversation["state"],
        "updated_at": conversation["updated_at"],
    }
    puts = [(r.method, r.path, r.body) for r in intercom_emulator.requests if r.method == "PUT"]
    assert puts == [("PUT", f"/conversations/{cid}", {"read": True})]
    # The "View in Intercom" link: stored by execute(), read back by get_link as the UI would.
    url = f"https://app.intercom.com/a/inbox/{intercom_emulator.app_id_code}/inbox/conversation/{cid}"
    assert result.xcom("mark_read", CONVERSATION_URL_XCOM_KEY) == url
    assert _resolve_link(result, "mark_read") == url


def _resolve_link(result: Any, task_id: str) -> str:
    if AIRFLOW_3:
        # Airflow 3 resolves links in the worker when the task ends and stores them in XCom.
        return str(result.xcom(task_id, IntercomConversationLink().xcom_key))
    # Airflow 2 resolves them in the webserver, from the serialized DAG, for registered link classes.
    from airflow.models.taskinstance import TaskInstance
    from airflow.serialization.serialized_objects import SerializedDAG
    from airflow.utils.session import create_session

    serialized = SerializedDAG.from_dict(SerializedDAG.to_dict(result.dag))
    task = serialized.get_task(task_id)
    with create_session() as session:
        ti = (
            session.query(TaskInstance).filter_by(dag_id=result.dag.dag_id, run_id=result.run_id, task_id=task_id).one()
        )
        return str(task.get_extra_links(ti, IntercomConversationLink.name))


@pytest.mark.dagrun
def test_nightly_example_marks_every_closed_unread_conversation(intercom_emulator: IntercomEmulator) -> None:
    targets = _unread(intercom_emulator, "closed")
    others = [cid for cid in _unread(intercom_emulator) if cid not in targets]
    assert targets
    assert others

    result = run_dag("example_intercom_bulk_nightly")

    assert result.state == "success"
    summary = result.xcom("mark_closed_unread_read")
    assert [c["id"] for c in summary["updated"]] == targets
    assert summary["counts"]["failed"] == 0
    assert result.xcom("report") == {"total": len(targets), "updated": len(targets), "skipped": 0, "failed": 0}
    assert all(intercom_emulator.get(cid)["read"] for cid in targets)
    assert not any(intercom_emulator.get(cid)["read"] for cid in others)


@pytest.mark.dagrun
def test_bulk_takes_ids_from_an_upstream_xcom(intercom_emulator: IntercomEmulator) -> None:
    result = run_dag("example_intercom_bulk_from_upstream")

    assert result.state == "success"
    summary = result.xcom("mark_listed_read")
    assert [c["id"] for c in summary["updated"]] == ["1", "2", "3", "5"]  # "2" twice, sent once
    assert sorted(r.path for r in intercom_emulator.requests if r.method == "PUT") == [
        "/conversations/1",
        "/conversations/2",
        "/conversations/3",
        "/conversations/5",
    ]


@pytest.mark.dagrun
def test_a_users_mapped_dag_gets_each_conversation_in_xcom(intercom_emulator: IntercomEmulator) -> None:
    result = run_dag("test_intercom_mapped")

    assert result.state == "success"
    assert [result.state_of("mark", i) for i in range(3)] == ["success"] * 3
    assert result.xcom("mark", map_index=1) == intercom_emulator.get("4")
    assert result.xcom("collect") == ["2", "4", "6"]


@pytest.mark.dagrun
def test_bulk_failure_pushes_the_summary_then_fails_naming_the_ids(intercom_emulator: IntercomEmulator) -> None:
    result = run_dag("test_intercom_bulk_failure")

    assert result.state == "failed"
    assert result.state_of("bulk") == "failed"
    summary = result.xcom("bulk")
    assert [c["id"] for c in summary["updated"]] == ["1", "2"]
    assert [(f["id"], f["reason"], f["status"]) for f in summary["failed"]] == [("424242", "not_found", 404)]


def test_bulk_failure_message_names_failed_ids(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=[str(i) for i in range(1000, 1030)])
    pushed: dict[str, Any] = {}

    class TI:
        def xcom_push(self, key: str, value: Any) -> None:
            pushed[key] = value

    with pytest.raises(Exception, match=r"30 of 30 conversations could not be marked read: 1000 \(not_found\)") as info:
        op.execute({"ti": TI()})  # type: ignore[arg-type]
    assert "and 10 more" in str(info.value)
    assert "1019 (not_found)" in str(info.value)
    assert "1020 (not_found)" not in str(info.value)
    assert pushed["return_value"]["counts"]["failed"] == 30


def test_bulk_fail_on_error_false_returns_the_summary(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=["1", "31337"], fail_on_error=False)
    summary = op.execute({})  # type: ignore[arg-type]
    assert [f["id"] for f in summary["failed"]] == ["31337"]
    assert [c["id"] for c in summary["updated"]] == ["1"]


def test_search_with_no_matches_is_an_empty_success(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(
        task_id="t", search_query={"field": "state", "operator": "=", "value": "no-such-state"}
    )
    summary = op.execute({})  # type: ignore[arg-type]
    assert summary["counts"]["total"] == 0
    assert [r.method for r in intercom_emulator.requests] == ["POST"]


@pytest.mark.parametrize(
    "bad", [None, "", " ", "abc", "12a", "-5", 1.5, True, "../me", "1/../../me", "1?x=y", "1\n2", "9" * 40]
)
def test_single_operator_rejects_bad_ids_before_any_request(intercom_emulator: IntercomEmulator, bad: Any) -> None:
    op = IntercomMarkConversationReadOperator(task_id="t", conversation_id=bad)
    with pytest.raises(IntercomValidationError, match="conversation_id"):
        op.execute({})  # type: ignore[arg-type]
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
def test_bulk_operator_rejects_bad_collections_before_any_request(
    intercom_emulator: IntercomEmulator, ids: Any, message: str
) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=ids)
    with pytest.raises(IntercomValidationError, match=message):
        op.execute({})  # type: ignore[arg-type]
    assert intercom_emulator.requests == []


def test_bulk_operator_rejects_an_invalid_search_query_before_any_request(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(
        task_id="t", search_query={"field": "state", "operator": "LIKE", "value": "x"}
    )
    with pytest.raises(IntercomValidationError, match="not an Intercom search operator"):
        op.execute({})  # type: ignore[arg-type]
    assert intercom_emulator.requests == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of"),
        ({"conversation_ids": ["1"], "search_query": {"field": "id", "operator": "=", "value": "1"}}, "exactly one of"),
        ({"conversation_ids": ["1"], "max_workers": 0}, "max_workers"),
        ({"conversation_ids": ["1"], "max_requests_per_minute": -1}, "max_requests_per_minute"),
        ({"conversation_ids": ["1"], "xcom_fields": "id"}, "xcom_fields"),
    ],
)
def test_bulk_operator_arguments_are_checked_at_parse_time(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(IntercomValidationError, match=message):
        IntercomMarkConversationsReadOperator(task_id="t", **kwargs)


def test_template_fields_are_tuples_and_documented() -> None:
    for cls in (IntercomMarkConversationReadOperator, IntercomMarkConversationsReadOperator):
        assert isinstance(cls.template_fields, tuple)
        for name in cls.template_fields:
            assert f":param {name}:" in (cls.__doc__ or "")
            line = next(p for p in (cls.__doc__ or "").split(":param ") if p.startswith(f"{name}:"))
            assert "(templated)" in line


def test_operator_init_reads_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_intercom.hooks.intercom import IntercomHook

    monkeypatch.setattr(IntercomHook, "get_connection", staticmethod(lambda conn_id: pytest.fail("read at parse time")))
    IntercomMarkConversationReadOperator(task_id="a", conversation_id="1", intercom_conn_id="nope")
    IntercomMarkConversationsReadOperator(task_id="b", conversation_ids=["1"], intercom_conn_id="nope")


def test_every_example_dag_imports_without_errors() -> None:
    from tests.conftest import EXAMPLE_DAGS

    for path in sorted(Path(EXAMPLE_DAGS).glob("*.py")):
        dag_id = path.stem
        assert load_dag(dag_id).dag_id == dag_id


class _TI:
    """Records what the operator pushes, like a task instance would store it."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def _put_count(emu: IntercomEmulator) -> int:
    return sum(r.method == "PUT" for r in emu.requests)


@pytest.mark.intercom_emulator(conversations=400, latency=0.02)
def test_execution_timeout_stops_the_bulk_run_and_still_pushes_the_summary(intercom_emulator: IntercomEmulator) -> None:
    import signal

    from airflow.exceptions import AirflowTaskTimeout

    def timeout(signum: int, frame: object) -> None:  # what Airflow's execution_timeout does
        raise AirflowTaskTimeout("Timeout, PID: test")

    op = IntercomMarkConversationsReadOperator(
        task_id="t", conversation_ids=[str(i) for i in range(1, 401)], max_workers=2
    )
    ti = _TI()
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(AirflowTaskTimeout):
            op.execute({"ti": ti})  # type: ignore[arg-type]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    sent = _put_count(intercom_emulator)
    summary = ti.pushed["return_value"]
    counts = summary["counts"]
    assert counts["total"] == 400
    assert counts["updated"] + counts["failed"] == 400
    assert 0 < counts["updated"] < 400
    assert {f["reason"] for f in summary["failed"]} == {"cancelled"}
    import time

    time.sleep(0.2)
    assert _put_count(intercom_emulator) == sent  # nothing is sent after the timeout


@pytest.mark.intercom_emulator(conversations=400, latency=0.02)
def test_on_kill_stops_the_bulk_run(intercom_emulator: IntercomEmulator) -> None:
    import threading
    import time

    op = IntercomMarkConversationsReadOperator(
        task_id="t", conversation_ids=[str(i) for i in range(1, 401)], max_workers=2
    )
    ti = _TI()

    def kill_after_ten_puts() -> None:  # as Airflow's SIGTERM handler would, from outside execute()
        deadline = time.monotonic() + 20
        while _put_count(intercom_emulator) < 10 and time.monotonic() < deadline:
            time.sleep(0.005)
        op.on_kill()

    killer = threading.Thread(target=kill_after_ten_puts)
    killer.start()
    # execute() runs in the main thread, as in a task (Airflow 2 refuses it anywhere else).
    with pytest.raises(IntercomError, match=r"\(cancelled\)"):
        op.execute({"ti": ti})  # type: ignore[arg-type]
    killer.join()
    assert ti.pushed["return_value"]["counts"]["failed"] > 300
    assert _put_count(intercom_emulator) < 30


def test_do_xcom_push_false_pushes_no_summary(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=["1", "31337"], do_xcom_push=False)
    ti = _TI()
    with pytest.raises(IntercomError):
        op.execute({"ti": ti})  # type: ignore[arg-type]
    assert ti.pushed == {}


def test_single_operator_link_lookup_makes_one_quick_attempt(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    ti = _TI()
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
        ({"api_version": "latest"}, {}, "malformed extra 'api_version'"),
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
    import json

    conn = json.loads(intercom_emulator.airflow_conn_json(**extra))
    conn.update(fields)
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_BAD", json.dumps(conn))
    for op in (
        IntercomMarkConversationReadOperator(task_id="a", conversation_id="1", intercom_conn_id="intercom_bad"),
        IntercomMarkConversationsReadOperator(task_id="b", conversation_ids=["1"], intercom_conn_id="intercom_bad"),
    ):
        with pytest.raises(IntercomError, match=message) as info:
            op.execute({"ti": _TI()})  # type: ignore[arg-type]
        assert "'intercom_bad'" in str(info.value)
    assert intercom_emulator.requests == []


def test_a_missing_connection_fails_before_any_request(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomMarkConversationReadOperator(task_id="a", conversation_id="1", intercom_conn_id="intercom_missing")
    with pytest.raises(IntercomError, match="'intercom_missing' is not defined"):
        op.execute({"ti": _TI()})  # type: ignore[arg-type]
    assert intercom_emulator.requests == []
