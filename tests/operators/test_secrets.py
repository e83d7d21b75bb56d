"""The access token appears nowhere an operator leaves traces, on the async bulk path too.

Logs, exceptions (``str``, ``repr``, tracebacks, attributes), XCom, the operators themselves, and
every file Airflow wrote during a DAG run are searched for a known token.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators.intercom import (
    IntercomMarkConversationReadOperator,
    IntercomMarkConversationsReadOperator,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.dagrun import run_dag
from tests.helpers.fixtures import FakeTaskInstance, everything_shown

TOKEN = "fake-known-token-Zq7XwP3vLk9"

#: Faults of one conversation, each making both operators fail (or retry) in its own way.
FAULTS: dict[str, dict[str, Any]] = {
    "401": {"kind": "status", "status": 401, "code": "unauthorized", "message": "Access Token Invalid"},
    "403": {"kind": "status", "status": 403, "code": "api_plan_restricted"},
    "404": {"kind": "status", "status": 404, "code": "not_found"},
    "400": {"kind": "status", "status": 400, "code": "parameter_invalid", "field": "read"},
    "500": {"kind": "status", "status": 500},
    "429": {"kind": "rate_limit", "reset_in": 0},
    "connection reset": {"kind": "reset"},
    "read timeout": {"kind": "slow", "delay": 1.5},
    "malformed JSON": {"kind": "malformed_json"},
    "HTML error page": {"kind": "html"},
}


@pytest.fixture
def intercom_emulator_options() -> dict[str, Any]:
    return {"conversations": 20, "token": TOKEN}


@pytest.fixture(autouse=True)
def quick_connection(intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """``intercom_default`` with the known token, a short timeout and one retry."""
    _set_connection(monkeypatch, intercom_emulator.url)


def _set_connection(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    conn = {"conn_type": "intercom", "host": url, "password": TOKEN, "extra": {"timeout": 0.3, "max_retries": 1}}
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", json.dumps(conn))


def _run_both(ids: list[str]) -> list[str]:
    """Execute the single and the bulk operator; return every trace they left."""
    single = IntercomMarkConversationReadOperator(task_id="single", conversation_id=ids[0])
    bulk = IntercomMarkConversationsReadOperator(task_id="bulk", conversation_ids=ids, rate_limit_budget=1)
    seen: list[str] = []
    for op in (single, bulk):
        ti = FakeTaskInstance()
        error: BaseException | None = None
        try:
            seen.append(repr(op.execute({"ti": ti})))  # type: ignore[arg-type]
        except Exception as err:  # IntercomError, or IntercomPermanentError (an AirflowFailException)
            error = err
        seen.append(everything_shown(error, op, IntercomHook(), ti.pushed))
        seen.append(repr({field: getattr(op, field) for field in op.template_fields}))
        run = getattr(op, "_run", None)
        if run is not None:
            seen.append(repr(vars(run)) + repr(vars(run.engine)))
    return seen


@pytest.mark.parametrize("name", list(FAULTS))
def test_no_fault_leaks_the_token(
    name: str,
    intercom_emulator: IntercomEmulator,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    fault = dict(FAULTS[name])
    intercom_emulator.inject(fault.pop("kind"), path="/conversations/*", times=None, **fault)
    caplog.set_level(logging.DEBUG)

    seen = _run_both(["3", "4"])

    out, err = capfd.readouterr()
    assert len([r for r in intercom_emulator.requests if r.method == "PUT"]) >= 2  # both really ran
    assert TOKEN not in "\n".join([*seen, caplog.text, out, err])


def test_an_unreachable_host_leaks_nothing(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _set_connection(monkeypatch, f"http://127.0.0.1:{port}")
    caplog.set_level(logging.DEBUG)

    seen = _run_both(["3", "4"])

    out, err = capfd.readouterr()
    text = "\n".join([*seen, caplog.text, out, err])
    assert f"could not connect to http://127.0.0.1:{port}" in text  # the failure really happened
    assert TOKEN not in text


def _files_airflow_wrote() -> list[Path]:
    home = Path(os.environ["AIRFLOW_HOME"])
    written = [path for path in home.rglob("*") if path.is_file()]
    assert any(path.suffix == ".db" for path in written)
    return written


def _assert_no_token_in_the_run(result: Any, task_id: str, out: str, err: str) -> None:
    assert TOKEN not in out + err
    assert TOKEN not in repr(result.xcoms)
    assert TOKEN not in repr(result.dag.get_task(task_id).__dict__)
    # Nor anywhere Airflow wrote: the metadata DB (rendered fields, XCom, logs tables) and log files.
    for path in _files_airflow_wrote():
        assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize(
    "case",
    [
        "connection reset",
        pytest.param("401 bad token", marks=pytest.mark.intercom_emulator(conversations=20, token="another-token")),
    ],
)
def test_a_failing_bulk_dag_run_leaks_the_token_nowhere(
    case: str, intercom_emulator: IntercomEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    if case == "connection reset":
        intercom_emulator.inject("reset", method="PUT", times=None)

    result = run_dag("test_intercom_bulk_failure")

    out, err = capfd.readouterr()
    assert result.state_of("bulk") == "failed"
    failed = result.xcom("bulk")["failed"]
    # The first id's answer (or its lack) stops the run: the token, or a host that never answers.
    assert failed[0]["reason"] == ("network" if case == "connection reset" else "unauthorized")
    assert {f["reason"] for f in failed[1:]} == {"cancelled"}
    assert "Intercom bulk update finished" in out + err  # the capture really saw the task's log
    _assert_no_token_in_the_run(result, "bulk", out, err)


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_a_single_dag_run_with_a_retried_request_leaks_the_token_nowhere(
    intercom_emulator: IntercomEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    intercom_emulator.inject("status", path="/conversations/5", status=503, times=1)

    result = run_dag("example_intercom_mark_read", conf={"conversation_id": "5"})

    out, err = capfd.readouterr()
    assert result.state == "success"
    assert "Intercom conversation 5 updated: " in out + err  # the capture really saw the task's log
    _assert_no_token_in_the_run(result, "mark_read", out, err)
