"""Test set-up: a throwaway Airflow home with a real SQLite metadata DB, made before Airflow loads.

Airflow reads its configuration the first time it is imported, so the environment is set here,
at import time of the root conftest, before any test module imports it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Timing is measured in make bench, never in tests: on 2 shared, busy cores, Hypothesis's own
# timing checks (a 200 ms deadline per example, slow input generation) fail tests that are right.
settings.register_profile("shared-cores", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-cores")

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_DAGS = REPO / "example_dags"
SPEC_DIR = Path(os.environ.get("INTERCOM_SPEC_DIR", REPO.parent / "shared" / "intercom"))

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="intercom-provider-airflow-"))
# dag.test() needs its DAG file inside the DAGs folder: the shipped examples, plus the tests' own.
_DAGS = _AIRFLOW_HOME / "dags"
_DAGS.mkdir()
for _dag_file in [*EXAMPLE_DAGS.glob("*.py"), *(REPO / "tests" / "dags").glob("*.py")]:
    shutil.copy(_dag_file, _DAGS / _dag_file.name)
os.environ.update(
    {
        "AIRFLOW_HOME": str(_AIRFLOW_HOME),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(_DAGS),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }
)
# A connection left over in the developer's shell must not leak into tests.
for _name in [n for n in os.environ if n.startswith("AIRFLOW_CONN_")]:
    del os.environ[_name]

pytest_plugins = ["tests.helpers.fixtures", "tests.helpers.standins"]


@pytest.fixture(scope="session")
def airflow_db() -> Iterator[Path]:
    """Migrate the metadata DB once per test run (``airflow db migrate``, as a user would)."""
    airflow = Path(sys.executable).with_name("airflow")
    result = subprocess.run(  # noqa: S603 - our own venv's airflow CLI
        [str(airflow), "db", "migrate"], capture_output=True, text=True, check=False, env=os.environ.copy()
    )
    assert result.returncode == 0, f"airflow db migrate failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return _AIRFLOW_HOME


def pytest_configure(config: pytest.Config) -> None:
    """Airflow's own deprecation class fails the suite: it warns that our code uses an API Airflow removes next.

    The class is named by version (a filter naming a class the installed Airflow lacks aborts
    pytest): ``RemovedInAirflow4Warning`` on 3.x, ``RemovedInAirflow3Warning`` on 2.x.
    """
    import importlib

    # 3.x defines the class twice, in airflow.exceptions and in the Task SDK's exceptions.
    for module in ("airflow.exceptions", "airflow.sdk.exceptions"):
        try:
            found = importlib.import_module(module)
        except ImportError:  # Airflow 2.x: no Task SDK
            continue
        for name in ("RemovedInAirflow4Warning", "RemovedInAirflow3Warning"):
            if hasattr(found, name):
                config.addinivalue_line("filterwarnings", f"error::{module}.{name}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)
