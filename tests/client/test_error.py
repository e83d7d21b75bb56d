"""The client's errors: data only, flags fixed at construction, readable, and picklable."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from airflow_provider_intercom import client as errors

#: Every error class, whether it is permanent unless told otherwise, and the reason a bulk summary gives.
CLASSES: list[tuple[type[errors.IntercomError], bool, str]] = [
    (errors.IntercomError, False, "error"),
    (errors.IntercomConfigError, True, "error"),
    (errors.IntercomValidationError, True, "error"),
    (errors.IntercomAuthError, True, "error"),
    (errors.IntercomForbiddenError, True, "error"),
    (errors.IntercomNotFoundError, True, "not_found"),
    (errors.IntercomRateLimitError, False, "rate_limited"),
    (errors.IntercomServerError, False, "server_error"),
    (errors.IntercomConnectionError, False, "network"),
    (errors.IntercomResponseError, False, "error"),
    (errors.IntercomCancelledError, False, "cancelled"),
]

FULL: dict[str, Any] = {
    "status": 503,
    "code": "service_unavailable",
    "field": "read",
    "request_id": "req-1",
    "method": "PUT",
    "path": "/conversations/3",
    "conn_id": "intercom_x",
    "hint": "Try later.",
    "retryable": True,
    "sent": False,
    "reset_at": 1700000010.0,
    "attempts": 2,
    "elapsed": 1.5,
}


@pytest.mark.parametrize(("cls", "permanent", "reason"), CLASSES)
def test_defaults_of_each_class(cls: type[errors.IntercomError], permanent: bool, reason: str) -> None:
    err = cls("boom")
    assert (err.permanent, err.retryable, err.sent, err.attempts, err.elapsed) == (permanent, False, True, 1, 0.0)
    assert err.failure_reason == reason
    assert str(err) == "boom"
    assert cls("boom", permanent=not permanent).permanent is not permanent


def test_the_failure_reason_falls_back_to_intercoms_code() -> None:
    assert errors.IntercomError("x", code="parameter_invalid").failure_reason == "parameter_invalid"
    # A class's own reason wins over the code: a bulk summary groups by what happened.
    assert errors.IntercomNotFoundError("x", code="conversation_not_found").failure_reason == "not_found"


def test_a_network_error_is_not_a_server_error() -> None:
    # ``except errors.IntercomServerError`` must not swallow a dropped connection, and the other way round.
    assert not issubclass(errors.IntercomConnectionError, errors.IntercomServerError)
    assert not issubclass(errors.IntercomServerError, errors.IntercomConnectionError)
    assert issubclass(errors.IntercomValidationError, ValueError)


def test_the_message_says_what_where_and_what_to_do() -> None:
    err = errors.IntercomError(
        "read must be a boolean",
        status=400,
        code="parameter_invalid",
        field="read",
        request_id="req-9",
        method="PUT",
        path="/conversations/3",
        hint="Fix the value it names.",
    )
    assert str(err) == (
        "Intercom API 400 parameter_invalid on PUT /conversations/3 (request_id=req-9): read must be a boolean "
        "[field: read]. Fix the value it names."
    )


def test_the_message_of_a_request_without_an_answer() -> None:
    err = errors.IntercomConnectionError(
        "could not connect to https://x.example", method="GET", path="/me", hint="Check it."
    )
    assert str(err) == "Intercom API request GET /me failed: could not connect to https://x.example. Check it."


def test_a_hint_follows_a_message_without_doubling_its_full_stop() -> None:
    assert str(errors.IntercomConfigError("No token.", hint="Set one.")) == "No token. Set one."


def test_after_attempts_builds_a_copy_and_leaves_the_original_alone() -> None:
    original = errors.IntercomServerError("down", **{**FULL, "attempts": 1, "elapsed": 0.0})
    final = original.after_attempts(4, 12.25)
    assert type(final) is errors.IntercomServerError
    assert final is not original
    assert (final.attempts, final.elapsed) == (4, 12.25)
    assert (original.attempts, original.elapsed) == (1, 0.0)
    assert {k: v for k, v in final.fields().items() if k not in ("attempts", "elapsed")} == {
        k: v for k, v in original.fields().items() if k not in ("attempts", "elapsed")
    }
    assert str(final) == f"{original} (gave up after 4 attempts in 12.2s)"
    assert "gave up" not in str(original)


@pytest.mark.parametrize(("cls", "permanent", "reason"), CLASSES)
def test_every_error_survives_pickling(cls: type[errors.IntercomError], permanent: bool, reason: str) -> None:
    # Airflow pickles task failures; keyword-only constructors need explicit support.
    err = cls("boom", **FULL, permanent=not permanent)
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own object
    assert type(copy) is cls
    assert copy.fields() == err.fields()
    assert str(copy) == str(err)
    assert copy.permanent is not permanent


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy, lambda e: pickle.loads(pickle.dumps(e))])  # noqa: S301
def test_an_error_with_a_note_can_still_be_copied_and_pickled(duplicate: Any) -> None:
    # add_note() puts __notes__ into __dict__; an error tracker may add more. Neither is a field.
    err = errors.IntercomServerError("down", **FULL)
    err.add_note("while marking conversation 3 read")
    err.tracker_id = 7  # type: ignore[attr-defined]

    again = duplicate(err)

    assert type(again) is errors.IntercomServerError
    assert again.fields() == err.fields()
    assert str(again) == str(err)


# class, status, code -> scope: what the failure says about the connection's other requests
SCOPES: list[tuple[type[errors.IntercomError], int | None, str | None, str]] = [
    (errors.IntercomAuthError, 401, "unauthorized", "account"),
    (errors.IntercomForbiddenError, 403, "api_plan_restricted", "account"),
    (errors.IntercomForbiddenError, 403, "token_revoked", "account"),
    (errors.IntercomError, 400, "token_expired", "account"),  # an account-wide code, on any status
    (errors.IntercomForbiddenError, 403, "forbidden", "input"),
    (errors.IntercomError, 400, "parameter_invalid", "input"),
    (errors.IntercomError, 422, "data_invalid", "input"),
    (errors.IntercomNotFoundError, 404, "admin_not_found", "input"),
    (errors.IntercomNotFoundError, 404, "not_found", "id"),
    (errors.IntercomNotFoundError, 404, "conversation_not_found", "id"),
    (errors.IntercomError, 409, "conflict", "id"),
    (errors.IntercomRateLimitError, 429, "rate_limit_exceeded", "id"),
    (errors.IntercomServerError, 500, "server_error", "id"),
    (errors.IntercomConnectionError, None, None, "id"),
    (errors.IntercomConfigError, None, None, "account"),
    (errors.IntercomValidationError, None, None, "input"),
]


@pytest.mark.parametrize(("cls", "status", "code", "scope"), SCOPES)
def test_the_scope_is_decided_when_the_error_is_built(
    cls: type[errors.IntercomError], status: int | None, code: str | None, scope: str
) -> None:
    assert cls("x", status=status, code=code).scope == scope


def test_a_failed_certificate_check_fails_every_request_alike() -> None:
    assert errors.IntercomConnectionError("bad certificate", permanent=True).scope == "account"
    assert errors.IntercomNotFoundError("html", status=404, scope="host").scope == "host"
