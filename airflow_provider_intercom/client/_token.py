"""The access token, kept where ``repr()``, ``vars()`` and frame locals cannot show it.

Error trackers (Sentry and the like) capture the ``repr`` of every local variable of every frame
of a traceback, and some walk objects' attributes. The token therefore lives in a :class:`Token`:
``__slots__`` (no ``__dict__`` for ``vars()`` to show), a redacted ``repr``, no pickling, and its
raw value read in exactly one place, when an ``Authorization`` header is built for a request.
"""

from __future__ import annotations

from typing import Any, NoReturn

_REDACTED = "Token('***')"


class Token:
    """An access token that never shows itself.

    :param value: the raw token.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return _REDACTED

    __str__ = __repr__

    def __bool__(self) -> bool:
        return isinstance(self._value, str) and bool(self._value.strip())

    def __copy__(self) -> Token:
        return self  # immutable: copies (Airflow deep-copies tasks) share the holder

    def __deepcopy__(self, memo: dict[int, Any]) -> Token:
        return self

    def __reduce__(self) -> NoReturn:
        # A pickled token would be a copy of the secret on disk or on the wire (Airflow pickles
        # task failures); nothing in the provider needs to pickle one.
        raise TypeError("an access token is not picklable")

    def authorization(self) -> dict[str, str]:
        """The ``Authorization`` header for one request: the only place the raw value is read."""
        return {"Authorization": f"Bearer {self._value}"}


def as_token(token: str | Token) -> Token:
    """``token`` in a :class:`Token`; one already wrapped is returned as it is.

    :param token: the raw token, or a holder.
    """
    return token if isinstance(token, Token) else Token(token)


class BearerAuth:
    """A ``requests`` auth callable that adds the ``Authorization`` header to each request.

    The session then holds no header with the token in it (``Session.headers`` is what a walk of
    the transport would find first).

    :param token: the access token.
    """

    __slots__ = ("_token",)

    def __init__(self, token: Token) -> None:
        self._token = token

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._token!r})"

    def __call__(self, request: Any) -> Any:
        request.headers.update(self._token.authorization())
        return request
