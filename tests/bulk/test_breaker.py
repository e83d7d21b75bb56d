"""The circuit breaker: which sequences of id outcomes stop a bulk run, and what the stop says."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.bulk._breaker import HOST_ANSWERS, SAME_ERROR_STREAK, CircuitBreaker
from airflow_provider_intercom.client import (
    IntercomAuthError,
    IntercomConfigError,
    IntercomError,
    IntercomForbiddenError,
    IntercomNotFoundError,
    IntercomServerError,
)

FORBIDDEN = IntercomForbiddenError("Not allowed", status=403, code="forbidden", method="PUT", path="/conversations/7")
INVALID = IntercomError(
    "read must be a boolean", status=422, code="parameter_invalid", field="read", method="PUT", path="/conversations/2"
)
ADMIN_MISSING = IntercomNotFoundError("Admin not found", status=404, code="admin_not_found")
DELETED = IntercomNotFoundError("Resource Not Found", status=404, code="not_found")
HTML_404 = IntercomConfigError("no Intercom API at the Host 'http://proxy/wrong/prefix'", status=404, scope="host")


def _feed(outcomes: list[IntercomError | None], breaker: CircuitBreaker | None = None) -> list[IntercomError | None]:
    breaker = breaker or CircuitBreaker()
    return [breaker.record(outcome) for outcome in outcomes]


def test_the_first_five_ids_failing_alike_stop_the_run_naming_the_code() -> None:
    results = _feed([FORBIDDEN] * 5)

    assert results[:4] == [None] * 4
    stop = results[4]
    assert isinstance(stop, IntercomForbiddenError)
    assert (stop.status, stop.code, stop.permanent, stop.scope) == (403, "forbidden", True, "account")
    assert "403 forbidden" in str(stop)
    assert "5 conversations in a row failed with this same error" in str(stop)
    assert "Developer Hub" in str(stop)  # what to fix


def test_five_in_a_row_later_in_the_run_stop_it_too() -> None:
    results = _feed([None, INVALID, None, *[INVALID] * 5])

    assert results[-1] is not None
    assert "[field: read]" in str(results[-1])
    assert results[:-1] == [None] * 7


def test_an_update_or_another_code_breaks_the_streak() -> None:
    assert _feed([INVALID] * 4 + [None] + [INVALID] * 4) == [None] * 9
    assert _feed([INVALID] * 4 + [FORBIDDEN] + [INVALID] * 4) == [None] * 9


def test_a_deleted_conversation_never_trips_it_nor_breaks_a_streak() -> None:
    assert _feed([DELETED] * 1000) == [None] * 1000
    retried_out = IntercomServerError("down", status=503, code="service_unavailable")
    results = _feed([FORBIDDEN, DELETED, FORBIDDEN, retried_out, FORBIDDEN, FORBIDDEN, DELETED, FORBIDDEN])
    assert results[-1] is not None


def test_a_404_naming_another_object_trips_it() -> None:
    # A wrong admin_id or assignee must cost 5 requests, not one per id.
    stop = _feed([ADMIN_MISSING] * 5)[-1]
    assert stop is not None
    assert "admin_not_found" in str(stop)
    assert "an admin, an assignee" in str(stop)


def test_an_account_wide_error_stops_at_once() -> None:
    plan = IntercomForbiddenError("Active subscription needed.", status=403, code="api_plan_restricted")
    token = IntercomAuthError("Access Token Invalid", status=401, code="unauthorized")
    assert _feed([plan]) == [plan]
    assert _feed([token]) == [token]


def test_answers_that_are_not_intercoms_stop_it_after_a_few() -> None:
    results = _feed([HTML_404, None, HTML_404, None, HTML_404])
    assert results == [None, None, None, None, HTML_404]
    assert HOST_ANSWERS == 3  # the documented few


def test_the_limits_are_settable() -> None:
    assert _feed([INVALID] * 2, CircuitBreaker(streak=2))[-1] is not None
    assert _feed([HTML_404], CircuitBreaker(host_answers=1)) == [HTML_404]


OUTCOMES = st.sampled_from([None, FORBIDDEN, INVALID, ADMIN_MISSING, DELETED])


@given(st.lists(OUTCOMES, max_size=60))
def test_it_trips_exactly_when_the_same_refusal_repeats_five_times_in_a_row(
    outcomes: list[IntercomError | None],
) -> None:
    results = _feed(outcomes)
    # The reference: the streak of one (status, code), skipping per-id facts, reset by an update.
    streak, key = 0, None
    for outcome, result in zip(outcomes, results, strict=True):
        if outcome is None:
            streak, key = 0, None
        elif outcome is not DELETED:
            new_key = (outcome.status, outcome.code)
            streak = streak + 1 if new_key == key else 1
            key = new_key
        assert (result is not None) == (outcome not in (None, DELETED) and streak >= SAME_ERROR_STREAK)
