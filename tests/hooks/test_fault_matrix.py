"""The fault matrix: each row is a misbehaviour of Intercom, what the user must see, and exactly
how many requests the emulator must have received. Everything goes over real loopback HTTP.

Each row runs through the client, with its waits injected (recorded, never slept), and through
the hook, with short real waits (the hook takes a retry policy, not a sleep)."""

from __future__ import annotations

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
from tests.helpers.fixtures import FAST_RETRIES, Sleeps, make_client, make_hook

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
    "429 of the workspace's shared budget, then ok": Row("workspace_rate_limit", {"times": 1}, 2),
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
    "501 is not worth another try": Row(
        "status", {"status": 501, "times": None}, 1, IntercomServerError, ("501", "server-side problem")
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
        ("400 parameter_invalid", "[field: read]", "fix the value it names"),
    ),
    "409 is left to Airflow's retries": Row(
        "status", {"status": 409, "code": "conflict", "message": "Try again", "times": None}, 1, IntercomError, ("409",)
    ),
}


@pytest.mark.parametrize("via", ["client", "hook"])
@pytest.mark.parametrize("name", list(MATRIX))
def test_fault_matrix(name: str, via: str, intercom_emulator: IntercomEmulator) -> None:
    row = MATRIX[name]
    intercom_emulator.inject(row.fault, path=PATH, **row.inject)
    sleeps = Sleeps()
    if via == "client":
        api: Any = make_client(intercom_emulator, retry_policy=FAST_RETRIES, sleep=sleeps, **row.settings)
    else:
        api = make_hook(intercom_emulator, **row.settings)

    if row.error is None:
        conversation = api.mark_conversation_read("3")
        assert conversation["read"] is True
        assert intercom_emulator.get("3")["read"] is True
    else:
        with pytest.raises(row.error) as info:
            api.mark_conversation_read("3")
        message = str(info.value)
        for fragment in row.says:
            assert fragment in message, message
        assert intercom_emulator.token not in message
        assert info.value.attempts == row.requests
    assert len([r for r in intercom_emulator.requests if r.path == PATH]) == row.requests
    if via == "client":
        assert len(sleeps) == row.requests - 1  # one wait before each retry, none after the last
