"""Run an example DAG with ``dag.test()`` and read back what it left in the metadata DB.

``dag.test()`` and XCom storage differ between Airflow 2.x and 3.x; this module is the one
place that knows how, so tests stay version-agnostic.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

AIRFLOW_3 = True
try:
    from airflow.sdk import BaseOperator as _SdkOperator  # noqa: F401
except ImportError:  # pragma: no cover - Airflow 2.x
    AIRFLOW_3 = False


@dataclass
class DagRunResult:
    """What a test run left behind."""

    dag: Any
    run_id: str
    state: str
    task_states: dict[tuple[str, int], str]
    xcoms: dict[tuple[str, int, str], Any] = field(default_factory=dict)

    def xcom(self, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        """The XCom value a task pushed; KeyError if it pushed none."""
        return self.xcoms[(task_id, map_index, key)]

    def state_of(self, task_id: str, map_index: int = -1) -> str:
        return self.task_states[(task_id, map_index)]


def load_dag(dag_id: str) -> Any:
    """Parse the DAGs folder the way the scheduler would and return one DAG."""
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow >= 3.2
    except ImportError:  # Airflow 2.x to 3.1
        from airflow.models.dagbag import DagBag
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    assert not bag.import_errors, bag.import_errors
    dag = bag.get_dag(dag_id)
    assert dag is not None, f"DAG {dag_id} not found in {os.environ['AIRFLOW__CORE__DAGS_FOLDER']}"
    return dag


def _log_at_the_configured_level() -> None:
    """Make ``dag.test()`` log at ``[logging] logging_level``, as a deployment does.

    Airflow 3.0 leaves structlog unconfigured in ``dag.test()``, so its in-process supervisor logs at
    DEBUG, including each ``MaskSecret`` message it relays, secret in clear. From 3.1 on, Airflow
    configures structlog at the configured level itself; this only fills in for 3.0.
    """
    import structlog

    if structlog.is_configured():
        return
    from airflow.configuration import conf

    level = logging.getLevelName(conf.get("logging", "logging_level", fallback="INFO").upper())
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))


def run_dag(dag_id: str, *, conf: dict[str, Any] | None = None) -> DagRunResult:
    """``dag.test()`` one DAG and collect task states and every XCom of the run."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    if AIRFLOW_3:
        _log_at_the_configured_level()
    dag = load_dag(dag_id)
    dag_run = dag.test(run_conf=conf)
    if AIRFLOW_3:
        from airflow.models.xcom import XComModel as XComRow

        deserialize = XComRow.deserialize_value
    else:
        from airflow.models.xcom import XCom as XComRow

        # Airflow 2 deserializes the value when it loads the row (BaseXCom.init_on_load).
        def deserialize(row: Any) -> Any:
            return row.value

    with create_session() as session:
        tis = (
            session.query(TaskInstance)
            .filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == dag_run.run_id)
            .all()
        )
        rows = session.query(XComRow).filter(XComRow.dag_id == dag_id, XComRow.run_id == dag_run.run_id).all()
        xcoms = {(r.task_id, r.map_index, r.key): deserialize(r) for r in rows}
        states = {(ti.task_id, ti.map_index): str(ti.state) for ti in tis}
    state = dag_run.state
    return DagRunResult(
        dag=dag,
        run_id=dag_run.run_id,
        state=str(getattr(state, "value", state)),
        task_states={k: v.split(".")[-1].lower() for k, v in states.items()},
        xcoms=xcoms,
    )
