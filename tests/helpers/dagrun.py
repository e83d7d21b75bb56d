"""Run a DAG of the tests' DAGs folder with ``dag.test()``, through the package's own runner.

:mod:`airflow_provider_intercom.testing.dagrun` knows how ``dag.test()`` and XCom storage differ
between Airflow 2.x and 3.x; the tests name DAGs by id, in the folder tests/conftest.py prepares.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from airflow_provider_intercom.testing import dagrun
from airflow_provider_intercom.testing.dagrun import DagRunResult

__all__ = ["AIRFLOW_3", "DagRunResult", "load_dag", "rendered_fields", "run_dag", "task_instance"]

AIRFLOW_3 = True
try:
    from airflow.sdk import BaseOperator as _SdkOperator  # noqa: F401
except ImportError:  # pragma: no cover - Airflow 2.x
    AIRFLOW_3 = False


def load_dag(dag_id: str) -> Any:
    """Parse the DAGs folder the way the scheduler would and return one DAG."""
    folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    return dagrun.load_dag(folder, folder, dag_id)


def run_dag(
    dag_id: str, *, conf: dict[str, Any] | None = None, mark_success_pattern: str | None = None
) -> DagRunResult:
    """``dag.test()`` one DAG and collect task states and every XCom of the run."""
    return dagrun.run_dag(load_dag(dag_id), conf, mark_success_pattern=mark_success_pattern)


def task_instance(result: DagRunResult, task_id: str) -> tuple[int, datetime, datetime]:
    """``(try_number, start_date, end_date)`` of a task instance of the run."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = (
            session.query(TaskInstance).filter_by(dag_id=result.dag.dag_id, run_id=result.run_id, task_id=task_id).one()
        )
        return ti.try_number, ti.start_date, ti.end_date


def rendered_fields(result: DagRunResult, task_id: str) -> dict[str, Any] | None:
    """What the UI's Rendered Template view shows for a task instance of the run (Airflow 3)."""
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        ti = (
            session.query(TaskInstance).filter_by(dag_id=result.dag.dag_id, run_id=result.run_id, task_id=task_id).one()
        )
        # Through Airflow's own reader: 3.4 keys the table by task instance, earlier versions by its parts.
        fields: dict[str, Any] | None = RenderedTaskInstanceFields.get_templated_fields(ti, session=session)
        return fields
