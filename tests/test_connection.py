"""The connection contract: every field, its default, and a clear error for each bad value."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_intercom.client.facts import API_VERSIONS, DEFAULT_API_VERSION
from airflow_provider_intercom.connection import (
    IntercomConnectionSettings,
    provider_connection_type,
    ui_field_behaviour,
)
from airflow_provider_intercom.exceptions import IntercomConfigError
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.testing.emulator import IntercomEmulator


def settings(
    password: str | None = " tok ", host: str | None = None, port: int | None = None, **extra: Any
) -> IntercomConnectionSettings:
    warnings: list[str] = []
    result = IntercomConnectionSettings.from_connection(
        "intercom_x", password=password, host=host, port=port, extra=extra, warn=warnings.append
    )
    settings.warnings = warnings  # type: ignore[attr-defined]
    return result


def warnings_of(**fields: Any) -> list[str]:
    """The warnings ``settings(**fields)`` gave."""
    settings(**fields)
    return list(settings.warnings)  # type: ignore[attr-defined]


def test_defaults() -> None:
    s = settings()
    assert (s.token, s.base_url, s.region, s.api_version, s.timeout, s.max_retries, s.verify_ssl, s.app_id_code) == (
        "tok",
        "https://api.intercom.io",
        "us",
        "2.16",
        30.0,
        5,
        True,
        None,
    )
    assert "tok" not in repr(s)


@pytest.mark.parametrize(
    ("region", "url", "app"),
    [
        ("us", "https://api.intercom.io", "https://app.intercom.com"),
        ("EU", "https://api.eu.intercom.io", "https://app.eu.intercom.com"),
        ("au", "https://api.au.intercom.io", "https://app.au.intercom.com"),
    ],
)
def test_regions(region: str, url: str, app: str) -> None:
    s = settings(region=region)
    assert (s.base_url, s.app_base_url) == (url, app)


def test_an_intercom_host_overrides_a_region_it_disagrees_with_with_a_warning() -> None:
    s = settings(host="https://api.au.intercom.io", region="eu")
    assert (s.base_url, s.region) == ("https://api.au.intercom.io", "au")
    assert settings.warnings == [  # type: ignore[attr-defined]
        "Intercom connection 'intercom_x' sets both Host (https://api.au.intercom.io) and extra 'region' "
        "(eu); Host wins. Remove one of them."
    ]


def test_schemeless_host_and_port_from_a_uri_connection() -> None:
    assert settings(host="api.eu.intercom.io").base_url == "https://api.eu.intercom.io"
    assert settings(host="https://proxy.example.com/intercom/").base_url == "https://proxy.example.com/intercom"
    assert settings(host="127.0.0.1", port=8089).base_url == "https://127.0.0.1:8089"
    assert settings(host="http://localhost:8089").base_url == "http://localhost:8089"
    assert settings(host="http://[::1]:8089").base_url == "http://[::1]:8089"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        # The form asks for port 443 (Airflow 3.3.2's Test button needs a stored port): adds nothing.
        ("https://api.eu.intercom.io", 443, "https://api.eu.intercom.io"),
        ("api.eu.intercom.io", 443, "https://api.eu.intercom.io"),
        ("http://localhost", 80, "http://localhost"),
        ("https://proxy.example.com/intercom", 8443, "https://proxy.example.com:8443/intercom"),
        ("http://localhost", 443, "http://localhost:443"),
        ("http://127.0.0.1", 8089, "http://127.0.0.1:8089"),
        # A port in the Host wins over the Port field.
        ("http://127.0.0.1:8089", 443, "http://127.0.0.1:8089"),
        ("https://proxy.example.com", 0, "https://proxy.example.com"),
        ("https://proxy.example.com", None, "https://proxy.example.com"),
        # Without a Host the region's host is used as it is.
        (None, 8443, "https://api.intercom.io"),
    ],
)
def test_the_port_field(host: str | None, port: int | None, url: str) -> None:
    assert settings(host=host, port=port).base_url == url


def test_the_port_is_no_longer_hidden_in_the_form() -> None:
    behaviour = ui_field_behaviour()
    assert "port" not in behaviour["hidden_fields"]
    assert set(behaviour["hidden_fields"]) == {"login", "schema"}
    assert behaviour["placeholders"]["port"] == "443"
    assert "443" in behaviour["relabeling"]["port"]
    assert behaviour["relabeling"]["password"] == "Access token"
    # The same layout for every Airflow: the declarative form of >= 3.2 and the classmethods before.
    declared = provider_connection_type()["ui-field-behaviour"]
    assert declared == {
        "hidden-fields": behaviour["hidden_fields"],
        "relabeling": behaviour["relabeling"],
        "placeholders": behaviour["placeholders"],
    }


def test_string_extras_are_converted() -> None:
    s = settings(timeout="2.5", max_retries="3", verify_ssl="false", app_id_code=" abc ", max_retry_time="10")
    assert (s.timeout, s.max_retries, s.verify_ssl, s.app_id_code, s.max_retry_time) == (2.5, 3, False, "abc", 10.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"password": None}, "has no access token. Put the token in the connection's 'Access token' field"),
        ({"password": "   "}, "has no access token"),
        ({"region": "mars"}, "unknown extra 'region' 'mars'. Use one of: us, eu, au"),
        ({"timeout": "soon"}, "non-numeric extra 'timeout'"),
        ({"timeout": -1}, "positive number of seconds"),
        ({"timeout": 0}, "positive number of seconds"),
        ({"timeout": True}, "non-numeric extra 'timeout'"),
        ({"api_version": "v2"}, "has an unknown extra 'api_version' 'v2'. Intercom accepts 1.0, 1.1"),
        ({"api_version": "9.99"}, "unknown extra 'api_version' '9.99'"),
        ({"api_version": "2.17"}, "unknown extra 'api_version' '2.17'"),
        ({"api_version": "unstable"}, "Preview, Unstable; use '2.16' (quoted, so JSON keeps it a string)"),
        ({"timeout": "nan"}, "positive number of seconds"),
        ({"max_retry_time": "inf"}, "positive number of seconds"),
        ({"host": "https://proxy.example", "port": "https"}, "has a Port 'https' that is not a whole number"),
        ({"port": "abc"}, "Set the connection's Port field to 443 (or your Host's port), or leave it empty"),
        ({"host": "https://proxy.example", "port": 70000}, "from 1 to 65535"),
        ({"host": "https://proxy.example:abc"}, "whose port is not a number from 1 to 65535"),
        ({"api_version": 2.16}, "non-string extra 'api_version' 2.16. Quote it in the JSON"),
        ({"api_version": 2.10}, "so that 2.10 does not become 2.1"),
        ({"max_retries": "-1"}, "whole number from 0 to 20"),
        ({"max_retries": 99}, "whole number from 0 to 20"),
        ({"verify_ssl": "maybe"}, "use true or false"),
        ({"host": "http://api.intercom.io"}, "plain-http Host 'api.intercom.io'"),
        ({"host": "http://10.0.0.5:8080"}, "never travel in clear text"),
        ({"host": "ftp://x"}, "invalid Host"),
        ({"host": "https://user:pw@api.intercom.io"}, "credentials"),
    ],
)
def test_bad_values_fail_naming_the_connection(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(IntercomConfigError) as info:
        settings(**kwargs)
    assert "Intercom connection 'intercom_x'" in str(info.value)
    assert message in str(info.value)
    assert info.value.conn_id == "intercom_x"


def test_unknown_extras_are_warned_about() -> None:
    settings(regoin="eu")
    assert any("regoin" in w for w in settings.warnings)  # type: ignore[attr-defined]


@pytest.mark.parametrize("token", ["abc def", "abc\ndef", "tökén", "abc\tdef"])
def test_a_token_with_inner_whitespace_or_non_ascii_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(IntercomConfigError, match="spaces, line breaks or non-ASCII") as info:
        settings(password=token)
    assert token not in str(info.value)


@pytest.mark.parametrize(
    ("host", "region", "expected", "warns"),
    [
        ("https://api.eu.intercom.io", None, "eu", False),
        ("https://api.au.intercom.io", "au", "au", False),
        # The form saves every extra at its default: a default region is no choice to warn about.
        ("https://api.eu.intercom.io", "us", "eu", False),
        ("https://proxy.example.com", "us", "us", False),
        ("https://api.eu.intercom.io", "au", "eu", True),
        # Behind a proxy the region still names the workspace's region: no conflict.
        ("https://proxy.example.com", "au", "au", False),
        ("https://proxy.example.com", None, "us", False),
    ],
)
def test_a_regional_host_sets_the_region(host: str, region: str | None, expected: str, warns: bool) -> None:
    extra = {"region": region} if region else {}
    s = settings(host=host, **extra)
    assert s.region == expected
    assert s.app_base_url == f"https://app{'' if expected == 'us' else '.' + expected}.intercom.com"
    assert bool(settings.warnings) is warns  # type: ignore[attr-defined]


@pytest.mark.parametrize("version", API_VERSIONS)
def test_every_documented_api_version_is_accepted(version: str) -> None:
    assert settings(api_version=f" {version} ").api_version == version


def test_preview_is_accepted_and_unstable_still_is() -> None:
    # Intercom renamed its unstable version Preview on 2026-04-11.
    assert settings(api_version="Preview").api_version == "Preview"
    assert settings(api_version="Unstable").api_version == "Unstable"


def test_the_host_keeps_its_path_prefix_and_the_port_field() -> None:
    # Behind a proxy, the path is part of the API's address: every request goes below it.
    assert settings(host="http://127.0.0.1/wrong/prefix/", port=8080).base_url == "http://127.0.0.1:8080/wrong/prefix"
    assert settings(host="proxy.example/intercom", port="443").base_url == "https://proxy.example/intercom"


def test_an_empty_api_version_means_the_default() -> None:
    assert settings(api_version="").api_version == DEFAULT_API_VERSION


def test_an_unknown_api_version_is_refused_before_any_request(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_V", intercom_emulator.airflow_conn_json(api_version="9.99"))
    with pytest.raises(IntercomConfigError) as info:
        IntercomHook("intercom_v").mark_conversation_read("3")
    assert str(info.value).startswith("Intercom connection 'intercom_v' has an unknown extra 'api_version' '9.99'.")
    ok, message = IntercomHook("intercom_v").test_connection()
    assert not ok
    assert message.startswith("This Intercom connection has an unknown extra 'api_version' '9.99'.")
    assert intercom_emulator.requests == []
