"""Registration with Airflow: provider info, the connection form, the CLI listing."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import airflow
import jsonschema
import pytest

from airflow_provider_intercom import __version__, get_provider_info
from airflow_provider_intercom.connection import EXTRA_FIELDS
from airflow_provider_intercom.hooks.intercom import IntercomHook

AIRFLOW_DIR = Path(airflow.__file__).parent
AIRFLOW_VERSION = tuple(int(p) for p in airflow.__version__.split(".")[:2])
DECLARATIVE_FORMS = AIRFLOW_VERSION >= (3, 2)


def test_package_name_and_version_match_the_distribution() -> None:
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-intercom"
    assert importlib.metadata.version("airflow-provider-intercom") == __version__
    assert info["versions"] == [__version__]


def test_provider_info_validates_against_airflows_own_schema() -> None:
    schema = json.loads((AIRFLOW_DIR / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


@pytest.mark.skipif(
    not (AIRFLOW_DIR / "provider.yaml.schema.json").exists(), reason="this Airflow ships no provider.yaml schema"
)
def test_connection_type_validates_against_the_provider_yaml_schema() -> None:
    schema = json.loads((AIRFLOW_DIR / "provider.yaml.schema.json").read_text())
    item_schema = schema["properties"]["connection-types"]["items"]
    [conn_type] = get_provider_info()["connection-types"]
    jsonschema.validate(conn_type, item_schema)
    assert conn_type["hook-name"] == "Intercom"
    assert conn_type["connection-type"] == "intercom"


def test_everything_named_in_the_provider_info_imports() -> None:
    import importlib

    info = get_provider_info()
    for section in ("hooks", "operators"):
        for entry in info[section]:
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for dotted in [*info["extra-links"], *(c["hook-class-name"] for c in info["connection-types"])]:
        module, _, name = dotted.rpartition(".")
        assert getattr(importlib.import_module(module), name)


def test_providers_manager_holds_what_the_ui_shows() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-intercom" in manager.providers
    hook = manager.hooks["intercom"]
    assert hook is not None
    assert hook.hook_class_name == "airflow_provider_intercom.hooks.intercom.IntercomHook"
    assert hook.hook_name == "Intercom"
    assert hook.connection_id_attribute_name == "intercom_conn_id"

    behaviour = manager.field_behaviours["intercom"]
    assert behaviour["relabeling"]["password"] == "Access token"
    assert set(behaviour["hidden_fields"]) == {"login", "schema", "port"}

    widgets = manager.connection_form_widgets
    for extra in EXTRA_FIELDS:
        assert f"extra__intercom__{extra.name}" in widgets, extra.name
    region = widgets["extra__intercom__region"]
    if DECLARATIVE_FORMS:  # Airflow >= 3.2 builds the form from the provider info
        assert region.field["schema"]["title"] == "Region"
        assert region.field["schema"]["enum"] == ["us", "eu", "au"]
        assert region.field["value"] == "us"
    else:  # Airflow 2.x builds it from the hook's classmethods
        assert str(region.field.args[0]) == "Region"
    assert "airflow_provider_intercom.links.IntercomConversationLink" in manager.extra_links_class_names


def test_hook_classmethods_cover_every_extra_for_airflow_2() -> None:
    pytest.importorskip("flask_appbuilder", reason="Airflow 2.x's form widgets need Flask-AppBuilder")
    widgets = IntercomHook.get_connection_form_widgets()
    assert list(widgets) == [extra.name for extra in EXTRA_FIELDS]


@pytest.mark.parametrize("command", [["providers", "list"], ["providers", "hooks"]])
def test_airflow_cli_lists_the_provider(command: list[str], airflow_db: Path) -> None:
    airflow_cli = Path(sys.executable).with_name("airflow")
    result = subprocess.run(  # noqa: S603 - our own venv's CLI
        [str(airflow_cli), *command, "--output", "json"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    if command[1] == "list":
        assert "airflow-provider-intercom" in result.stdout
    else:
        assert "airflow_provider_intercom.hooks.intercom.IntercomHook" in result.stdout
        assert '"intercom"' in result.stdout or "intercom" in result.stdout
