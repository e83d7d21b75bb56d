"""The import cost of the operators module, the one thing DAG parsing pays for this provider.

Measured in fresh interpreters with bytecode cached, after ``airflow.sdk`` is already imported.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _sections import IMPORT_MS_TARGET, Row, verdict

# -- Import cost of the operators module -------------------------------------------------------------

_BASE_IMPORT = "from airflow.sdk import BaseOperator, BaseHook"
_OPERATOR_MODULE = "airflow_provider_intercom.operators.intercom"
_CHILD = f"""
import json, sys, time
t0 = time.perf_counter()
{_BASE_IMPORT}
t1 = time.perf_counter()
heavy = ("requests", "aiohttp")
before = [name for name in heavy if name in sys.modules]
if sys.argv[1] == "operator":
    import {_OPERATOR_MODULE}
t2 = time.perf_counter()
print(json.dumps({{"base_s": t1 - t0, "total_s": t2 - t0, "extra_s": t2 - t1,
                  "heavy_before": before, "heavy_after": [name for name in heavy if name in sys.modules]}}))
"""


def _import_env(airflow_home: str, pycache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    # Bytecode is cached (in a throwaway prefix, not in the work tree) as it is on any worker where
    # the provider was pip-installed; with PYTHONDONTWRITEBYTECODE=1, as set in some dev shells, every
    # import recompiles the provider's sources and the figure measures the compiler instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    env["AIRFLOW_HOME"] = airflow_home
    return env


def _run_child(kind: str, env: dict[str, str], cwd: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", _CHILD, kind],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )


def import_cost(runs: int = 5) -> dict[str, Any]:
    """Extra import time of the operators module over Airflow's own ``airflow.sdk`` imports.

    Each run is a fresh interpreter. The figure held to the target is measured inside the process
    that imports the operator module, after the base imports (so it is exactly the extra). As a
    cross-check, processes importing the base alone alternate with them, and the difference of
    the medians is reported too; that one carries the noise of a 1-2 s Airflow import.
    """
    with tempfile.TemporaryDirectory(prefix="intercom-bench-import-") as tmp:
        env = _import_env(str(Path(tmp) / "airflow"), str(Path(tmp) / "pycache"))
        _run_child("operator", env, tmp)  # fills the bytecode cache; not measured
        base_only: list[dict[str, Any]] = []
        with_operator: list[dict[str, Any]] = []
        for _ in range(runs):
            base_only.append(json.loads(_run_child("base", env, tmp).stdout))
            with_operator.append(json.loads(_run_child("operator", env, tmp).stdout))
        extra_ms = 1000 * statistics.median(r["extra_s"] for r in with_operator)
        cross_check_ms = 1000 * (
            statistics.median(r["total_s"] for r in with_operator) - statistics.median(r["base_s"] for r in base_only)
        )
        by_base = sorted({name for r in with_operator for name in r["heavy_before"]})
        by_operator = sorted(
            {name for r in with_operator for name in r["heavy_after"] if name not in r["heavy_before"]}
        )
        heaviest: list[str] = []
        if extra_ms > IMPORT_MS_TARGET:
            heaviest = _heaviest_imports(env, tmp)
    result: dict[str, Any] = {
        "runs": runs,
        "extra_ms_median": extra_ms,
        "extra_ms_each": [1000 * r["extra_s"] for r in with_operator],
        "base_ms_median": 1000 * statistics.median(r["base_s"] for r in base_only),
        "separate_process_difference_ms": cross_check_ms,
        "heavy_imported_by_base": by_base,
        "heavy_imported_by_operator_module": by_operator,
        "heaviest_imports": heaviest,
    }
    result["rows"] = [
        Row(
            "Import cost of airflow_provider_intercom.operators.intercom (over airflow.sdk)",
            f"{extra_ms:.1f} ms (median of {runs}; separate-process difference {cross_check_ms:+.0f} ms)",
            f"<= {IMPORT_MS_TARGET:g} ms",
            verdict(extra_ms <= IMPORT_MS_TARGET),
        ),
        Row(
            "aiohttp or requests imported at DAG parse (by the operators module)",
            (", ".join(by_operator) if by_operator else "neither")
            + (f" (imported by airflow.sdk itself: {', '.join(by_base)})" if by_base else ""),
            "neither",
            verdict(not by_operator),
        ),
    ]
    return result


def _heaviest_imports(env: dict[str, str], cwd: str, top: int = 12) -> list[str]:
    """``-X importtime`` lines of the operator import, heaviest cumulative first."""
    stderr = _run_child("operator", env, cwd, "-X", "importtime").stderr
    names_before = set()
    base = _run_child("base", env, cwd, "-X", "importtime").stderr
    for line in base.splitlines():
        names_before.add(line.rsplit("|", 1)[-1].strip())
    extra = [line for line in stderr.splitlines() if line.rsplit("|", 1)[-1].strip() not in names_before]

    def cumulative(line: str) -> int:
        try:
            return int(line.split("|")[1])
        except (IndexError, ValueError):
            return -1

    return sorted(extra, key=cumulative, reverse=True)[:top]
