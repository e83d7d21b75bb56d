"""The fault matrix: each row is a misbehaviour of Intercom, what the user must see, and exactly
how many requests the emulator must have received. Everything goes over real loopback HTTP."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_provider_intercom.exceptions import (
    IntercomAuthError,
    IntercomConnectionError,
    IntercomError,
    IntercomForbiddenError,
    IntercomNotFoundError,
    IntercomRateLimitError,
    IntercomResponseError,
    IntercomServerError,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import FAST_RETRIES, make_hook

ATTEMPTS = FAST_RETRIES.max_retries + 1
PATH = "/conversations/3"


@dataclass(frozen=True)
class Row:
    fault: str
    inject: dict[str, Any]
    requests: int
    error: type[IntercomError] | None = None
    says: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)


MATRIX: dict[str, Row] = {
    "429 with reset, then ok": Row("rate_limit", {"times": 1, "reset_in": 0}, 2),
    "429 beyond the budget": Row(
        "rate_limit", {"times": None}, ATTEMPTS, IntercomRateLimitError, ("429 rate_limit_exceeded", "rate limit")
    ),
    "transient 500": Row("status", {"status": 500, "times": 1}, 2),
    "transient 502": Row("status", {"status": 502, "times": 1}, 2),
    "transient 503": Row("status", {"status": 503, "times": 2}, 3),
    "transient 504": Row("status", {"status": 504, "times": 1}, 2),
    "persistent 503": Row(
        "status",
        {"status": 503, "times": None},
        ATTEMPTS,
        IntercomServerError,
        ("Intercom API 503 service_unavailable on PUT /conversations/3 (request_id=", f"after {ATTEMPTS} attempts"),
    ),
    "connection reset, then ok": Row("reset", {"times": 1}, 2),
    "connection reset beyond the budget": Row(
        "reset", {"times": None}, ATTEMPTS, IntercomConnectionError, ("broke before a response arrived",)
    ),
    "read timeout, then ok": Row("slow", {"times": 1, "delay": 1.5}, 2, settings={"timeout": 0.3}),
    "read timeout beyond the budget": Row(
        "slow",
        {"times": None, "delay": 1.5},
        ATTEMPTS,
        IntercomConnectionError,
        ("no response from", "within 0.3s", "extra 'timeout'"),
        settings={"timeout": 0.3},
    ),
    "200 with malformed JSON": Row(
        "malformed_json",
        {"times": None},
        1,
        IntercomResponseError,
        ("answered 200 with a body that is not valid JSON: '{",),
    ),
    "HTML error page once": Row("html", {"times": 1}, 2),
    "HTML error page persists": Row(
        "html",
        {"times": None},
        ATTEMPTS,
        IntercomServerError,
        ("502", "unexpected text/html response: '<"),
    ),
    "401": Row(
        "status",
        {"status": 401, "code": "unauthorized", "message": "Access Token Invalid", "times": None},
        1,
        IntercomAuthError,
        ("401 unauthorized", "connection 'intercom_test'", "access token"),
    ),
    "403 api_plan_restricted": Row(
        "status",
        {"status": 403, "code": "api_plan_restricted", "message": "Active subscription needed.", "times": None},
        1,
        IntercomForbiddenError,
        ("403 api_plan_restricted", "plan does not include this API", "token is fine"),
    ),
    "404": Row(
        "status",
        {"status": 404, "code": "not_found", "message": "Resource Not Found", "times": None},
        1,
        IntercomNotFoundError,
        ("404 not_found", "Conversation 3 does not exist"),
    ),
    "400 with code and field": Row(
        "status",
        {
            "status": 400,
            "code": "parameter_invalid",
            "message": "read must be a boolean",
            "field": "read",
            "times": None,
        },
        1,
        IntercomError,
        ("400 parameter_invalid", "[field: read]"),
    ),
}


@pytest.mark.parametrize("name", list(MATRIX))
def test_fault_matrix_through_the_hook(name: str, emulator: IntercomEmulator) -> None:
    row = MATRIX[name]
    emulator.inject(row.fault, path=PATH, **row.inject)
    hook = make_hook(emulator, **row.settings)

    if row.error is None:
        conversation = hook.mark_conversation_read("3")
        assert conversation["read"] is True
        assert emulator.get("3")["read"] is True
    else:
        with pytest.raises(row.error) as info:
            hook.mark_conversation_read("3")
        message = str(info.value)
        for fragment in row.says:
            assert fragment in message, message
        assert emulator.token not in message
    assert len([r for r in emulator.requests if r.path == PATH]) == row.requests


def test_connection_refused_is_retried_then_clear() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    class Nowhere:
        token = "fake-token"
        url = f"http://127.0.0.1:{port}"

    hook = make_hook(Nowhere)  # type: ignore[arg-type]
    with pytest.raises(IntercomConnectionError) as info:
        hook.get_me()
    assert info.value.attempts == ATTEMPTS
    assert info.value.sent is False
    assert f"could not connect to http://127.0.0.1:{port}" in str(info.value)
    assert "Check the connection's Host/region" in str(info.value)


def test_the_time_budget_bounds_retries_as_well_as_attempts(emulator: IntercomEmulator) -> None:
    from dataclasses import replace

    # A 429 says "wait a minute" (capped at 5 s here); with 1 s of budget no wait may start.
    policy = replace(FAST_RETRIES, max_retry_time=1.0, rate_limit_jitter=0.0, rate_limit_cap=5.0)
    emulator.inject("rate_limit", path=PATH, times=None, reset_in=60)
    with pytest.raises(IntercomRateLimitError):
        make_hook(emulator, policy=policy).mark_conversation_read("3")
    assert len(emulator.requests) == 1


def test_non_idempotent_requests_are_not_retried_after_sending(emulator: IntercomEmulator) -> None:
    emulator.inject("status", path="/me", status=503, times=None)
    hook = make_hook(emulator)
    with pytest.raises(IntercomServerError):
        hook.request("GET", "/me", idempotent=False)
    assert len(emulator.requests) == 1


def test_429_waits_for_the_reset_header(emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    slept: list[float] = []
    hook = make_hook(emulator, policy=replace(FAST_RETRIES, rate_limit_cap=5.0))
    monkeypatch.setattr(hook, "_sleep", slept.append)
    emulator.inject("rate_limit", path=PATH, times=1, reset_in=1.6)
    hook.mark_conversation_read("3")
    # The emulator rounds the reset up to a whole UNIX second, so the wait is in (0, 2.6] s plus jitter.
    assert len(slept) == 1
    assert 0.0 < slept[0] <= 2.6 + FAST_RETRIES.rate_limit_jitter
