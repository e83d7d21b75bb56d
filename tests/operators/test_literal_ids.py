"""A literal list of ids is not rendered one Jinja template per id, on any Airflow version."""

from __future__ import annotations

import time
from typing import Any

import pendulum
import pytest

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.dagrun import AIRFLOW_3, rendered_fields, run_dag
from tests.helpers.emulator_log import put_ids

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG  # type: ignore[assignment]


def _operator(ids: Any, **dag_kwargs: Any) -> IntercomMarkConversationsReadOperator:
    with DAG("render", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), **dag_kwargs):
        op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=ids)
    op._lock_for_execution = True  # as in a task's run: setting a field then resolves no upstreams
    return op


def test_a_million_literal_ids_render_in_seconds_and_stay_as_given() -> None:
    ids = [str(number) for number in range(1, 1_000_001)]
    op = _operator(ids)

    started = time.monotonic()
    op.render_template_fields({"params": {}})  # type: ignore[arg-type]

    # One Jinja template per id took minutes; the issue asks for 2 s on a worker.
    assert time.monotonic() - started < 20
    assert op.conversation_ids == ids


@pytest.mark.parametrize("native", [False, True])
def test_only_the_templated_items_are_rendered(native: bool) -> None:
    given = ["1", "{{ params.two }}", 3, "{# a note #}4", "5\n", "6\r\n", "7\r"]
    op = _operator(given, render_template_as_native_obj=native)

    op.render_template_fields({"params": {"two": "2"}})  # type: ignore[arg-type]

    # Items without template syntax are kept as given; the others render as Airflow renders them
    # (natively, "2" and "4" become numbers, which the ids' validation accepts as well).
    templated = [2, 4, 5, 6, 7] if native else ["2", "4", "5", "6", "7"]
    assert op.conversation_ids == ["1", templated[0], 3, *templated[1:]]


def test_the_dags_jinja_syntax_is_the_one_looked_for() -> None:
    op = _operator(
        ["1", "<< params.two >>", "{{ 3 }}"],
        jinja_environment_kwargs={"variable_start_string": "<<", "variable_end_string": ">>"},
    )

    op.render_template_fields({"params": {"two": "2"}})  # type: ignore[arg-type]

    assert op.conversation_ids == ["1", "2", "{{ 3 }}"]


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
@pytest.mark.intercom_emulator(conversations=10, rate_limit=1000)
def test_literal_templated_and_upstream_ids_in_a_dag_run(intercom_emulator: IntercomEmulator) -> None:
    result = run_dag("test_intercom_literal_ids")

    assert result.state == "success"
    dry_run = result.xcom("literal")
    assert dry_run["counts"] == {"total": 20_001}
    assert dry_run["conversation_ids"][-3:] == ["19999", "20000", "20001"]
    assert [c["id"] for c in result.xcom("mixed")["updated"]] == ["2", "3", "4"]
    assert [c["id"] for c in result.xcom("from_upstream")["updated"]] == ["5", "6"]
    assert sorted(put_ids(intercom_emulator)) == ["2", "3", "4", "5", "6"]
    if AIRFLOW_3:
        shown_fields = rendered_fields(result, "literal")
        assert shown_fields is not None
        # The UI's Rendered Template view: the list, cut to [core] max_templated_field_length.
        shown = str(shown_fields["conversation_ids"])
        assert shown.startswith("Truncated.")
        assert "'1', '2', '3'" in shown
