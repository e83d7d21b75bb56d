"""DAG parsing pays for every import: the operators load no HTTP stack and no bulk engine until a task runs."""

from __future__ import annotations

import json
import subprocess
import sys

# What Airflow itself loads for an operator (Airflow 2 imports requests) is not the provider's doing.
SCRIPT = """
import json, sys
import airflow_provider_intercom._compat
before = set(sys.modules)
import airflow_provider_intercom.operators
added = set(sys.modules) - before
print(json.dumps(sorted(m for m in ("aiohttp", "requests", "airflow_provider_intercom.bulk") if m in added)))
"""


def test_importing_every_operator_loads_neither_http_nor_the_bulk_engine() -> None:
    result = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
