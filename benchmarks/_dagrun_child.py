"""One ``dag.test()`` run of the million-id DAG (``_million_dag.py``) in a process of its own.

Prints one JSON line: the process's peak RSS (read before anything reads the XCom back), the run's
wall time and state, the bytes of the task's XCom as stored, and what the task measured from inside
(its render time, the sizes of the values it wrote to the task state store).

Usage: ``python benchmarks/_dagrun_child.py MODE IDS AIRFLOW_HOME``, MODE ``bulk`` or ``trivial``;
AIRFLOW_HOME holds a migrated metadata DB and ``dags/bench_million_dag.py``; the parent sets
``AIRFLOW_CONN_INTERCOM_DEFAULT`` to the emulator.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any


def _airflow_env(home: Path, mode: str, ids: int) -> Path:
    out = home / f"measured-{mode}.json"
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "BENCH_MODE": mode,
            "BENCH_IDS": str(ids),
            "BENCH_OUT": str(out),
        }
    )
    return out


def _xcom_bytes(dag_id: str, run_id: str) -> tuple[int, Any]:
    """The stored size of the task's ``return_value``, and the value."""
    from airflow.utils.session import create_session
    from sqlalchemy import func

    try:
        from airflow.models.xcom import XComModel as Row  # Airflow 3.x
    except ImportError:  # Airflow 2.x
        from airflow.models.xcom import XCom as Row  # type: ignore[no-redef]
    where = (Row.dag_id == dag_id, Row.run_id == run_id, Row.key == "return_value")
    with create_session() as session:
        size = session.query(func.length(Row.value)).filter(*where).scalar() or 0
        row = session.query(Row).filter(*where).one_or_none()
        # Airflow 3 stores JSON text; Airflow 2's ORM decodes the column when it loads the row.
        decode = getattr(Row, "deserialize_value", lambda loaded: loaded.value)
        return int(size), None if row is None else decode(row)


def main(argv: list[str]) -> int:
    mode, ids, home = argv[0], int(argv[1]), Path(argv[2])
    out = _airflow_env(home, mode, ids)
    from airflow_provider_intercom.testing import dagrun

    dag = dagrun.load_dag(home / "dags" / "bench_million_dag.py", home / "dags", "bench_million")
    started = time.perf_counter()
    dag_run = dag.test()
    wall_s = time.perf_counter() - started
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    xcom_bytes, summary = _xcom_bytes(dag.dag_id, dag_run.run_id)
    measured = json.loads(out.read_text()) if out.exists() else {}
    result = {
        "mode": mode,
        "ids": ids,
        "state": str(getattr(dag_run.state, "value", dag_run.state)),
        "wall_s": wall_s,
        "peak_rss_bytes": peak_rss,
        "xcom_bytes": xcom_bytes,
        "counts": summary.get("counts") if isinstance(summary, dict) else None,
        "render_s": measured.get("render_s"),
        "checkpoint_values": len(measured.get("checkpoint_sizes", [])),
        "checkpoint_max_chars": max(measured.get("checkpoint_sizes") or [0]),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
