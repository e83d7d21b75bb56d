"""The pure decisions behind one network behaviour: which CA bundle, and how a redirect is worded."""

from __future__ import annotations

import pytest

from airflow_provider_intercom.client._network import ca_bundle, environment_proxy
from airflow_provider_intercom.client._responses import RequestInfo, redirect_error

PUT = RequestInfo("PUT", "/conversations/3", "intercom_test", "https://gw.example/intercom", "us", 30.0)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "certifi.pem"),
        ({"CURL_CA_BUNDLE": "/curl.pem"}, "/curl.pem"),
        ({"REQUESTS_CA_BUNDLE": "/requests.pem", "CURL_CA_BUNDLE": "/curl.pem"}, "/requests.pem"),
        ({"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": "/curl.pem"}, "/curl.pem"),  # empty counts as unset
        ({"SSL_CERT_FILE": "/system.pem"}, "certifi.pem"),  # requests does not read it either
    ],
)
def test_the_bundle_is_the_one_requests_would_pick(environ: dict[str, str], expected: str) -> None:
    assert ca_bundle(environ, "certifi.pem") == expected


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        ("https://other.example/v2/conversations/3?X-Signature=abc#frag", "'https://other.example/v2/conversations/3'"),
        ("https://user:pass@other.example:8443/x", "'https://other.example:8443/x'"),
        ("/elsewhere?token=abc", "'https://gw.example/elsewhere'"),
        ("http://[::1", "an unreadable Location"),
    ],
)
def test_a_redirect_names_where_it_points_without_query_or_credentials(location: str, shown: str) -> None:
    error = redirect_error(307, {"Location": location}, PUT)
    assert error is not None
    assert f"answered 307, a redirect to {shown}; redirects are not followed" in str(error)
    for secret in ("abc", "pass", "frag"):
        assert secret not in str(error)
    assert (error.status, error.permanent, error.retryable) == (307, True, False)


def test_a_redirect_without_location_and_other_statuses() -> None:
    error = redirect_error(302, {}, PUT)
    assert error is not None
    assert "answered 302, a redirect without a Location" in str(error)
    assert "set the Host of connection 'intercom_test' (now https://gw.example/intercom)" in str(error)
    assert [redirect_error(status, {"Location": "/x"}, PUT) for status in (200, 299, 400, 404)] == [None] * 4


@pytest.mark.parametrize(
    ("url", "proxies", "exempt", "expected"),
    [
        ("https://api.intercom.io", {"https": "http://proxy:3128"}, set(), "http://proxy:3128"),
        ("https://api.intercom.io", {"http": "http://plain:80"}, set(), None),  # HTTP_PROXY is for http URLs
        ("http://127.0.0.1:8089", {"http": "http://plain:80", "https": "http://proxy:3128"}, set(), "http://plain:80"),
        ("https://api.intercom.io", {"all": "http://every:1"}, set(), "http://every:1"),
        (
            "https://api.intercom.io",
            {"https": "http://proxy:3128", "all": "http://every:1"},
            set(),
            "http://proxy:3128",
        ),
        ("https://api.intercom.io", {"https": "http://u:p@proxy:3128"}, set(), "http://u:p@proxy:3128"),
        ("https://api.intercom.io/gw", {"https": "http://proxy:3128"}, {"api.intercom.io"}, None),  # NO_PROXY
        ("https://api.intercom.io", {"https": ""}, set(), None),
        ("https://api.intercom.io", {}, set(), None),
    ],
)
def test_the_proxy_is_the_one_the_environment_names_for_the_url(
    url: str, proxies: dict[str, str], exempt: set[str], expected: str | None
) -> None:
    assert environment_proxy(url, proxies=lambda: proxies, bypass=exempt.__contains__) == expected


def test_the_proxy_follows_the_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert environment_proxy("https://api.intercom.io") == "http://proxy.corp:3128"
    monkeypatch.setenv("NO_PROXY", ".intercom.io")
    assert environment_proxy("https://api.intercom.io") is None
