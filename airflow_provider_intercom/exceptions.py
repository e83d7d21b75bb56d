"""The provider's errors, as DAG code sees them.

The classes are the client's (:mod:`airflow_provider_intercom.client`), which import nothing from
Airflow; this module re-exports them, so ``except IntercomError`` around hook calls keeps working::

    IntercomError                   every error the client raises (``.status``, ``.code``, ...)
    ├── IntercomConfigError         the connection is missing or invalid,     permanent
    │                               or its Host answered a non-Intercom 404
    ├── IntercomValidationError     a bad argument (also a ValueError)        permanent
    ├── IntercomAuthError           401                                       permanent
    ├── IntercomForbiddenError      403 (account-wide code, or this call)     permanent
    ├── IntercomNotFoundError       404 with Intercom's error list            permanent
    ├── IntercomRateLimitError      429, retries spent
    ├── IntercomServerError         5xx, retries spent
    ├── IntercomConnectionError     no response: refused, reset, timed out, TLS
    ├── IntercomResponseError       a 2xx body that cannot be read
    └── IntercomCancelledError      the task was stopped

Any other 4xx is a plain ``IntercomError`` and permanent too, except 408 and 409. Each error's
``scope`` says what it means for the connection's other requests (see the client's ``_error``
module); a bulk run stops on it (``airflow_provider_intercom.bulk._breaker``).

Where an error meets Airflow: an operator raises a *permanent* error (no retry can fix it) as
:class:`IntercomPermanentError`, an ``AirflowFailException``, so Airflow fails the task at once
instead of retrying it; the client's error is its ``error`` attribute and its ``__cause__``.
Other errors are raised as they are, and Airflow's retries apply.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_intercom._compat import AirflowFailException
from airflow_provider_intercom.client._error import (
    IntercomAuthError,
    IntercomCancelledError,
    IntercomConfigError,
    IntercomConnectionError,
    IntercomError,
    IntercomForbiddenError,
    IntercomNotFoundError,
    IntercomRateLimitError,
    IntercomResponseError,
    IntercomServerError,
    IntercomValidationError,
)

__all__ = [
    "IntercomAuthError",
    "IntercomCancelledError",
    "IntercomConfigError",
    "IntercomConnectionError",
    "IntercomError",
    "IntercomForbiddenError",
    "IntercomNotFoundError",
    "IntercomPermanentError",
    "IntercomRateLimitError",
    "IntercomResponseError",
    "IntercomServerError",
    "IntercomValidationError",
    "task_error",
]


class IntercomPermanentError(AirflowFailException):
    """A task failure that no retry can fix: Airflow fails the task without retrying it.

    :param error: the client's error; the message is its message.
    """

    def __init__(self, error: IntercomError) -> None:
        super().__init__(str(error))
        self.error = error

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.error,))


def task_error(error: IntercomError) -> Exception:
    """The exception an operator raises for ``error``: permanent ones skip Airflow's retries.

    :param error: what the client raised.
    """
    return IntercomPermanentError(error) if error.permanent else error
