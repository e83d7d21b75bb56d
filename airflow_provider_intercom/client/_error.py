"""The client's errors: data only, every attribute set when the error is built.

Like stripe-python's ``_error.py``: an error says what happened and whether trying again can help;
it does no I/O and is never changed after it is raised. A copy with the attempts made is built
when the retry loop gives up (:meth:`IntercomError.after_attempts`), rather than patching one.

Three attributes say what may be done about an error, and the rest of the package reads only
those, never the class order. They are decided here, once, when the error is built:

* ``retryable``: the client may send the same request again (a 429; a 5xx, timeout or dropped
  connection when the request is idempotent; a connection that never opened);
* ``permanent``: no retry, by the client or by Airflow, can fix it (a bad token, a missing plan,
  a missing conversation, a refused request, a bad argument or connection). The Airflow layer
  fails such a task without its retries (:mod:`airflow_provider_intercom.exceptions`);
* ``scope``: what the failure says about the other requests through the same connection, which
  is what a bulk run (:mod:`airflow_provider_intercom.bulk`) acts on:

  - ``"id"``: nothing; it is a fact about this id or this moment (a deleted conversation's 404
    ``not_found``, a 429, a 5xx, the network). The id fails (or is retried); the run goes on.
  - ``"input"``: Intercom refused what was sent (400, 403 other than the account-wide codes, 422,
    or a 404 naming something other than the conversation, e.g. ``admin_not_found``). The id
    fails; when the same status and code repeat, the input common to every id is wrong, and the
    bulk run's circuit breaker stops it (:mod:`airflow_provider_intercom.bulk._breaker`).
  - ``"account"``: every request of the connection fails alike (a 401, an account-wide code of
    :data:`~.facts.ACCOUNT_WIDE_ERROR_CODES` on any status, a bad connection, a certificate that
    failed verification). A bulk run stops at the first.
  - ``"host"``: the answer did not come from Intercom's API (a 404 whose body is not Intercom's
    error list): the connection's Host, or its path, is wrong. A bulk run stops after a few.

These classes import nothing from Airflow. Messages never contain the access token.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from airflow_provider_intercom.client.facts import ACCOUNT_WIDE_ERROR_CODES, CONVERSATION_NOT_FOUND_CODES

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
    "Scope",
]

#: What a failure says about the other requests of the connection; see the module docstring.
Scope = Literal["id", "input", "account", "host"]
#: Statuses by which Intercom refuses what was sent, alike for every id that gets the same input.
_INPUT_STATUSES = frozenset({400, 403, 422})


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
    :param scope: what it says about other requests (``id``, ``input``, ``account``, ``host``);
        when None, decided from the status, the code and the class.
    :param sent: whether the request may have reached Intercom.
    :param reset_at: when Intercom's rate-limit window ends (UNIX seconds), for a 429.
    :param attempts: attempts made before giving up.
    :param elapsed: seconds spent on those attempts.
    """

    #: Short machine-readable reason for a failed id in a bulk summary; None means ``code``.
    reason: ClassVar[str | None] = None
    #: Whether errors of this class are permanent unless the constructor says otherwise.
    permanent_by_default: ClassVar[bool] = False
    #: The scope of errors of this class whose status and code say nothing more.
    scope_by_default: ClassVar[Scope] = "id"
    #: The constructor's keyword arguments, which :meth:`fields` returns.
    _FIELDS: ClassVar[tuple[str, ...]] = (
        "status",
        "code",
        "field",
        "request_id",
        "method",
        "path",
        "conn_id",
        "hint",
        "retryable",
        "permanent",
        "scope",
        "sent",
        "reset_at",
        "attempts",
        "elapsed",
    )

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
        scope: Scope | None = None,
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
        self.scope: Scope = scope or self._default_scope()

    def _default_scope(self) -> Scope:
        """The scope that the status, the code and the class say, when the builder gives none."""
        if self.status == 401 or self.code in ACCOUNT_WIDE_ERROR_CODES:
            return "account"
        if self.status in _INPUT_STATUSES:
            return "input"
        if self.status == 404 and self.code is not None and self.code not in CONVERSATION_NOT_FOUND_CODES:
            return "input"  # e.g. admin_not_found: the admin is missing for every conversation alike
        return self.scope_by_default

    @property
    def failure_reason(self) -> str:
        """The reason a bulk summary gives for an id that failed with this error."""
        return self.reason or self.code or "error"

    def fields(self) -> dict[str, Any]:
        """The constructor's keyword arguments that rebuild this error (with its message).

        Listed, not read from ``__dict__``: ``add_note()`` adds ``__notes__`` there, and an error
        tracker may add more.
        """
        return {name: getattr(self, name) for name in self._FIELDS}

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
    """The connection is missing or holds a value the client cannot use.

    Usually nothing was sent. A 404 whose body is not Intercom's error list is one too (``status``
    404, ``scope`` ``"host"``): the Host, or its path, does not lead to Intercom's API.
    """

    permanent_by_default = True
    scope_by_default = "account"


class IntercomValidationError(IntercomError, ValueError):
    """An argument (a conversation id, a search query, an update) is invalid; nothing was sent."""

    permanent_by_default = True
    scope_by_default = "input"


class IntercomAuthError(IntercomError):
    """Intercom answered 401: the access token is missing, wrong or revoked."""

    permanent_by_default = True
    scope_by_default = "account"


class IntercomForbiddenError(IntercomError):
    """Intercom answered 403: for every request (``api_plan_restricted``, a ``token_*`` code), or for this one.

    ``scope`` tells them apart: ``"account"`` for the account-wide codes, else ``"input"``.
    """

    permanent_by_default = True
    scope_by_default = "input"


class IntercomNotFoundError(IntercomError):
    """Intercom answered 404 with its error list: the conversation (or what the request names) does not exist.

    A deleted conversation's 404 ``not_found`` is a fact about that id (``scope`` ``"id"``); a 404
    that names something else, such as ``admin_not_found``, is ``"input"``.
    """

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
    A permanent one (a certificate that failed verification) fails every request alike.
    """

    reason = "network"

    def _default_scope(self) -> Scope:
        return "account" if self.permanent else "id"


class IntercomResponseError(IntercomError):
    """Intercom answered with a body the client cannot read (not JSON, or not the expected shape)."""


class IntercomCancelledError(IntercomError):
    """The run was stopped (``on_kill``, ``execution_timeout``) before the request could be sent."""

    reason = "cancelled"
