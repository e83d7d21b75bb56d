"""Clearing a failed bulk task through the REST API, then running it again: resumed or not, per version.

On Airflow 3.3 every clear keeps the task state store, and the API refuses ``keep_task_state``
(422). On 3.4 a clear through the REST API (``POST .../clearTaskInstances``, which the UI's Clear
dialog sends) discards it unless the body sets ``keep_task_state: true`` (the dialog's "Keep task
state and resume"). The first try is cut off by ``execution_timeout`` with no retries left
(tests/dags/test_intercom_resume_clear.py), so it fails and keeps its checkpoint. The clear goes
through Airflow's own API app, in process; ``airflow tasks test`` then runs the cleared task
instance (the next try) of the same DAG run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_intercom.operators._resume_hints import AIRFLOW_LINE
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.dagrun import run_dag
from tests.operators.test_resume import IN_FLIGHT, RESUMING, _ok_ids, _tries

DAG_ID = "test_intercom_resume_clear"
pytestmark = [
    pytest.mark.usefixtures("airflow_db"),
    pytest.mark.dagrun,
    pytest.mark.intercom_emulator(conversations=400, rate_limit=50, window=1),
]
on_3_4 = pytest.mark.skipif(AIRFLOW_LINE < (3, 4), reason="keep_task_state is new in Airflow 3.4")
on_3_3 = pytest.mark.skipif(AIRFLOW_LINE != (3, 3), reason="on 3.3 every clear keeps the task state store")


def _fail_part_way() -> str:
    """Run the DAG: its one try stops part-way and fails. Returns the run id."""
    result = run_dag(DAG_ID)
    assert result.state_of("bulk") == "failed"
    return result.run_id


def _clear(
    monkeypatch: pytest.MonkeyPatch, run_id: str, dag_id: str = DAG_ID, task_id: str = "bulk", **body: Any
) -> Any:
    """``POST /api/v2/dags/{dag_id}/clearTaskInstances`` for the task, through Airflow's API app."""
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    # The simple auth manager then signs every request as an admin (a test-only shortcut).
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")
    # A key as long as SHA-512 wants (Airflow generates a short one, and PyJWT warns about it).
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "k" * 64)
    with TestClient(create_app("core")) as client:
        return client.post(
            f"/api/v2/dags/{dag_id}/clearTaskInstances",
            json={"dry_run": False, "dag_run_id": run_id, "task_ids": [task_id], **body},
        )


def _run_again(run_id: str, dag_id: str = DAG_ID, task_id: str = "bulk") -> str:
    """Run the cleared task instance as its next try; the output.

    The scheduler's step is taken in process (``dag.test()`` would replace the run): the run's
    schedulable task instances are scheduled, which gives a cleared one its next try number
    (on 3.3; on 3.4 the clear already did). ``airflow tasks test`` then runs it.
    """
    from airflow.models.dagbag import DBDagBag
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from sqlalchemy import select

    with create_session() as session:
        dag_run = session.scalars(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)).one()
        dag_run.dag = DBDagBag().get_dag_for_run(dag_run, session=session)
        if dag_run.state == DagRunState.QUEUED:
            dag_run.state = DagRunState.RUNNING  # as the scheduler starts a queued run
        schedulable, _ = dag_run.update_state(session=session, execute_callbacks=False)
        assert [ti.task_id for ti in schedulable] == [task_id]
        dag_run.schedule_tis(schedulable, session=session)
    airflow = Path(sys.executable).with_name("airflow")
    done = subprocess.run(  # noqa: S603 - our own venv's airflow CLI
        [str(airflow), "tasks", "test", dag_id, task_id, run_id],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
        timeout=240,
    )
    return done.stdout + done.stderr


def _assert_resumed(emu: IntercomEmulator, out: str) -> None:
    first, second = _tries(emu)
    assert RESUMING in out, out[-3000:]
    assert second[0].path != "/conversations/1"
    # Only what the first try did not confirm, plus what it had on the wire.
    assert len(second) <= 400 - len(_ok_ids(first)) + IN_FLIGHT
    assert len(_ok_ids(second) & _ok_ids(first)) <= IN_FLIGHT


@on_3_4
def test_on_3_4_a_clear_that_keeps_task_state_resumes(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _fail_part_way()

    response = _clear(monkeypatch, run_id, keep_task_state=True)

    assert response.status_code == 200, response.text
    _assert_resumed(intercom_emulator, _run_again(run_id))


@on_3_4
def test_on_3_4_a_plain_clear_starts_over(intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = _fail_part_way()

    response = _clear(monkeypatch, run_id)

    assert response.status_code == 200, response.text
    out = _run_again(run_id)
    first, second = _tries(intercom_emulator)
    assert RESUMING not in out
    assert "starts over: no checkpoint from an earlier try" in out, out[-3000:]
    assert second[0].path == "/conversations/1"
    assert len(_ok_ids(second) & _ok_ids(first)) > IN_FLIGHT


@on_3_3
def test_on_3_3_a_clear_resumes(intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    run_id = _fail_part_way()

    # The option does not exist before 3.4: the API refuses it, and clears nothing.
    assert _clear(monkeypatch, run_id, keep_task_state=True).status_code == 422
    response = _clear(monkeypatch, run_id)

    assert response.status_code == 200, response.text
    _assert_resumed(intercom_emulator, _run_again(run_id))
