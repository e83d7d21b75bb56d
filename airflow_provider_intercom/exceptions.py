"""Typed errors of the Intercom provider.

Every error is an :class:`IntercomError`, itself an ``AirflowException``, so a task fails with a
message that reads well in the task log::

    Intercom API 404 not_found on PUT /conversations/123 (request_id=de1be01d-...): Resource Not
    Found. Conversation 123 does not exist in this workspace: check the id and the connection's region.

Errors carry what Intercom said (``status``, ``code``, ``message``, ``field``, ``request_id``) as
attributes, never the access token.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_intercom._compat import AirflowException

__all__ = [
    "IntercomAuthError",
    "IntercomCancelledError",
    "IntercomConfigError",
    "IntercomConnectionError",
    "IntercomError",
    "IntercomForbiddenError",
    "IntercomNotFoundError",
    "IntercomRateLimitError",
    "IntercomResponseError",
    "IntercomServerError",
    "IntercomValidationError",
]


class IntercomError(AirflowException):
    """Base class of every error this provider raises.

    :param message: Intercom's (or our) human-readable description of what went wrong.
    :param status: the HTTP status, if a response came back.
    :param code: Intercom's error code, e.g. ``not_found`` or ``api_plan_restricted``.
    :param field: the request field Intercom blamed, if any.
    :param request_id: Intercom's request id; quote it to Intercom support.
    :param method: the HTTP method of the failed request.
    :param path: the API path of the failed request.
    :param conn_id: the Airflow connection the request used.
    :param hint: what to do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        conn_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.request_id = request_id
        self.method = method
        self.path = path
        self.conn_id = conn_id
        self.hint = hint
        self.attempts = 1
        self.elapsed = 0.0

    def __str__(self) -> str:
        if self.method is None:
            text = self.message
        else:
            status = " ".join(str(p) for p in (self.status, self.code) if p is not None)
            where = f"{self.method} {self.path}"
            rid = f" (request_id={self.request_id})" if self.request_id else ""
            head = f"Intercom API {status} on {where}" if status else f"Intercom API request {where} failed"
            text = f"{head}{rid}: {self.message}"
            if self.field:
                text += f" [field: {self.field}]"
        if self.hint:
            text = f"{text.rstrip('.')}. {self.hint}"
        if self.attempts > 1:
            text += f" (gave up after {self.attempts} attempts in {self.elapsed:.1f}s)"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments need explicit pickling support (Airflow pickles task failures).
        return (_rebuild, (type(self), self.message, self.__dict__))


def _rebuild(cls: type[IntercomError], message: str, state: dict[str, Any]) -> IntercomError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class IntercomConfigError(IntercomError):
    """The Airflow connection is missing or holds a value the provider cannot use."""


class IntercomValidationError(IntercomError, ValueError):
    """A task argument (a conversation id, a search query, ...) is invalid; nothing was sent."""


class IntercomAuthError(IntercomError):
    """Intercom answered 401: the access token is missing, wrong or revoked."""


class IntercomForbiddenError(IntercomError):
    """Intercom answered 403, e.g. ``api_plan_restricted``: the workspace's plan lacks this API."""


class IntercomNotFoundError(IntercomError):
    """Intercom answered 404: the conversation does not exist in this workspace."""


class IntercomRateLimitError(IntercomError):
    """Intercom answered 429 and the retry budget ran out.

    :ivar reset_at: when Intercom's current rate-limit window ends (UNIX seconds), if it said.
    """

    reset_at: float | None = None


class IntercomServerError(IntercomError):
    """Intercom answered 5xx, or could not be reached, and the retry budget ran out."""


class IntercomConnectionError(IntercomServerError):
    """The request did not get an HTTP response: refused, reset, timed out or TLS failed.

    :ivar sent: whether the request may have reached Intercom (False only when connecting failed).
    :ivar transient: whether trying again can help (False for a failed TLS certificate check).
    """

    sent: bool = True
    transient: bool = True


class IntercomResponseError(IntercomError):
    """Intercom answered with a body the provider cannot read (not JSON, or not the expected shape)."""


class IntercomCancelledError(IntercomError):
    """The task was stopped (``on_kill``, ``execution_timeout``) before the request could be sent."""
