"""The ``intercom_emulator`` pytest plugin, exercised in a separate pytest run via ``pytester``."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import json
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
