"""The pure decisions behind one network behaviour: which CA bundle, and how a redirect is worded."""

from __future__ import annotations

import pytest

from airflow_provider_intercom.client._network import ca_bundle
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
