"""pytest plugin: an Intercom emulator per test and, opted into, a throwaway Airflow to run DAGs in.

Installed with the package (entry point ``pytest11``/``intercom_emulator``), so any test can ask
for the ``intercom_emulator`` fixture::

    def test_marks_read(intercom_emulator):
        IntercomHook().mark_conversation_read("7")  # uses AIRFLOW_CONN_INTERCOM_DEFAULT
        assert intercom_emulator.get("7")["read"] is True

Set data up and read it back with the emulator's state API (``docs/emulator.md``)::

    def test_closes_stale(intercom_emulator):
        intercom_emulator.set_conversation("7", state="open", tags=["vip"], updated_at=1_700_000_000)
        ...  # run the code under test
        assert intercom_emulator.get("7")["state"] == "closed"
        assert intercom_emulator.count_parts("7", "close") == 1
        open_ids = intercom_emulator.conversation_ids({"field": "state", "operator": "=", "value": "open"})

The fixture starts an :class:`~airflow_provider_intercom.testing.emulator.IntercomEmulator`, sets
``AIRFLOW_CONN_INTERCOM_DEFAULT`` to :meth:`~.IntercomEmulator.airflow_conn_json` for the duration
of the test, and stops the emulator afterwards.

Tune the emulator's constructor arguments in either (or both) of two ways; the marker wins:

* per test, with the ``intercom_emulator`` marker::

      @pytest.mark.intercom_emulator(conversations=10, rate_limit=5, window=1)
      def test_small(intercom_emulator): ...

* per module, class or conftest, by overriding the ``intercom_emulator_options`` fixture::

      @pytest.fixture
      def intercom_emulator_options():
          return {"conversations": 1000, "latency": 0.05}

**Running DAGs.** ``dag.test()`` needs Airflow's metadata DB, and Airflow reads where that is
(``AIRFLOW_HOME`` and friends) once, when it is first imported. Opt in with ``--intercom-airflow``
or ``intercom_airflow = true`` in the ini file, and the plugin points Airflow at a throwaway home
before anything imports it: before conftest files load. The ``intercom_airflow`` fixture then
migrates that home's SQLite DB once per session (``airflow db migrate``, in a subprocess) and
gives each test an emulator plus :meth:`IntercomAirflow.run_dag`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_intercom.testing.dagrun import DagRunResult, load_dag, run_dag
from airflow_provider_intercom.testing.emulator import IntercomEmulator

__all__ = [
    "IntercomAirflow",
    "intercom_airflow",
    "intercom_airflow_db",
    "intercom_emulator",
    "intercom_emulator_options",
]

CONN_ENV = "AIRFLOW_CONN_INTERCOM_DEFAULT"
_OPTION = "intercom_airflow"
_DAGS_OPTION = "intercom_airflow_dags_folder"
_HOME_KEY = pytest.StashKey["_AirflowHome"]()
_OPT_IN_HELP = (
    "the intercom_airflow fixture needs Airflow pointed at a throwaway home before Airflow is imported: "
    "run pytest with --intercom-airflow, or put `intercom_airflow = true` in the [pytest] section of your ini file"
)


@dataclass
class _AirflowHome:
    home: Path
    dags_folder: Path
    saved_env: dict[str, str | None]


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--intercom-airflow`` and the ini options ``intercom_airflow``, ``intercom_airflow_dags_folder``."""
    group = parser.getgroup("intercom", "Intercom emulator")
    group.addoption(
        "--intercom-airflow",
        action="store_true",
        default=False,
        help="point Airflow at a throwaway AIRFLOW_HOME with a SQLite DB, for the intercom_airflow fixture",
    )
    parser.addini(_OPTION, "as --intercom-airflow", type="bool", default=False)
    parser.addini(_DAGS_OPTION, "DAGs folder for the intercom_airflow fixture (default: a throwaway one)", default="")


def _opted_in(config: pytest.Config) -> bool:
    flag = getattr(config.known_args_namespace, "intercom_airflow", False) or config.getoption(
        "intercom_airflow", default=False
    )
    return bool(flag) or bool(config.getini(_OPTION))


def _prepare_home(config: pytest.Config) -> None:
    if _HOME_KEY in config.stash or not _opted_in(config):
        return
    home = Path(tempfile.mkdtemp(prefix="intercom-airflow-home-"))
    configured = str(config.getini(_DAGS_OPTION) or "")
    dags = (config.rootpath / configured).resolve() if configured else home / "dags"
    dags.mkdir(parents=True, exist_ok=True)
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }
    config.stash[_HOME_KEY] = _AirflowHome(home, dags, {name: os.environ.get(name) for name in env})
    os.environ.update(env)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Set Airflow's environment before the first conftest (which may import Airflow) loads.

    :param early_config: the config, with the command line and ini file read.
    :param parser: pytest's parser.
    :param args: the command-line arguments.
    """
    _prepare_home(early_config)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``intercom_emulator`` marker; set Airflow's environment if not done yet."""
    config.addinivalue_line(
        "markers",
        "intercom_emulator(**kwargs): IntercomEmulator constructor arguments for the intercom_emulator fixture",
    )
    # When the plugin is registered late (pytest_plugins in a conftest), this is the first chance.
    _prepare_home(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Restore the environment and remove the throwaway Airflow home."""
    prepared = config.stash.get(_HOME_KEY, None)
    if prepared is None:
        return
    for name, value in prepared.saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    shutil.rmtree(prepared.home, ignore_errors=True)
    del config.stash[_HOME_KEY]


@pytest.fixture
def intercom_emulator_options() -> dict[str, Any]:
    """Constructor keyword arguments for the ``intercom_emulator`` fixture; override to change them."""
    return {}


@pytest.fixture
def intercom_emulator(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    intercom_emulator_options: dict[str, Any],
) -> Iterator[IntercomEmulator]:
    """A running emulator, with ``AIRFLOW_CONN_INTERCOM_DEFAULT`` pointing at it.

    :param request: pytest's request, to read the ``intercom_emulator`` marker.
    :param monkeypatch: used to set the connection environment variable for this test only.
    :param intercom_emulator_options: base constructor arguments.
    """
    options = dict(intercom_emulator_options)
    marker = request.node.get_closest_marker("intercom_emulator")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.intercom_emulator takes keyword arguments only")
        options.update(marker.kwargs)
    with IntercomEmulator(**options) as emulator:
        monkeypatch.setenv(CONN_ENV, emulator.airflow_conn_json())
        yield emulator


@pytest.fixture(scope="session")
def intercom_airflow_db(pytestconfig: pytest.Config) -> Path:
    """Migrate the throwaway home's metadata DB, once per session; returns ``AIRFLOW_HOME``.

    :param pytestconfig: the session's config, which knows the prepared home.
    """
    prepared = pytestconfig.stash.get(_HOME_KEY, None)
    if prepared is None:
        pytest.fail(_OPT_IN_HELP, pytrace=False)
    # A subprocess, as a user would run it: migrating in this process would import Airflow here
    # with whatever state the tests leave behind.
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
    )
    if result.returncode != 0:
        pytest.fail(f"airflow db migrate failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}", pytrace=False)
    return prepared.home


class IntercomAirflow:
    """What the ``intercom_airflow`` fixture gives a test.

    :param home: ``AIRFLOW_HOME``, with a migrated DB.
    :param dags_folder: Airflow's DAGs folder.
    :param emulator: the running emulator ``intercom_default`` points at.
    """

    def __init__(self, home: Path, dags_folder: Path, emulator: IntercomEmulator) -> None:
        self.home = home
        self.dags_folder = dags_folder
        self.emulator = emulator

    def run_dag(
        self, dag_file: str | os.PathLike[str], *, dag_id: str | None = None, conf: dict[str, Any] | None = None
    ) -> DagRunResult:
        """Run a DAG file with ``dag.test()`` (copied into the DAGs folder if it is elsewhere).

        :param dag_file: the DAG file.
        :param dag_id: which DAG; may be left out when the file defines one.
        :param conf: the run's configuration (it overrides the DAG's params).
        :return: the run's state, its task states and XComs.
        """
        return run_dag(load_dag(Path(dag_file), self.dags_folder, dag_id), conf)


@pytest.fixture
def intercom_airflow(
    pytestconfig: pytest.Config, intercom_airflow_db: Path, intercom_emulator: IntercomEmulator
) -> IntercomAirflow:
    """An emulator plus a throwaway, migrated Airflow to run DAG files in (opt in, see the module).

    :param pytestconfig: the session's config.
    :param intercom_airflow_db: the migrated home.
    :param intercom_emulator: the emulator; tune it with the marker or ``intercom_emulator_options``.
    """
    prepared = pytestconfig.stash[_HOME_KEY]
    if "airflow" in sys.modules:
        from airflow.configuration import conf

        used = conf.get("database", "sql_alchemy_conn")
        if str(prepared.home) not in used:
            pytest.fail(f"Airflow was imported before the plugin set its home (it uses {used}); {_OPT_IN_HELP}")
    return IntercomAirflow(intercom_airflow_db, prepared.dags_folder, intercom_emulator)
