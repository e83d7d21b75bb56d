"""From an HTTP exchange to a result or a typed error, as pure functions.

Like stripe-python's ``_api_requestor.py``: :func:`parse_response` takes ``(status, headers,
body)`` and returns the JSON object or raises the error that says what went wrong, with its hint
and retryability fixed at construction. Both the sync (``requests``) and the async (``aiohttp``)
transports call it, and :func:`network_error` words a failed exchange for either of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

from airflow_provider_intercom.client._error import (
    IntercomAuthError,
    IntercomConfigError,
    IntercomConnectionError,
    IntercomError,
    IntercomForbiddenError,
    IntercomNotFoundError,
    IntercomRateLimitError,
    IntercomResponseError,
    IntercomServerError,
)
from airflow_provider_intercom.client._ratelimit import header_number
from airflow_provider_intercom.client._retry import RETRYABLE_SERVER_STATUSES
from airflow_provider_intercom.client.facts import ACCOUNT_WIDE_ERROR_CODES, CONVERSATION_NOT_FOUND_CODES

JSON = dict[str, Any]
_SNIPPET_BYTES = 120
_ALTERED_HINT = (
    "Something between the worker and Intercom (a proxy?) may have altered it; the task's own retries will try again."
)
_CONVERSATION_PATH = re.compile(r"^/conversations/(\d+)$")
#: How a transport classifies an exchange that got no response.
NetworkFailure = Literal["connect", "timeout", "certificate", "tls", "broken"]


@dataclass(frozen=True)
class RequestInfo:
    """What the error mapping needs to know about the request.

    :param method: HTTP method.
    :param path: API path, e.g. ``/conversations/123``.
    :param conn_id: the connection, named in hints.
    :param base_url: the API base URL.
    :param region: the configured region, named in 404 hints.
    :param timeout: the per-request timeout, named in timeout messages.
    :param idempotent: whether sending the request twice is harmless.
    """

    method: str
    path: str
    conn_id: str | None
    base_url: str
    region: str
    timeout: float
    idempotent: bool = True

    @property
    def connection(self) -> str:
        """How hints name the connection."""
        return f"connection {self.conn_id!r}" if self.conn_id else "this connection"


def parse_response(status: int, headers: Mapping[str, str], content: bytes, request: RequestInfo) -> JSON:
    """Return a 2xx answer's JSON object, or raise the error the answer means.

    :param status: the HTTP status.
    :param headers: the response headers (case-insensitive mapping).
    :param content: the raw response body.
    :param request: the request it answers.
    :raises IntercomError: the subclass for the status; ``retryable`` set for this request.
    """
    body: Any = None
    try:
        body = json.loads(content) if content else None
    except ValueError:
        if 200 <= status < 300:
            raise _unreadable(f"a body that is not valid JSON: {snippet(content)}", status, headers, request) from None
    if 200 <= status < 300:
        if not isinstance(body, dict):
            what = "an empty body" if not content else f"JSON that is not an object: {snippet(content)}"
            raise _unreadable(what, status, headers, request)
        return body
    raise http_error(status, headers, content, body, request)


def not_the_conversation(status: int, request: RequestInfo, conversation_id: str) -> IntercomResponseError:
    """The error for a 2xx answer that is not the conversation asked about (a proxy's JSON).

    :param status: the answer's status.
    :param request: the request it answers.
    :param conversation_id: the conversation the request named.
    """
    return _unreadable(f"something other than conversation {conversation_id}", status, {}, request)


def _unreadable(what: str, status: int, headers: Mapping[str, str], request: RequestInfo) -> IntercomResponseError:
    return IntercomResponseError(
        f"answered {status} with {what}",
        status=status,
        method=request.method,
        path=request.path,
        conn_id=request.conn_id,
        request_id=headers.get("X-Request-Id"),
        hint=_ALTERED_HINT,
    )


def http_error(
    status: int, headers: Mapping[str, str], content: bytes, body: Any, request: RequestInfo
) -> IntercomError:
    """The typed error for a non-2xx answer; its flags and ``scope`` say what may be done about it.

    :param status: the HTTP status.
    :param headers: the response headers.
    :param content: the raw body, quoted when it is not Intercom's error JSON.
    :param body: the parsed body, or None.
    :param request: the request it answers.
    """
    redirect = redirect_error(status, headers, request)
    if redirect is not None:
        return redirect
    listed = _error_list(body)
    if listed is None and status == 404:
        return _not_intercom(headers, content, request)
    common: dict[str, Any] = {
        "status": status,
        "request_id": headers.get("X-Request-Id"),
        "method": request.method,
        "path": request.path,
        "conn_id": request.conn_id,
    }
    if listed is None:
        content_type = headers.get("Content-Type", "unknown").split(";")[0]
        message = f"unexpected {content_type} response: {snippet(content)}"
    else:
        message, code, field, request_id = listed
        common.update(code=code, field=field, request_id=request_id or common["request_id"])
    code = common.get("code")
    if status == 401 or code in ACCOUNT_WIDE_ERROR_CODES:
        cls = IntercomAuthError if status == 401 else IntercomForbiddenError if status == 403 else IntercomError
        return cls(message, hint=_account_hint(code, request), permanent=True, **common)
    if status == 403:
        return IntercomForbiddenError(
            message,
            hint=f"Intercom refused this call with the access token of {request.connection}: if the same code "
            "comes back for every id, grant the app the missing permission in Intercom's Developer Hub; "
            "otherwise this item is out of the token's reach.",
            **common,
        )
    if status == 404:
        return IntercomNotFoundError(message, hint=_not_found_hint(code, request), **common)
    if status == 429:
        return IntercomRateLimitError(
            message,
            hint="Intercom's rate limit was exceeded and retrying did not get under it; other tasks or "
            "integrations share the app's budget. Run Intercom tasks in an Airflow pool, or give bulk tasks "
            "a lower max_concurrency or a max_requests_per_minute.",
            retryable=True,
            reset_at=header_number(headers, "X-RateLimit-Reset"),
            **common,
        )
    if status >= 500:
        return IntercomServerError(
            message,
            hint="Intercom had a server-side problem; quote the request_id to Intercom support if it persists.",
            retryable=request.idempotent and status in RETRYABLE_SERVER_STATUSES,
            # 501 and 505 say the request itself is wrong: asking again, now or later, cannot help.
            permanent=status in (501, 505),
            **common,
        )
    return IntercomError(
        message,
        hint="Intercom rejected the request; fix the value it names."
        if common.get("field")
        else "Intercom rejected the request; check the values sent against Intercom's API reference.",
        # 408 and 409 say "not now"; every other 4xx says "not this request".
        permanent=status not in (408, 409),
        **common,
    )


def _error_list(body: Any) -> tuple[str, str | None, str | None, str | None] | None:
    """``(message, code, field, request_id)`` of Intercom's error list; None for any other body."""
    if not (isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]):
        return None
    first = body["errors"][0] if isinstance(body["errors"][0], dict) else {}
    code = first.get("code")
    return str(first.get("message") or code or "no message"), code, first.get("field"), body.get("request_id")


def _not_intercom(headers: Mapping[str, str], content: bytes, request: RequestInfo) -> IntercomConfigError:
    """A 404 without Intercom's error list: no Intercom API is at the Host, or at its path."""
    content_type = headers.get("Content-Type", "unknown").split(";")[0]
    what = f"a {content_type} body {snippet(content)}" if content else "an empty body"
    return IntercomConfigError(
        f"answered with {what}, not Intercom's error list: no Intercom API is at the Host {request.base_url!r}",
        status=404,
        request_id=headers.get("X-Request-Id"),
        method=request.method,
        path=request.path,
        conn_id=request.conn_id,
        hint=f"Check the Host of {request.connection}, path included: it must be where Intercom's paths "
        "(/me, /conversations/...) begin, e.g. https://api.intercom.io or a proxy's https://proxy.example/intercom. "
        "Then clear the task.",
        scope="host",
    )


def _account_hint(code: str | None, request: RequestInfo) -> str:
    if code == "api_plan_restricted":
        return (
            "The workspace's Intercom plan does not include this API. The access token is fine "
            f"({request.connection}): an Intercom admin must change the plan (ask Intercom support "
            "which one), then clear the task."
        )
    return (
        f"Check the access token of {request.connection} (the 'Access token' field): it is missing, "
        "wrong, revoked, expired, or belongs to another region. Fix the token; then clear the tasks that failed on it."
    )


def _not_found_hint(code: str | None, request: RequestInfo) -> str:
    if code is not None and code not in CONVERSATION_NOT_FOUND_CODES:
        return f"Intercom found no {code.removesuffix('_not_found')} with the id the request names: fix that id."
    match = _CONVERSATION_PATH.match(request.path)
    what = f"Conversation {match.group(1)}" if match else f"Nothing at {request.path}; it"
    return (
        f"{what} does not exist in this workspace: check the id, and that {request.connection} "
        f"points at the workspace's region (now {request.region})."
    )


def network_error(failure: NetworkFailure, detail: str, request: RequestInfo) -> IntercomConnectionError:
    """The error for an exchange that got no HTTP response.

    :param failure: what the transport saw: connecting failed, no answer in time, the server's
        certificate failed verification, the TLS handshake failed otherwise, or the connection
        broke after the request went out.
    :param detail: the root cause as the transport reported it (no headers, no token).
    :param request: the request that failed.
    """
    base_url = request.base_url
    if failure == "certificate":
        message = f"the TLS certificate of {base_url} failed verification ({detail})"
        hint = (
            "If a proxy or gateway re-signs TLS with a private CA, point REQUESTS_CA_BUNDLE at a PEM bundle "
            "holding that CA (both the single and the bulk operators use it); set the connection's extra "
            "verify_ssl=false only for a test server."
        )
    elif failure == "tls":
        message = f"the TLS handshake with {base_url} failed before the request was sent ({detail})"
        hint = "Something on the way (a proxy, a firewall) cut it; this is usually transient and is retried."
    elif failure == "timeout":
        message = f"no response from {base_url} within {request.timeout:g}s"
        hint = "Raise the connection's extra 'timeout' if Intercom is slow for you."
    elif failure == "connect":
        message = f"could not connect to {base_url} ({detail})"
        hint = "Check the connection's Host/region and the worker's network (DNS, proxy, firewall)."
    else:
        message = f"the connection to {base_url} broke before a response arrived ({detail})"
        hint = "This is usually transient; the task's own retries will try again."
    # Connecting and the TLS handshake come before the request: it cannot have been applied.
    sent = failure not in ("connect", "tls", "certificate")
    return IntercomConnectionError(
        message,
        method=request.method,
        path=request.path,
        conn_id=request.conn_id,
        hint=hint,
        sent=sent,
        # A certificate that failed verification fails again; a request that may have been
        # applied is resent only when doing it twice is harmless.
        retryable=failure != "certificate" and (request.idempotent or not sent),
        permanent=failure == "certificate",
    )


def redirect_error(status: int, headers: Mapping[str, str], request: RequestInfo) -> IntercomError | None:
    """The error for a 3xx answer, which the transports never follow; None for any other status.

    Intercom's API never redirects: a redirect comes from a wrong Host or something on the way,
    and following it would send the token, and a PUT's body, to another origin.

    :param status: the HTTP status.
    :param headers: the response headers.
    :param request: the request it answers.
    """
    if not 300 <= status < 400:
        return None
    location = headers.get("Location")
    where = f"to {_location(location, request)}" if location else "without a Location"
    return IntercomError(
        f"answered {status}, a redirect {where}; redirects are not followed",
        status=status,
        method=request.method,
        path=request.path,
        conn_id=request.conn_id,
        request_id=headers.get("X-Request-Id"),
        hint=f"Intercom's API does not redirect: set the Host of {request.connection} (now {request.base_url}) "
        "to the API's own address (the region's https://api...intercom.io, or a proxy that forwards "
        "without redirecting), then clear the task.",
        permanent=True,
    )


def _location(location: str, request: RequestInfo) -> str:
    # Named without its query, fragment or user info: a redirect target may carry credentials.
    try:
        parts = urlsplit(urljoin(request.base_url + request.path, location.strip()))
    except ValueError:
        return "an unreadable Location"
    netloc = parts.netloc.rpartition("@")[2]
    return repr(urlunsplit((parts.scheme, netloc, parts.path, "", ""))[:200])


def snippet(content: bytes) -> str:
    """The start of a body, quoted on one line, for messages.

    :param content: the raw body.
    """
    text = content[:_SNIPPET_BYTES].decode("utf-8", errors="replace")
    suffix = "..." if len(content) > _SNIPPET_BYTES else ""
    return repr(" ".join(text.split()) + suffix)
