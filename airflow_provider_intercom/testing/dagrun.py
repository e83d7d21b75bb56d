"""Run a DAG file with ``dag.test()`` and read back what the run left, on Airflow 2.11 and 3.x.

Used by the ``intercom_airflow`` fixture of :mod:`airflow_provider_intercom.testing.pytest_plugin`.
Airflow must already be configured (``AIRFLOW_HOME``, a migrated metadata DB) when these
functions run: they import Airflow.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DagRunResult", "load_dag", "run_dag"]


@dataclass
class DagRunResult:
    """What a ``dag.test()`` run left in the metadata DB.

    :param dag_id: the DAG.
    :param run_id: the run.
    :param state: the run's state, e.g. ``"success"``.
    :param task_states: ``(task_id, map_index) -> state`` (map index -1 for unmapped tasks).
    :param xcoms: ``(task_id, map_index, key) -> value`` of every XCom of the run.
    :param dag: the DAG that ran.
    """

    dag_id: str
    run_id: str
    state: str
    task_states: dict[tuple[str, int], str]
    xcoms: dict[tuple[str, int, str], Any] = field(default_factory=dict)
    dag: Any = field(default=None, repr=False, compare=False)

    def state_of(self, task_id: str, map_index: int = -1) -> str:
        """A task instance's state, e.g. ``"success"``.

        :param task_id: the task.
        :param map_index: its map index; -1 for an unmapped task.
        :raises KeyError: when the run has no such task instance.
        """
        return self.task_states[(task_id, map_index)]

    def xcom(self, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
        """The value a task pushed to XCom.

        :param task_id: the task.
        :param key: the XCom key.
        :param map_index: its map index; -1 for an unmapped task.
        :raises KeyError: when it pushed none.
        """
        return self.xcoms[(task_id, map_index, key)]


def _state(value: Any) -> str:
    """``DagRunState.SUCCESS`` / ``"success"`` / ``None`` -> ``"success"`` / ``"none"``."""
    return str(getattr(value, "value", value)).split(".")[-1].lower()


def load_dag(dag_file: str | Path, dags_folder: str | Path, dag_id: str | None = None) -> Any:
    """Parse one DAG file from inside the DAGs folder, as the DAG processor would.

    On Airflow 3, ``dag.test()`` needs the file inside ``[core] dags_folder``, so a file from
    elsewhere is copied there first.

    :param dag_file: the DAG file.
    :param dags_folder: Airflow's DAGs folder.
    :param dag_id: the DAG to return; may be left out when the file defines exactly one.
    :raises RuntimeError: when the file does not import.
    :raises LookupError: when the DAG is not found, or ``dag_id`` is missing and the file has several.
    """
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow >= 3.2
    except ImportError:  # Airflow 2.x to 3.1
        from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

    source, folder = Path(dag_file).resolve(), Path(dags_folder).resolve()
    if not source.is_relative_to(folder):
        target = folder / source.name
        shutil.copyfile(source, target)
        source = target
    bag = DagBag(dag_folder=str(source))
    if bag.import_errors:
        raise RuntimeError(f"{dag_file} does not import: {bag.import_errors}")
    if dag_id is None:
        if len(bag.dag_ids) != 1:
            raise LookupError(f"{dag_file} defines {len(bag.dag_ids)} DAGs {sorted(bag.dag_ids)}: pass dag_id")
        dag_id = bag.dag_ids[0]
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise LookupError(f"no DAG {dag_id!r} in {dag_file}")
    return dag


def _log_at_the_configured_level() -> None:
    """Make ``dag.test()`` log at ``[logging] logging_level``, as a deployment does.

    Airflow 3.0 leaves structlog unconfigured in ``dag.test()``, so its in-process supervisor logs
    at DEBUG, including each ``MaskSecret`` message it relays, secret in clear. From 3.1 on,
    Airflow configures structlog at the configured level itself; Airflow 2 does not use it.
    """
    try:
        import structlog
    except ImportError:  # Airflow 2.x
        return
    if structlog.is_configured():
        return
    from airflow.configuration import conf

    level = logging.getLevelName(conf.get("logging", "logging_level", fallback="INFO").upper())
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(level))


def run_dag(dag: Any, conf: dict[str, Any] | None = None, *, mark_success_pattern: str | None = None) -> DagRunResult:
    """``dag.test()`` a DAG and collect its task states and XComs.

    :param dag: the DAG, e.g. from :func:`load_dag`.
    :param conf: the run's configuration (it overrides the DAG's params).
    :param mark_success_pattern: a regex of task ids to mark successful without running them,
        such as an approval step that would wait for a human.
    """
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    try:
        from airflow.models.xcom import XComModel as XComRow  # Airflow 3.x

        def deserialize(row: Any) -> Any:
            return XComRow.deserialize_value(row)

    except ImportError:  # Airflow 2.x
        from airflow.models.xcom import XCom as XComRow  # type: ignore[no-redef]

        def deserialize(row: Any) -> Any:
            # Airflow 2 deserializes the column when the ORM loads the row (BaseXCom.init_on_load).
            return row.value

    _log_at_the_configured_level()
    dag_run = dag.test(run_conf=conf, mark_success_pattern=mark_success_pattern)
    dag_id, run_id = dag.dag_id, dag_run.run_id
    with create_session() as session:
        tis = session.query(TaskInstance).filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id).all()
        rows = session.query(XComRow).filter(XComRow.dag_id == dag_id, XComRow.run_id == run_id).all()
        return DagRunResult(
            dag_id=dag_id,
            run_id=run_id,
            state=_state(dag_run.state),
            task_states={(ti.task_id, ti.map_index): _state(ti.state) for ti in tis},
            xcoms={(row.task_id, row.map_index, row.key): deserialize(row) for row in rows},
            dag=dag,
        )
