"""Every shipped example DAG runs under ``dag.test()`` against the emulator and does what it says."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_intercom.links import CONVERSATION_URL_XCOM_KEY, IntercomConversationLink
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.conftest import EXAMPLE_DAGS
from tests.helpers.dagrun import AIRFLOW_3, DagRunResult, load_dag, run_dag
from tests.helpers.emulator_log import puts

EXAMPLES = sorted(path.stem for path in EXAMPLE_DAGS.glob("*.py"))


def _matching(emu: IntercomEmulator, **fields: Any) -> list[str]:
    return [cid for cid in emu.conversation_ids() if all(emu.get(cid)[k] == v for k, v in fields.items())]


def _resolve_link(result: DagRunResult, task_id: str) -> str:
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


def _mark_read(emu: IntercomEmulator) -> None:
    cid = _matching(emu, read=False)[0]

    result = run_dag("example_intercom_mark_read", conf={"conversation_id": cid})

    assert result.state == "success"
    conversation = result.xcom("mark_read")
    assert conversation == emu.get(cid)
    assert conversation["read"] is True
    assert result.xcom("summarize") == {
        "id": cid,
        "read": True,
        "state": conversation["state"],
        "updated_at": conversation["updated_at"],
    }
    assert [(r.path, r.body) for r in puts(emu)] == [(f"/conversations/{cid}", {"read": True})]
    # The "View in Intercom" link: stored by execute(), read back as the UI would.
    url = f"https://app.intercom.com/a/inbox/{emu.app_id_code}/inbox/conversation/{cid}"
    assert result.xcom("mark_read", CONVERSATION_URL_XCOM_KEY) == url
    assert _resolve_link(result, "mark_read") == url


def _bulk_nightly(emu: IntercomEmulator) -> None:
    targets = _matching(emu, state="closed", read=False)
    others = [cid for cid in _matching(emu, read=False) if cid not in targets]
    assert targets
    assert others

    result = run_dag("example_intercom_bulk_nightly")

    assert result.state == "success"
    summary = result.xcom("mark_closed_unread_read")
    # In the search's order, which the summary keeps.
    assert sorted((c["id"] for c in summary["updated"]), key=int) == targets
    assert summary["counts"]["failed"] == 0
    assert result.xcom("report") == {"total": len(targets), "updated": len(targets), "skipped": 0, "failed": 0}
    assert all(emu.get(cid)["read"] for cid in targets)
    assert not any(emu.get(cid)["read"] for cid in others)


def _bulk_from_upstream(emu: IntercomEmulator) -> None:
    result = run_dag("example_intercom_bulk_from_upstream")

    assert result.state == "success"
    summary = result.xcom("mark_listed_read")
    assert [c["id"] for c in summary["updated"]] == ["1", "2", "3", "5"]  # "2" twice, sent once
    assert sorted(r.path for r in puts(emu)) == [f"/conversations/{cid}" for cid in ("1", "2", "3", "5")]


def _bulk_update(emu: IntercomEmulator) -> None:
    targets = _matching(emu, state="open", priority="urgent")
    before = {cid: emu.get(cid) for cid in emu.conversation_ids() if cid not in targets}
    assert targets

    result = run_dag("example_intercom_bulk_update")

    assert result.state == "success"
    summary = result.xcom("flag_open_urgent_for_review")
    assert sorted((c["id"] for c in summary["updated"]), key=int) == targets
    assert all(set(c) == {"id", "title", "custom_attributes"} for c in summary["updated"])
    bodies = {repr(r.body) for r in puts(emu)}
    assert len(bodies) == 1  # the same update for every match, and only the fields given
    body = puts(emu)[0].body
    ds = body["custom_attributes"]["escalation_review"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", ds)  # rendered, not "{{ ds }}"
    assert body == {
        "title": f"Escalation review {ds}",
        "custom_attributes": {"escalation_review": ds, "escalated": True},
    }
    for cid in targets:
        conversation = emu.get(cid)
        assert conversation["title"] == f"Escalation review {ds}"
        assert conversation["custom_attributes"]["escalated"] is True
        assert "issue_type" in conversation["custom_attributes"]  # merged, not replaced
    assert {cid: emu.get(cid) for cid in before} == before
    assert result.xcom("report") == {"flagged": [c["id"] for c in summary["updated"]], "failed": 0}


CHECKS: dict[str, Callable[[IntercomEmulator], None]] = {
    "example_intercom_mark_read": _mark_read,
    "example_intercom_bulk_nightly": _bulk_nightly,
    "example_intercom_bulk_from_upstream": _bulk_from_upstream,
    "example_intercom_bulk_update": _bulk_update,
}


def test_every_example_has_a_check() -> None:
    assert sorted(CHECKS) == EXAMPLES


@pytest.mark.usefixtures("airflow_db")
def test_every_example_dag_imports_as_its_file_name() -> None:
    for dag_id in EXAMPLES:
        assert load_dag(dag_id).dag_id == dag_id


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize("dag_id", EXAMPLES)
def test_example_dag_runs_and_does_what_it_says(dag_id: str, intercom_emulator: IntercomEmulator) -> None:
    CHECKS[dag_id](intercom_emulator)
