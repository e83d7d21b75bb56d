"""The values that pass between the emulator's modules: recorded requests, responses, API errors."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "ApiError",
    "RecordedRequest",
    "RequestLog",
    "Response",
    "error_response",
    "json_object",
    "json_response",
    "parameter_invalid",
]


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it.

    :param method: HTTP method, e.g. ``"PUT"``.
    :param path: path without the query string, e.g. ``"/conversations/7"``.
    :param query: parsed query string, every value a list (as :func:`urllib.parse.parse_qs` gives).
    :param headers: request headers with the names as the client sent them (last one wins); left
        out of ``repr``, so a failing assertion never prints the ``Authorization`` token.
    :param body: the parsed JSON body, the raw text when it is not JSON, or ``None`` when empty.
    :param received_at: UNIX time (``time.time()``) at which the request arrived, before any
        latency; the rate windows count the request at this instant, as Intercom's do.
    :param received_monotonic: the same instant on ``time.monotonic()``'s clock, for durations.
    :param api_version: the ``Intercom-Version`` the request asked for, or the app's default
        version when it sent none (even when the value is invalid and was refused).
    :param status: the HTTP status answered; ``None`` while the request is in flight or when the
        connection was reset instead of answered.
    :param fault: the kind of injected fault that hit it (e.g. ``"apply_then_reset"``), if any.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str] = field(repr=False)
    body: Any = None
    received_at: float = 0.0
    received_monotonic: float = 0.0
    api_version: str | None = None
    status: int | None = None
    fault: str | None = None


class RequestLog:
    """The emulator's thread-safe log of :class:`RecordedRequest`, oldest first.

    :param keep: record requests; when false the log stays empty, so that a long run (a million
        requests would hold about 2 GB) does not grow the emulator's memory with every request.
    """

    def __init__(self, keep: bool = True) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []
        # Bumped by clear(): a request still in flight must not fill in a slot of the new log.
        self._generation = 0

    def append(self, request: RecordedRequest) -> tuple[int, int]:
        """Record a request on arrival.

        :param request: the request, without its status.
        :return: a ticket for :meth:`complete`.
        """
        if not self._keep:
            return -1, -1  # a generation clear() never reaches: complete() ignores it
        with self._lock:
            self._entries.append(request)
            return self._generation, len(self._entries) - 1

    def complete(self, ticket: tuple[int, int], status: int | None) -> None:
        """Fill in the status a recorded request was answered with.

        :param ticket: what :meth:`append` returned.
        :param status: the HTTP status, ``None`` for a reset connection.
        """
        generation, index = ticket
        with self._lock:
            if generation == self._generation:
                self._entries[index] = replace(self._entries[index], status=status)

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of the log."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._entries.clear()
            self._generation += 1


@dataclass
class Response:
    """An answer to send.

    :param status: HTTP status.
    :param body: the encoded body; empty for error lists until :attr:`error` is rendered.
    :param content_type: the ``Content-Type``.
    :param headers: extra headers, in order.
    :param error: ``(code, message, field)`` of an Intercom ``error.list``, rendered once the
        request id is known.
    """

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    error: tuple[str, str | None, str | None] | None = None

    def render(self, request_id: str) -> None:
        """Render a pending error list with ``request_id`` (no-op for other responses).

        :param request_id: the id also sent as ``X-Request-Id``.
        """
        if self.error is None or self.body:
            return
        code, message, where = self.error
        item: dict[str, Any] = {"code": code, "message": message}
        if where is not None:
            item["field"] = where
        self.body = json.dumps({"type": "error.list", "request_id": request_id, "errors": [item]}).encode()


class ApiError(Exception):
    """Raised while handling a request to answer with an Intercom ``error.list``.

    :param status: HTTP status.
    :param code: Intercom's error code.
    :param message: the human-readable message.
    :param field: the request field in error, if any.
    :param headers: extra headers for the answer.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or []

    def response(self) -> Response:
        """This error as a :class:`Response`."""
        return error_response(self.status, self.code, self.message, self.field, self.headers)


def error_response(
    status: int,
    code: str,
    message: str | None,
    field: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """An ``error.list`` answer; the body is rendered when the request id is known.

    :param status: HTTP status.
    :param code: Intercom's error code.
    :param message: the human-readable message.
    :param field: the request field in error, if any.
    :param headers: extra headers.
    """
    return Response(status, b"", headers=list(headers or []), error=(code, message, field))


def json_response(status: int, payload: Any) -> Response:
    """A JSON answer.

    :param status: HTTP status.
    :param payload: anything :func:`json.dumps` takes.
    """
    return Response(status, json.dumps(payload).encode())


def parameter_invalid(message: str, field: str | None) -> ApiError:
    """400 ``parameter_invalid``, the description's code for an invalid request parameter.

    :param message: what is wrong.
    :param field: where, if anywhere in particular.
    """
    return ApiError(400, "parameter_invalid", message, field)


def json_object(raw: bytes, body: Any) -> dict[str, Any]:
    """A request body that must be a JSON object.

    :param raw: the raw body.
    :param body: the body parsed as JSON, the text when it is not JSON, ``None`` when empty.
    :raises ApiError: 400 ``parameter_invalid`` when it is not JSON, or not an object.
    """
    if raw and isinstance(body, str):
        raise parameter_invalid("request body is not valid JSON", "body")
    if not isinstance(body, dict):
        raise parameter_invalid("request body must be a JSON object", "body")
    return body
