"""Every shipped example DAG runs under ``dag.test()`` against the emulator and does what it says."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_intercom.links import CONVERSATION_URL_XCOM_KEY, IntercomConversationLink
from airflow_provider_intercom.operators._resume_hints import AIRFLOW_LINE
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.conftest import EXAMPLE_DAGS
from tests.helpers.dagrun import AIRFLOW_3, DagRunResult, load_dag, run_dag
from tests.helpers.emulator_log import puts

#: ApprovalOperator (standard provider) exists from Airflow 3.1.
APPROVAL = AIRFLOW_LINE >= (3, 1)
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


def _writes(emu: IntercomEmulator) -> list[Any]:
    return [r for r in emu.requests if r.method in {"POST", "PUT", "DELETE"} and r.path != "/conversations/search"]


def _close_stale(emu: IntercomEmulator) -> None:
    now = int(time.time())
    stale, fresh = ["2", "5", "9"], ["3", "7"]
    for cid in emu.conversation_ids():
        emu.set_conversation(cid, state="closed")
    for cid in stale:
        emu.set_conversation(cid, state="open", updated_at=now - 15 * 86400)
    for cid in fresh:
        emu.set_conversation(cid, state="open", updated_at=now - 13 * 86400)
    dag = load_dag("example_intercom_close_stale")
    if APPROVAL:
        # What was approved is what gets closed: the close waits for the approval and takes the
        # previewed ids, never a search of its own.
        assert dag.get_task("approve").upstream_task_ids == {"anything_to_close"}
        assert dag.get_task("close").upstream_task_ids == {"previewed_ids", "anything_to_close", "approve"}
    assert dag.get_task("close").search_query is None

    # The approval is given: dag.test() has no human to wait for.
    result = run_dag("example_intercom_close_stale", mark_success_pattern="^approve$")

    assert result.state == "success"
    assert result.xcom("preview")["counts"]["total"] == 3
    assert sorted(result.xcom("preview")["conversation_ids"], key=int) == stale
    assert sorted(r.path.split("/")[2] for r in _writes(emu)) == sorted(stale)  # the dry run wrote nothing
    assert [emu.get(cid)["state"] for cid in stale + fresh] == ["closed"] * 3 + ["open"] * 2
    assert len([r for r in emu.requests if r.path == "/conversations/search"]) == 1


def _reroute_teammate(emu: IntercomEmulator) -> None:
    leaving, team = "991267801", "5017691"
    for cid in emu.conversation_ids():
        emu.set_conversation(cid, admin_assignee_id="0", team_assignee_id="0")
    mine = ["4", "6", "10"]
    for cid in mine:
        emu.set_conversation(cid, state="open", admin_assignee_id=leaving)
    emu.set_conversation("11", state="closed", admin_assignee_id=leaving)

    result = run_dag("example_intercom_reroute_teammate", conf={"leaving_admin_id": leaving, "team_id": team})

    assert result.state == "success"
    assert sorted(result.xcom("find"), key=int) == mine
    for cid in mine:
        conversation = emu.get(cid)
        assert str(conversation["team_assignee_id"]) == team
        assert conversation["admin_assignee_id"] in (None, 0, "0")
    assert str(emu.get("11")["admin_assignee_id"]) == leaving  # closed: not this job's
    assert len(_writes(emu)) == 2 * len(mine)


def _tag_from_upstream(emu: IntercomEmulator) -> None:
    result = run_dag("example_intercom_tag_from_upstream")

    assert result.state == "success"
    summary = result.xcom("tag_churn_risk")
    assert [entry["id"] for entry in summary["updated"]] == ["2", "4", "6", "8"]
    for cid in ("2", "4", "6", "8"):
        assert "churn-risk" in {tag["name"] for tag in emu.get(cid)["tags"]["tags"]}
    assert [r.path for r in emu.requests].count("/tags") == 1


def _reply_generated(emu: IntercomEmulator) -> None:
    me = emu.admins()[0]["id"]  # no admin_id given: the token's owner replies
    result = run_dag("example_intercom_reply_generated")

    assert result.state == "success"
    assert [entry["id"] for entry in result.xcom("reply")["updated"]] == ["3", "5", "9"]
    for cid, amount in (("3", "19.99"), ("5", "42.00"), ("9", "7.50")):
        (part,) = [p for p in emu.parts(cid, "comment", author_id=me) if "refund" in (p["body"] or "")]
        assert f"${amount}" in part["body"]
    assert sorted(r.path for r in _writes(emu)) == [f"/conversations/{cid}/reply" for cid in ("3", "5", "9")]


CHECKS: dict[str, Callable[[IntercomEmulator], None]] = {
    "example_intercom_reply_generated": _reply_generated,
    "example_intercom_close_stale": _close_stale,
    "example_intercom_reroute_teammate": _reroute_teammate,
    "example_intercom_tag_from_upstream": _tag_from_upstream,
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


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_close_stale_skips_the_approval_and_the_close_when_nothing_is_stale(
    intercom_emulator: IntercomEmulator,
) -> None:
    for cid in intercom_emulator.conversation_ids():
        intercom_emulator.set_conversation(cid, state="closed")

    result = run_dag("example_intercom_close_stale")

    assert result.state == "success"
    assert result.state_of("close") == "skipped"
    if APPROVAL:
        assert result.state_of("approve") == "skipped"
    assert _writes(intercom_emulator) == []
