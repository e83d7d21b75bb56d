"""The access token must appear nowhere: logs, errors, tracebacks, XCom, reprs, rendered fields."""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_intercom.exceptions import IntercomError, IntercomPermanentError
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators.intercom import (
    IntercomMarkConversationReadOperator,
    IntercomMarkConversationsReadOperator,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.dagrun import run_dag
from tests.helpers.fixtures import FAST_RETRIES, FakeTaskInstance
from tests.hooks.test_fault_matrix import MATRIX, PATH

TOKEN = "fake-known-token-Zq7XwP3vLk9"

# One-second rate-limit windows: a 429 waits for the window to end, and no test needs to wait ten.
pytestmark = pytest.mark.intercom_emulator(conversations=20, token=TOKEN, window=1)


@pytest.fixture
def secret_emulator(intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch) -> IntercomEmulator:
    """The shared emulator, with TOKEN, and a default connection that gives up quickly."""
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", intercom_emulator.airflow_conn_json(timeout=0.3, max_retries=1))
    return intercom_emulator


def _everything(error: BaseException | None, *objects: Any) -> str:
    parts = [repr(o) for o in objects] + [str(o) for o in objects]
    if error is not None:
        parts += [str(error), repr(error), "".join(traceback.format_exception(error))]
        parts += [repr(v) for v in vars(error).values()]
    return "\n".join(parts)


@pytest.mark.parametrize("name", list(MATRIX))
def test_no_fault_seen_through_the_hook_or_client_leaks_the_token(
    name: str, secret_emulator: IntercomEmulator, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    row = MATRIX[name]
    secret_emulator.inject(row.fault, path=PATH, **{**row.inject, "times": None})
    caplog.set_level(logging.DEBUG)
    hook = IntercomHook(retry_policy=FAST_RETRIES)  # the default connection, without minutes of 429 waits
    seen: list[str] = []
    for call in (lambda: hook.mark_conversation_read("3"), hook.test_connection, hook.get_app_id_code):
        error: BaseException | None = None
        try:
            seen.append(repr(call()))
        except IntercomError as err:
            error = err
        seen.append(_everything(error, hook, hook.settings, hook.client))
    out, err = capfd.readouterr()
    seen += [caplog.text, out, err]
    assert secret_emulator.requests  # the faults were really met
    assert TOKEN not in "\n".join(seen)


@pytest.mark.parametrize("name", list(MATRIX))
def test_no_fault_leaks_the_token(
    name: str, secret_emulator: IntercomEmulator, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    row = MATRIX[name]
    secret_emulator.inject(row.fault, path=PATH, **{**row.inject, "times": None})
    caplog.set_level(logging.DEBUG)
    single = IntercomMarkConversationReadOperator(task_id="single", conversation_id="3")
    bulk = IntercomMarkConversationsReadOperator(task_id="bulk", conversation_ids=["3", "4"], rate_limit_budget=1)
    seen: list[str] = []
    ti = FakeTaskInstance()

    for op in (single, bulk):
        error: BaseException | None = None
        try:
            result = op.execute({"ti": ti})  # type: ignore[arg-type]
            seen.append(repr(result))
        except (IntercomError, IntercomPermanentError) as err:
            error = err
        seen.append(_everything(error, op, IntercomHook()))
        seen.append(repr({field: getattr(op, field) for field in op.template_fields}))
    seen.append(repr(ti.pushed))
    out, err = capfd.readouterr()
    seen += [caplog.text, out, err]
    assert TOKEN not in "\n".join(seen)


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_a_dag_run_leaks_the_token_nowhere(
    secret_emulator: IntercomEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    secret_emulator.inject("status", path="/conversations/5", status=503, times=1)
    result = run_dag("example_intercom_mark_read", conf={"conversation_id": "5"})
    out, err = capfd.readouterr()
    assert result.state == "success"
    assert "Marked Intercom conversation 5 read" in out + err  # the capture really saw the task's log
    assert TOKEN not in out + err
    assert TOKEN not in repr(result.xcoms)
    assert TOKEN not in repr(result.dag.get_task("mark_read").__dict__)
    # Nor anywhere Airflow wrote: the metadata DB (rendered fields, XCom, logs tables) and log files.
    home = Path(os.environ["AIRFLOW_HOME"])
    written = [path for path in home.rglob("*") if path.is_file()]
    assert any(path.suffix == ".db" for path in written)
    for path in written:
        assert TOKEN.encode() not in path.read_bytes(), path
