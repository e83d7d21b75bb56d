"""From an HTTP exchange to a result or an error: pure functions, no network."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from airflow_provider_intercom import client as errors
from airflow_provider_intercom.client._responses import RequestInfo, network_error, parse_response

PUT = RequestInfo("PUT", "/conversations/3", "intercom_x", "https://api.eu.intercom.io", "eu", 2.5)
ME = replace(PUT, method="GET", path="/me")
JSON_TYPE = {"Content-Type": "application/json"}


def _error_list(code: str | None, message: str | None = "it failed", field: str | None = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    return json.dumps({"type": "error.list", "request_id": "req-body", "errors": [error]}).encode()


def _raised(status: int, content: bytes, request: RequestInfo = PUT, headers: dict[str, str] | None = None) -> Any:
    with pytest.raises(errors.IntercomError) as info:
        parse_response(status, JSON_TYPE if headers is None else headers, content, request)
    return info.value


@pytest.mark.parametrize("status", [200, 201, 202])
def test_a_2xx_object_is_the_result(status: int) -> None:
    assert parse_response(status, JSON_TYPE, b'{"id": "3", "read": true}', PUT) == {"id": "3", "read": True}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"id": "3", "rea', 'answered 200 with a body that is not valid JSON: \'{"id": "3", "rea\''),
        (b"[1, 2]", "answered 200 with JSON that is not an object: '[1, 2]'"),
        (b'"ok"', "answered 200 with JSON that is not an object"),
    ],
)
def test_an_unreadable_2xx_body_is_a_response_error(content: bytes, says: str) -> None:
    err = _raised(200, content, headers={**JSON_TYPE, "X-Request-Id": "req-h"})
    assert type(err) is errors.IntercomResponseError
    assert says in str(err)
    assert str(err).startswith("Intercom API 200 on PUT /conversations/3")
    assert not err.retryable


# status, code, field, request, class, permanent, retryable, what the message must say
ERRORS: dict[
    str, tuple[int, str | None, str | None, RequestInfo, type[errors.IntercomError], bool, bool, tuple[str, ...]]
] = {
    "401": (
        401,
        "unauthorized",
        None,
        PUT,
        errors.IntercomAuthError,
        True,
        False,
        ("401 unauthorized", "access token of connection 'intercom_x'", "'Access token' field", "clear the task"),
    ),
    "403 plan": (
        403,
        "api_plan_restricted",
        None,
        PUT,
        errors.IntercomForbiddenError,
        True,
        False,
        ("403 api_plan_restricted", "plan does not include this API", "access token is fine"),
    ),
    "403 scope": (
        403,
        "forbidden",
        None,
        PUT,
        errors.IntercomForbiddenError,
        True,
        False,
        ("grant the app the missing permission", "Developer Hub"),
    ),
    "403 token": (
        403,
        "token_revoked",
        None,
        PUT,
        errors.IntercomForbiddenError,
        True,
        False,
        ("403 token_revoked", "access token of connection 'intercom_x'", "revoked, expired"),
    ),
    "404 another object": (
        404,
        "admin_not_found",
        "admin_id",
        PUT,
        errors.IntercomNotFoundError,
        True,
        False,
        ("found no admin with the id the request names",),
    ),
    "404 conversation": (
        404,
        "not_found",
        None,
        PUT,
        errors.IntercomNotFoundError,
        True,
        False,
        ("Conversation 3 does not exist in this workspace", "connection 'intercom_x'", "region (now eu)"),
    ),
    "404 elsewhere": (
        404,
        "not_found",
        None,
        ME,
        errors.IntercomNotFoundError,
        True,
        False,
        ("Nothing at /me; it does not exist",),
    ),
    "429": (
        429,
        "rate_limit_exceeded",
        None,
        PUT,
        errors.IntercomRateLimitError,
        False,
        True,
        ("429 rate_limit_exceeded", "Airflow pool", "max_requests_per_minute"),
    ),
    "500": (500, "server_error", None, PUT, errors.IntercomServerError, False, True, ("quote the request_id",)),
    "503": (
        503,
        "service_unavailable",
        None,
        PUT,
        errors.IntercomServerError,
        False,
        True,
        ("503 service_unavailable",),
    ),
    "501": (501, "not_implemented", None, PUT, errors.IntercomServerError, True, False, ("501",)),
    "505": (505, None, None, PUT, errors.IntercomServerError, True, False, ("505",)),
    "400 with a field": (
        400,
        "parameter_invalid",
        "read",
        PUT,
        errors.IntercomError,
        True,
        False,
        ("400 parameter_invalid", "[field: read]", "fix the value it names"),
    ),
    "400 without a field": (400, "parameter_invalid", None, PUT, errors.IntercomError, True, False, ("API reference",)),
    "422": (422, "conflict", None, PUT, errors.IntercomError, True, False, ("422",)),
    "408 says not now": (408, "timeout", None, PUT, errors.IntercomError, False, False, ("408",)),
    "409 says not now": (409, "conflict", None, PUT, errors.IntercomError, False, False, ("409",)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_each_error_answer(name: str) -> None:
    status, code, field, request, cls, permanent, retryable, says = ERRORS[name]
    err = _raised(
        status, _error_list(code, field=field), request, headers={**JSON_TYPE, "X-RateLimit-Reset": "1700000010"}
    )
    assert type(err) is cls
    assert (err.status, err.code, err.field, err.request_id) == (status, code, field, "req-body")
    assert (err.permanent, err.retryable) == (permanent, retryable)
    # What happened, where, and what to do.
    assert "it failed" in str(err)
    assert f"on {request.method} {request.path} (request_id=req-body)" in str(err)
    for fragment in says:
        assert fragment in str(err), str(err)


def test_a_429_keeps_the_reset_and_is_retryable_even_for_a_non_idempotent_request() -> None:
    err = _raised(
        429, _error_list("rate_limit_exceeded"), replace(PUT, idempotent=False), {"X-RateLimit-Reset": "1700000010"}
    )
    assert (err.retryable, err.reset_at) == (True, 1700000010.0)
    assert _raised(429, _error_list("rate_limit_exceeded"), PUT, {"X-RateLimit-Reset": "soon"}).reset_at is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_is_retried_only_when_sending_twice_is_harmless(status: int) -> None:
    assert _raised(status, _error_list(None)).retryable
    assert not _raised(status, _error_list(None), replace(PUT, idempotent=False)).retryable


def test_a_proxys_html_page_is_quoted_briefly_with_the_header_request_id() -> None:
    page = b"<html>\n  <body>   <h1>502 Bad Gateway</h1>" + b" " * 10 + b"x" * 200 + b"</body></html>"
    err = _raised(502, page, headers={"Content-Type": "text/html; charset=utf-8", "X-Request-Id": "req-h"})
    assert type(err) is errors.IntercomServerError
    assert (err.code, err.request_id, err.retryable) == (None, "req-h", True)
    assert "unexpected text/html response: '<html> <body> <h1>502 Bad Gateway</h1> xxx" in str(err)
    assert "...'" in str(err)
    assert "</body>" not in str(err)


PROXY = replace(PUT, base_url="http://127.0.0.1:8080/wrong/prefix")


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(b"<html><body><h1>404 Not Found</h1></body></html>", {"Content-Type": "text/html"}, id="html"),
        pytest.param(b"", {}, id="empty"),
        pytest.param(b'{"message": "no route"}', JSON_TYPE, id="a gateway's json"),
    ],
)
def test_a_404_that_is_not_intercoms_error_list_says_the_host_is_wrong(content: bytes, headers: dict[str, str]) -> None:
    err = _raised(404, content, PROXY, headers)
    assert type(err) is errors.IntercomConfigError
    assert (err.status, err.scope, err.permanent, err.retryable) == (404, "host", True, False)
    # The Host as configured, path included, and what to do.
    assert "no Intercom API is at the Host 'http://127.0.0.1:8080/wrong/prefix'" in str(err)
    assert "Check the Host of connection 'intercom_x', path included" in str(err)


def test_intercoms_own_404_stays_a_fact_about_the_id() -> None:
    err = _raised(404, _error_list("not_found"), PROXY)
    assert (type(err), err.scope, err.permanent) == (errors.IntercomNotFoundError, "id", True)


def test_an_empty_error_body_still_says_something() -> None:
    err = _raised(500, b"", headers={})
    assert "unexpected unknown response: ''" in str(err)


def test_the_connection_is_named_generically_when_there_is_no_id() -> None:
    err = _raised(401, _error_list("unauthorized"), replace(PUT, conn_id=None))
    assert "Check the access token of this connection" in str(err)


# failure, idempotent, sent, retryable, what the message must say
NETWORK: list[tuple[str, bool, bool, bool, tuple[str, ...]]] = [
    ("connect", False, False, True, ("could not connect to https://api.eu.intercom.io (refused)", "Host/region")),
    ("connect", True, False, True, ("could not connect",)),
    ("timeout", True, True, True, ("no response from https://api.eu.intercom.io within 2.5s", "extra 'timeout'")),
    ("timeout", False, True, False, ("no response",)),
    ("broken", True, True, True, ("broke before a response arrived (refused)", "usually transient")),
    ("broken", False, True, False, ("broke before",)),
    ("tls", False, False, True, ("TLS handshake with https://api.eu.intercom.io failed before the request was sent",)),
    (
        "certificate",
        True,
        False,
        False,
        ("TLS certificate of https://api.eu.intercom.io failed verification (refused)", "REQUESTS_CA_BUNDLE"),
    ),
]


@pytest.mark.parametrize(("failure", "idempotent", "sent", "retryable", "says"), NETWORK)
def test_network_errors(failure: Any, idempotent: bool, sent: bool, retryable: bool, says: tuple[str, ...]) -> None:
    err = network_error(failure, "refused", replace(PUT, idempotent=idempotent))
    assert type(err) is errors.IntercomConnectionError
    # Only a failed certificate check fails again whenever it is tried: Airflow need not retry it.
    assert (err.sent, err.retryable, err.permanent, err.status) == (sent, retryable, failure == "certificate", None)
    assert str(err).startswith("Intercom API request PUT /conversations/3 failed: ")
    for fragment in says:
        assert fragment in str(err), str(err)
