"""Durable bulk runs in real DAG runs: a try cut off by execution_timeout, then its retry.

The emulator serves 50 calls/s, so 400 ids take about 8 s; ``execution_timeout`` is 5 s and
``retries`` 1 (tests/dags/test_intercom_resume.py). The emulator's request log shows what each
try sent; the two tries are told apart by the pause between them (the first try's end).
"""

from __future__ import annotations

import contextlib
import itertools
from typing import Any

import pytest

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.dagrun import DagRunResult, run_dag

try:
    from airflow.sdk.execution_time.context import TaskStateStoreAccessor  # noqa: F401

    HAS_STATE_STORE = True
except ImportError:  # Airflow < 3.3
    HAS_STATE_STORE = False

pytestmark = [pytest.mark.usefixtures("airflow_db"), pytest.mark.dagrun]
needs_store = pytest.mark.skipif(not HAS_STATE_STORE, reason="resume needs Airflow 3.3+'s task state store (AIP-103)")
#: Requests a stopped try may have had on the wire: sent, maybe applied, but not confirmed.
IN_FLIGHT = 10
RESUMING = "Resuming from the checkpoint of an earlier try"


def _tries(emu: IntercomEmulator, method: str = "PUT") -> list[list[Any]]:
    """The requests of each try: every try starts with a ``GET /me`` (the DAG's ``pre_execute``)."""
    tries: list[list[Any]] = []
    for request in sorted(emu.requests, key=lambda r: r.received_monotonic):
        if (request.method, request.path) == ("GET", "/me"):
            tries.append([])
        elif request.method == method and tries:
            tries[-1].append(request)
    return tries


def _ok_ids(writes: list[Any]) -> set[str]:
    # /conversations/{id} (an update) or /conversations/{id}/parts (an action)
    return {r.path.split("/")[2] for r in writes if r.status is not None and 200 <= r.status < 300}


def _stored_keys(result: DagRunResult) -> list[str]:
    from airflow.models.task_state_store import TaskStateStoreModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskStateStoreModel).filter(TaskStateStoreModel.run_id == result.run_id).all()
        return [row.key for row in rows]


def _check_resumed_run(emu: IntercomEmulator, result: DagRunResult, total: int, out: str) -> list[int]:
    tries = _tries(emu)
    summary = result.xcom("bulk")
    print(f"PUTs per try ({total} ids): {[len(puts) for puts in tries]}")
    assert result.state == "success"
    assert len(tries) >= 2, "the first try must be cut off part-way"
    confirmed: set[str] = set()
    for before, puts in itertools.pairwise(tries):
        confirmed |= _ok_ids(before)
        # A retry re-sends at most what was not confirmed at the stop, plus what was in flight then.
        assert 0 < len(confirmed) < total
        assert len(puts) <= total - len(confirmed) + IN_FLIGHT
        assert len(_ok_ids(puts) & confirmed) <= IN_FLIGHT
    assert all(emu.get(cid)["read"] for cid in emu.conversation_ids())
    counts = summary["counts"]
    assert (counts["total"], counts["updated"], counts["failed"]) == (total, total, 0)
    assert counts["resumed"] > 0
    assert counts["resumed"] == sum(1 for item in summary["updated"] if item.get("resumed"))
    assert sorted(item["id"] for item in summary["updated"]) == sorted(str(n) for n in range(1, total + 1))
    assert out.count(RESUMING) == len(tries) - 1, "one line per retry"
    # Deleted on success: clearing the task and running it again sends everything again.
    assert _stored_keys(result) == []
    return [len(puts) for puts in tries]


@needs_store
@pytest.mark.intercom_emulator(conversations=400, rate_limit=50, window=1)
def test_retry_resumes_where_the_timeout_stopped(
    intercom_emulator: IntercomEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    result = run_dag("test_intercom_resume")

    _check_resumed_run(intercom_emulator, result, 400, capfd.readouterr().out)


@needs_store
@pytest.mark.intercom_emulator(conversations=2000, rate_limit=200, window=1)
def test_a_larger_run_resumes_too(intercom_emulator: IntercomEmulator, capfd: pytest.CaptureFixture[str]) -> None:
    result = run_dag("test_intercom_resume_large")

    _check_resumed_run(intercom_emulator, result, 2000, capfd.readouterr().out)


@needs_store
@pytest.mark.intercom_emulator(conversations=400, rate_limit=50, window=1)
def test_resume_off_resends_everything(intercom_emulator: IntercomEmulator) -> None:
    result = run_dag("test_intercom_resume_off")

    first, retry = _tries(intercom_emulator)
    print(f"PUTs per try, resume=False: {len(first)}, {len(retry)}")
    assert retry[0].path == "/conversations/1", "the retry starts over"
    assert len(_ok_ids(retry) & _ok_ids(first)) > IN_FLIGHT
    assert _stored_keys(result) == []


@needs_store
@pytest.mark.intercom_emulator(conversations=700, rate_limit=50, window=1)
def test_search_driven_run_resumes_without_skipping(
    intercom_emulator: IntercomEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    emu = intercom_emulator
    unread = {cid for cid in emu.conversation_ids() if not emu.get(cid)["read"]}

    result = run_dag("test_intercom_resume_search")

    assert result.state == "success"
    # No retry searched again: a read = false search shrinks as the first try works.
    searches = _tries(emu, "POST")
    assert len(searches) >= 2
    assert searches[0]
    assert not any(searches[1:])
    assert all(emu.get(cid)["read"] for cid in unread)
    summary = result.xcom("bulk")
    assert {item["id"] for item in summary["updated"]} == unread
    assert summary["counts"]["resumed"] > 0
    assert capfd.readouterr().out.count(RESUMING) == len(searches) - 1


@needs_store
@pytest.mark.intercom_emulator(conversations=400, rate_limit=50, window=1)
def test_a_bulk_close_cut_by_the_timeout_resumes_with_at_most_10_percent_extra_writes(
    intercom_emulator: IntercomEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    emu = intercom_emulator
    for cid in emu.conversation_ids():
        emu.set_conversation(cid, state="open")

    result = run_dag("test_intercom_resume_close")

    tries = _tries(emu, "POST")
    out = capfd.readouterr().out
    print(f"close requests per try (400 ids): {[len(writes) for writes in tries]}")
    assert result.state == "success"
    assert len(tries) >= 2, "the first try must be cut off part-way"
    assert sum(len(writes) for writes in tries) <= 440
    assert all(emu.get(cid)["state"] == "closed" for cid in emu.conversation_ids())
    assert result.xcom("bulk")["counts"]["resumed"] > 0
    assert out.count(RESUMING) == len(tries) - 1


@pytest.mark.skipif(HAS_STATE_STORE, reason="checks the fallback of Airflow < 3.3, which has no task state store")
@pytest.mark.intercom_emulator(conversations=400, rate_limit=50, window=1)
def test_before_airflow_3_3_the_run_says_resume_is_unavailable(
    intercom_emulator: IntercomEmulator, capfd: pytest.CaptureFixture[str]
) -> None:
    # Airflow 2's dag.test() raises the first try's timeout instead of retrying; that a retry
    # re-sends everything there is checked at unit level (test_resume_unit.py).
    with contextlib.suppress(BaseException):
        run_dag("test_intercom_resume")

    captured = capfd.readouterr()
    assert (captured.out + captured.err).count("Resume is unavailable: it needs Airflow 3.3+") >= 1
    assert _tries(intercom_emulator)[0][0].path == "/conversations/1"
