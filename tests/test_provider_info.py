"""Registration with Airflow: provider info, the connection form, the CLI listing."""

from __future__ import annotations

import importlib.metadata
import importlib.util
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
# Before Airflow 3.2 the connection form (widgets and field behaviours) comes from the hook's
# classmethods, which Airflow only calls where Flask-AppBuilder imports: built into Airflow 2.x,
# the apache-airflow-providers-fab package on 3.0 and 3.1 (installed by the Makefile in those cells).
HAS_FAB = importlib.util.find_spec("flask_appbuilder") is not None
FORM_METADATA = DECLARATIVE_FORMS or HAS_FAB
NEEDS_FAB = (
    "Airflow < 3.2 builds the connection form from the hook's classmethods, only with Flask-AppBuilder "
    "installed: install apache-airflow-providers-fab (the Makefile's EXTRA_REQS does, per Airflow line)"
)


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
        assert hasattr(importlib.import_module(module), name), dotted


def test_providers_manager_holds_what_the_ui_shows() -> None:
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-intercom" in manager.providers
    hook = manager.hooks["intercom"]
    assert hook is not None
    assert hook.hook_class_name == "airflow_provider_intercom.hooks.intercom.IntercomHook"
    assert hook.hook_name == "Intercom"
    assert hook.connection_id_attribute_name == "intercom_conn_id"
    assert "airflow_provider_intercom.links.IntercomConversationLink" in manager.extra_links_class_names
    if not FORM_METADATA:
        pytest.skip(NEEDS_FAB)

    behaviour = manager.field_behaviours["intercom"]
    assert behaviour["relabeling"]["password"] == "Access token"
    assert set(behaviour["hidden_fields"]) == {"login", "schema"}
    # Port stays visible, labelled so that UI users store 443 (Airflow 3.3.2's Test button needs it).
    assert "443" in behaviour["relabeling"]["port"]

    widgets = manager.connection_form_widgets
    for extra in EXTRA_FIELDS:
        assert f"extra__intercom__{extra.name}" in widgets, extra.name
    region = widgets["extra__intercom__region"]
    if DECLARATIVE_FORMS:  # Airflow >= 3.2 builds the form from the provider info
        assert region.field["schema"]["title"] == "Region"
        assert region.field["schema"]["enum"] == ["us", "eu", "au"]
        assert region.field["value"] == "us"
    else:  # Airflow 2.x to 3.1 build it from the hook's classmethods
        assert str(region.field.args[0]) == "Region"


def test_hook_classmethods_cover_every_extra() -> None:
    if DECLARATIVE_FORMS:
        pytest.importorskip("flask_appbuilder", reason="Airflow >= 3.2 builds the form from the provider info")
    else:  # the form's only source: this must run, not skip, wherever Airflow < 3.2 is tested
        assert HAS_FAB, NEEDS_FAB
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
    # stdout also carries Airflow's log lines; the listing is the one line holding a JSON list.
    listings = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("[{")]
    assert len(listings) == 1, result.stdout[-2000:]
    [rows] = listings
    if command[1] == "list":
        [ours] = [row for row in rows if row["package_name"] == "airflow-provider-intercom"]
        assert ours["version"] == __version__
    else:
        [ours] = [row for row in rows if row["connection_type"] == "intercom"]
        assert ours["class"] == "airflow_provider_intercom.hooks.intercom.IntercomHook"
        assert ours["package_name"] == "airflow-provider-intercom"
