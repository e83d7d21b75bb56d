"""The ``intercom_emulator`` pytest plugin, exercised in a separate pytest run via ``pytester``."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import json
import os

import os

import pytest
import requests

from airflow_provider_intercom.testing.emulator import IntercomEmulator


def _me(emu):
    return requests.get(f"{emu.url}/me", headers={"Authorization": f"Bearer {emu.token}"}, timeout=10)


def test_fixture_sets_the_connection(intercom_emulator):
    assert isinstance(intercom_emulator, IntercomEmulator)
    conn = json.loads(os.environ["AIRFLOW_CONN_INTERCOM_DEFAULT"])
    assert conn["conn_type"] == "intercom"
    assert conn["host"] == intercom_emulator.url
    assert conn["password"] == intercom_emulator.token
    assert _me(intercom_emulator).json()["type"] == "admin"
    assert len(intercom_emulator.conversation_ids()) == 50


@pytest.mark.intercom_emulator(conversations=7, region="EU")
def test_marker_configures_the_emulator(intercom_emulator):
    assert intercom_emulator.conversation_ids()[-1] == "7"
    assert _me(intercom_emulator).json()["app"]["region"] == "EU"


class TestOptionsFixture:
    @pytest.fixture
    def intercom_emulator_options(self):
        return {"conversations": 3, "token": "from-options"}

    def test_options_fixture(self, intercom_emulator):
        assert intercom_emulator.token == "from-options"
        assert intercom_emulator.conversation_ids() == ["1", "2", "3"]

    @pytest.mark.intercom_emulator(conversations=4)
    def test_marker_beats_options(self, intercom_emulator):
        assert intercom_emulator.token == "from-options"
        assert intercom_emulator.conversation_ids() == ["1", "2", "3", "4"]


def test_environment_is_restored():
    assert "AIRFLOW_CONN_INTERCOM_DEFAULT" not in os.environ
"""


@pytest.mark.parametrize("how", ["entry point", "-p module without autoload", "-p entry point name"])
def test_plugin_fixture(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_INTERCOM_DEFAULT", raising=False)
    pytester.makepyfile(test_user=USER_TESTS)
    pytester.makeini("[pytest]\naddopts = --strict-markers\n")
    args = ["-p", "no:cacheprovider"]
    if how == "-p module without autoload":
        # pytest refuses "-p <module>" when the same module is also loaded by its entry point, so
        # naming the module is for runs with plugin autoloading off.
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        args += ["-p", "airflow_provider_intercom.testing.pytest_plugin"]
    elif how == "-p entry point name":
        args += ["-p", "intercom_emulator"]
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=5)


def test_without_the_plugin_the_fixture_is_missing(pytester: pytest.Pytester) -> None:
    # Proves the runs above really get the fixture from the plugin.
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:intercom_emulator")
    result.assert_outcomes(passed=1, errors=4)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["*@pytest.mark.intercom_emulator(**kwargs)*"])


# ---------------------------------------------------------------- running a user's DAG

USER_DAG = """
import pendulum

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationReadOperator

with DAG(
    dag_id="mark_one_read",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    params={"conversation_id": "1"},
):
    IntercomMarkConversationReadOperator(task_id="mark_read", conversation_id="{{ params.conversation_id }}")
"""

# Exactly what docs/emulator.md shows; keep the two in step.
USER_DAG_TEST = """
from pathlib import Path

DAG_FILE = Path(__file__).parent / "dags" / "mark_one_read.py"


def test_my_dag_marks_the_conversation_read(intercom_airflow):
    result = intercom_airflow.run_dag(DAG_FILE, conf={"conversation_id": "7"})

    assert result.state == "success"
    assert result.state_of("mark_read") == "success"
    assert result.xcom("mark_read")["read"] is True
    assert intercom_airflow.emulator.get("7")["read"] is True
    puts = [r.path for r in intercom_airflow.emulator.requests if r.method == "PUT"]
    assert puts == ["/conversations/7"]
"""


def _clean_environment(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # A user's shell has none of the Airflow settings this project's own conftest makes.
    for name in [n for n in os.environ if n.startswith("AIRFLOW")]:
        monkeypatch.delenv(name)
    # Airflow without AIRFLOW_HOME falls back to ~/airflow: keep that inside the test's folder.
    monkeypatch.setenv("HOME", str(pytester.path))


def _fresh_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str) -> None:
    _clean_environment(pytester, monkeypatch)
    (pytester.path / "dags").mkdir()
    (pytester.path / "dags" / "mark_one_read.py").write_text(USER_DAG, encoding="utf-8")
    pytester.makepyfile(test_my_dag=USER_DAG_TEST)
    pytester.makeini(ini)


@pytest.mark.dagrun
def test_users_dag_runs_against_the_emulator(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_project(pytester, monkeypatch, "[pytest]\nintercom_airflow = true\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=600)
    assert result.ret == 0, "\n".join(result.outlines[-60:] + result.errlines[-60:])
    result.assert_outcomes(passed=1)
    assert not list(pytester.path.glob("airflow*")), "nothing may be written into the project"


CONFTEST_IMPORTING_AIRFLOW = """
import os

from airflow.configuration import conf  # the hard case: Airflow imported by the first conftest

IMPORTED_WITH = conf.get("database", "sql_alchemy_conn")
"""

CHECK_HOME = """
import os

from conftest import IMPORTED_WITH


def test_airflow_was_configured_before_the_conftest_imported_it():
    home = os.environ["AIRFLOW_HOME"]
    assert "intercom-airflow-home-" in home
    assert IMPORTED_WITH == f"sqlite:///{home}/airflow.db"
    assert os.environ["AIRFLOW__CORE__DAGS_FOLDER"] == f"{home}/dags"
"""


def test_command_line_flag_configures_airflow_before_any_conftest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_environment(pytester, monkeypatch)
    pytester.makeconftest(CONFTEST_IMPORTING_AIRFLOW)
    pytester.makepyfile(test_home=CHECK_HOME)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--intercom-airflow")
    result.assert_outcomes(passed=1)
    without = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    without.assert_outcomes(failed=1)


def test_without_opting_in_the_fixture_says_how(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_project(pytester, monkeypatch, "[pytest]\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*--intercom-airflow*intercom_airflow = true*"])
