"""Every updated id at any size: ``summary="full"``, and ``updated_ids_path`` for a downstream task to read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_provider_intercom.bulk import updated_ids
from airflow_provider_intercom.exceptions import IntercomError
from airflow_provider_intercom.operators.bulk import IntercomMarkConversationsReadOperator
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import FakeTaskInstance, execute, id_range

SEARCH_ALL = {"field": "created_at", "operator": ">", "value": 0}


@pytest.mark.intercom_emulator(conversations=300)
@pytest.mark.parametrize(("mode", "form"), [("auto", "ranges"), ("full", "full")])
def test_whole_conversations_switch_to_ranges_unless_summary_is_full(
    intercom_emulator: IntercomEmulator, mode: str, form: str
) -> None:
    ids = id_range(300)[::-1]
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=ids, xcom_fields=None, summary=mode)

    summary = execute(op)

    assert summary["updated_form"] == form
    assert updated_ids(summary, ids) == ids  # input order, either way
    if form == "full":
        assert summary["updated"][0] == intercom_emulator.get("300")


@pytest.mark.intercom_emulator(conversations=40)
def test_a_search_driven_run_writes_every_updated_id_to_a_file(
    intercom_emulator: IntercomEmulator, tmp_path: Path
) -> None:
    intercom_emulator.inject("status", status=404, code="not_found", times=None, path="/conversations/7")
    path = tmp_path / "updated.txt"
    op = IntercomMarkConversationsReadOperator(
        task_id="t", search_query=SEARCH_ALL, updated_ids_path=str(path), fail_on_error=False
    )

    summary = execute(op)

    written = path.read_text().splitlines()
    assert written == [entry["id"] for entry in summary["updated"]]
    assert "7" not in written
    assert len(written) == summary["counts"]["updated"] == 39
    assert summary["updated_file"] == str(path)
    assert "updated_ids_path" in op.template_fields


@pytest.mark.intercom_emulator(conversations=3)
def test_a_file_that_cannot_be_written_fails_the_task_after_pushing_the_summary(
    intercom_emulator: IntercomEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "missing-directory" / "updated.txt"
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=id_range(3), updated_ids_path=str(path))
    ti = FakeTaskInstance()

    with pytest.raises(IntercomError, match=r"could not write the updated ids to .*missing-directory"):
        execute(op, ti)

    assert ti.pushed["return_value"]["counts"]["updated"] == 3
    assert "updated_file" not in json.dumps(ti.pushed["return_value"])
