"""``make bench``'s million: one bulk task on 200,000 and on 1,000,000 literal ids, in real ``dag.test()`` runs.

Against the emulator with no limit and no latency, each DAG run in a process of its own
(``_dagrun_child.py``) on one throwaway metadata DB: first the same DAG with an operator that only
holds the ids (the baseline), then the bulk task. Reported: the bulk run's wall time, its peak RSS
above the baseline's, the bytes of its XCom as stored, the largest value it wrote to the task state
store (the resume checkpoint; the store's limit is 65,535 and the provider keeps to 60,000), and
how long rendering its template fields took (the literal list is not rendered id by id).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _emulator import UNLIMITED, EmulatorProcess
from _sections import MB, Row, verdict

BENCH_DIR = Path(__file__).resolve().parent
CHILD = BENCH_DIR / "_dagrun_child.py"
#: The targets for ids in one task: peak RSS above the baseline, by size (the largest size at or
#: under the run's applies), XCom, checkpoint value and render time.
RSS_ABOVE_TRIVIAL_MB = {200_000: 40.0, 1_000_000: 100.0}
XCOM_KB = 512.0
CHECKPOINT_CHARS = 60_000
RENDER_S = 2.0


def _run(mode: str, ids: int, home: Path, env: dict[str, str]) -> dict[str, Any]:
    with (home / f"{mode}.log").open("w", encoding="utf-8") as log:
        done = subprocess.run(
            [sys.executable, str(CHILD), mode, str(ids), str(home)],
            cwd=BENCH_DIR, env=env, stdout=subprocess.PIPE, stderr=log, text=True, check=False, timeout=4 * 3600,
        )  # fmt: skip
    if done.returncode != 0:
        tail = (home / f"{mode}.log").read_text(encoding="utf-8")[-3000:]
        raise RuntimeError(f"the {mode} DAG run exited with {done.returncode}:\n{tail}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def million(ids: int) -> dict[str, Any]:
    """The bulk task and its baseline on ``ids`` literal ids; their figures and the table's rows."""
    home = Path(tempfile.mkdtemp(prefix="intercom-bench-airflow-"))
    try:
        (home / "dags").mkdir()
        shutil.copy(BENCH_DIR / "_million_dag.py", home / "dags" / "bench_million_dag.py")
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        }
        airflow = Path(sys.executable).with_name("airflow")
        subprocess.run([str(airflow), "db", "migrate"], env=env, capture_output=True, check=True)
        print(f"  {ids:,} ids: the baseline DAG, then the bulk task (about {ids / 1000 / 60:.0f} min at 1,000/s)")
        with EmulatorProcess(conversations=ids, rate_limit=UNLIMITED) as emu:
            conn = json.dumps({"conn_type": "intercom", "host": emu.url, "password": emu.token})
            env["AIRFLOW_CONN_INTERCOM_DEFAULT"] = conn
            trivial = _run("trivial", ids, home, env)
            bulk = _run("bulk", ids, home, env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return {"ids": ids, "trivial": trivial, "bulk": bulk, "rows": _rows(ids, trivial, bulk)}


def _rows(ids: int, trivial: dict[str, Any], bulk: dict[str, Any]) -> list[Row]:
    counts = bulk["counts"] or {}
    above = (bulk["peak_rss_bytes"] - trivial["peak_rss_bytes"]) / MB
    rss_target = RSS_ABOVE_TRIVIAL_MB[max((size for size in RSS_ABOVE_TRIVIAL_MB if size <= ids), default=200_000)]
    label = f"{ids:,} ids in one task (dag.test, no limit)"
    render = bulk["render_s"]
    return [
        Row(
            f"Wall time, {label}",
            f"{bulk['wall_s']:.0f} s ({counts.get('updated', 0):,} updated, {counts.get('failed', 0):,} failed; "
            f"state {bulk['state']})",
            "-",
            "info" if bulk["state"] == "success" and counts.get("updated") == ids else "FAIL",
        ),
        Row(
            f"Peak RSS above an operator holding the same ids, {label}",
            f"{above:.0f} MB ({bulk['peak_rss_bytes'] / MB:.0f} vs {trivial['peak_rss_bytes'] / MB:.0f} MB)",
            f"<= {rss_target:g} MB",
            verdict(above <= rss_target),
        ),
        Row(
            f"XCom of the summary, {label}",
            f"{bulk['xcom_bytes']:,} bytes" if bulk["xcom_bytes"] < 10_240 else f"{bulk['xcom_bytes'] / 1024:,.0f} KB",
            f"<= {XCOM_KB:g} KB",
            verdict(bulk["xcom_bytes"] <= XCOM_KB * 1024),
        ),
        Row(
            f"Largest checkpoint value, {label}",
            f"{bulk['checkpoint_max_chars']:,} characters ({bulk['checkpoint_values']} values written)",
            f"<= {CHECKPOINT_CHARS:,}",
            verdict(bulk["checkpoint_max_chars"] <= CHECKPOINT_CHARS),
        ),
        Row(
            f"Rendering the literal id list, {label}",
            "not measured" if render is None else f"{render:.2f} s",
            f"<= {RENDER_S:g} s",
            verdict(render is not None and render <= RENDER_S),
        ),
    ]
