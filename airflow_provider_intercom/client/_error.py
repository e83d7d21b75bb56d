"""The client's errors: data only, every attribute set when the error is built.

Like stripe-python's ``_error.py``: an error says what happened and whether trying again can help;
it does no I/O and is never changed after it is raised. A copy with the attempts made is built
when the retry loop gives up (:meth:`IntercomError.after_attempts`), rather than patching one.

Two flags say what may be done about an error, and the rest of the package reads only those,
never the class order:

* ``retryable``: the client may send the same request again (a 429; a 5xx, timeout or dropped
  connection when the request is idempotent; a connection that never opened);
* ``permanent``: no retry, by the client or by Airflow, can fix it (a bad token, a missing plan,
  a missing conversation, a refused request, a bad argument or connection). The Airflow layer
  fails such a task without its retries (:mod:`airflow_provider_intercom.exceptions`).

These classes import nothing from Airflow. Messages never contain the access token.
"""

from __future__ import annotations

from typing import Any, ClassVar

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


class IntercomError(Exception):
    """Base class of every error the client raises.

    :param message: Intercom's (or the client's) description of what went wrong.
    :param status: the HTTP status, if a response came back.
    :param code: Intercom's error code, e.g. ``not_found`` or ``api_plan_restricted``.
    :param field: the request field Intercom blamed, if any.
    :param request_id: Intercom's request id; quote it to Intercom support.
    :param method: the HTTP method of the failed request.
    :param path: the API path of the failed request.
    :param conn_id: the connection the request used, named in messages.
    :param hint: what to do about it.
    :param retryable: whether the client may send the same request again.
    :param permanent: whether no retry at all can fix it; the class's default when None.
    :param sent: whether the request may have reached Intercom.
    :param reset_at: when Intercom's rate-limit window ends (UNIX seconds), for a 429.
    :param attempts: attempts made before giving up.
    :param elapsed: seconds spent on those attempts.
    """

    #: Short machine-readable reason for a failed id in a bulk summary; None means ``code``.
    reason: ClassVar[str | None] = None
    #: Whether errors of this class are permanent unless the constructor says otherwise.
    permanent_by_default: ClassVar[bool] = False

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
        retryable: bool = False,
        permanent: bool | None = None,
        sent: bool = True,
        reset_at: float | None = None,
        attempts: int = 1,
        elapsed: float = 0.0,
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
        self.retryable = retryable
        self.permanent = self.permanent_by_default if permanent is None else permanent
        self.sent = sent
        self.reset_at = reset_at
        self.attempts = attempts
        self.elapsed = elapsed

    @property
    def failure_reason(self) -> str:
        """The reason a bulk summary gives for an id that failed with this error."""
        return self.reason or self.code or "error"

    def fields(self) -> dict[str, Any]:
        """The constructor's keyword arguments that rebuild this error."""
        return {key: value for key, value in self.__dict__.items() if key != "message"}

    def after_attempts(self, attempts: int, elapsed: float) -> IntercomError:
        """A copy that says how many attempts were made, for the retry loop's final raise.

        :param attempts: attempts made.
        :param elapsed: seconds they took.
        """
        return type(self)(self.message, **{**self.fields(), "attempts": attempts, "elapsed": elapsed})

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
        return (_rebuild, (type(self), self.message, self.fields()))


def _rebuild(cls: type[IntercomError], message: str, fields: dict[str, Any]) -> IntercomError:
    return cls(message, **fields)


class IntercomConfigError(IntercomError):
    """The connection is missing or holds a value the client cannot use; nothing was sent."""

    permanent_by_default = True


class IntercomValidationError(IntercomError, ValueError):
    """An argument (a conversation id, a search query, an update) is invalid; nothing was sent."""

    permanent_by_default = True


class IntercomAuthError(IntercomError):
    """Intercom answered 401: the access token is missing, wrong or revoked."""

    permanent_by_default = True


class IntercomForbiddenError(IntercomError):
    """Intercom answered 403, e.g. ``api_plan_restricted``: the workspace's plan lacks this API."""

    permanent_by_default = True


class IntercomNotFoundError(IntercomError):
    """Intercom answered 404: the conversation does not exist in this workspace."""

    reason = "not_found"
    permanent_by_default = True


class IntercomRateLimitError(IntercomError):
    """Intercom answered 429 and the retry budget ran out; ``reset_at`` says when the window ends."""

    reason = "rate_limited"


class IntercomServerError(IntercomError):
    """Intercom answered 5xx and the retry budget ran out."""

    reason = "server_error"


class IntercomConnectionError(IntercomError):
    """No HTTP response came back: refused, reset, timed out, or TLS failed.

    ``sent`` is False only when connecting failed, so the request cannot have been applied.
    """

    reason = "network"


class IntercomResponseError(IntercomError):
    """Intercom answered with a body the client cannot read (not JSON, or not the expected shape)."""


class IntercomCancelledError(IntercomError):
    """The run was stopped (``on_kill``, ``execution_timeout``) before the request could be sent."""

    reason = "cancelled"
