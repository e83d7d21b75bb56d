"""Where the client's errors meet Airflow: permanent ones fail the task without Airflow's retries."""

from __future__ import annotations

import pickle

import pytest

from airflow_provider_intercom import client, exceptions
from airflow_provider_intercom._compat import AirflowFailException
from airflow_provider_intercom.exceptions import (
    IntercomAuthError,
    IntercomConfigError,
    IntercomConnectionError,
    IntercomError,
    IntercomForbiddenError,
    IntercomNotFoundError,
    IntercomPermanentError,
    IntercomRateLimitError,
    IntercomServerError,
    IntercomValidationError,
    task_error,
)


def test_the_errors_are_the_clients_own_classes() -> None:
    # ``except IntercomError`` catches what the hook and the client raise, whichever module it came from.
    for name in client.__all__:
        if name.startswith("Intercom") and name.endswith("Error"):
            assert getattr(exceptions, name) is getattr(client, name)
    assert not issubclass(IntercomError, AirflowFailException)


PERMANENT = [
    IntercomConfigError("Intercom connection 'c' has no access token.", conn_id="c"),
    IntercomValidationError("conversation_id must be digits; got '../me'."),
    IntercomAuthError("Access Token Invalid", status=401, code="unauthorized", method="GET", path="/me"),
    IntercomForbiddenError("Active subscription needed.", status=403, code="api_plan_restricted"),
    IntercomNotFoundError("Resource Not Found", status=404, code="not_found", method="PUT", path="/conversations/3"),
    IntercomError("read must be a boolean", status=400, code="parameter_invalid", permanent=True),
]
RETRIED_BY_AIRFLOW = [
    IntercomRateLimitError("Rate limit exceeded", status=429, retryable=True, attempts=6, elapsed=300.0),
    IntercomServerError("Service Unavailable", status=503, retryable=True),
    IntercomConnectionError("could not connect", sent=False, retryable=True),
    IntercomError("conflict", status=409, permanent=False),
]


@pytest.mark.parametrize("error", PERMANENT, ids=lambda e: type(e).__name__)
def test_a_permanent_error_fails_the_task_without_retries(error: IntercomError) -> None:
    raised = task_error(error)
    assert isinstance(raised, IntercomPermanentError)
    assert isinstance(raised, AirflowFailException)  # what tells Airflow not to retry
    assert raised.error is error
    assert str(raised) == str(error)


@pytest.mark.parametrize("error", RETRIED_BY_AIRFLOW, ids=lambda e: type(e).__name__)
def test_other_errors_are_raised_as_they_are(error: IntercomError) -> None:
    assert task_error(error) is error
    assert not isinstance(task_error(error), AirflowFailException)


@pytest.mark.parametrize("error", PERMANENT, ids=lambda e: type(e).__name__)
def test_a_permanent_failure_survives_pickling(error: IntercomError) -> None:
    raised = task_error(error)
    copy = pickle.loads(pickle.dumps(raised))  # noqa: S301 - our own object
    assert type(copy) is IntercomPermanentError
    assert str(copy) == str(raised)
    assert type(copy.error) is type(error)
    assert copy.error.fields() == error.fields()
