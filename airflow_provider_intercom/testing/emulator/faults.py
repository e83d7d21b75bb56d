"""Scripted misbehaviour: what a fault is, which request it applies to, and what it answers.

Paths are matched with :func:`fnmatch.fnmatchcase` (``"/conversations/*"``; a path without
wildcards matches exactly; ``*`` also matches ``/``, so it covers ``/conversations/search`` too)
or, for a compiled :class:`re.Pattern`, with ``fullmatch``. The query string is not part of the path.
"""

from __future__ import annotations

import fnmatch
import math
import re
import threading
from dataclasses import dataclass
from http import HTTPStatus
from typing import Literal, get_args

from airflow_provider_intercom.testing.emulator.messages import Response, error_response
from airflow_provider_intercom.testing.emulator.ratelimit import exceeded_message, rate_headers

__all__ = ["FAULT_KINDS", "Fault", "FaultBook", "FaultKind", "fault_response"]

FaultKind = Literal["status", "rate_limit", "workspace_rate_limit", "reset", "slow", "malformed_json", "html"]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))

# Intercom's 2.16 description documents no 5xx body for these endpoints. The 5xx codes come from
# Intercom's reference page "Error codes" (server_error, service_unavailable, request_timeout for a
# gateway time-out); which status carries which is the emulator's assumption. 4xx codes are the
# description's own.
_DEFAULT_CODES = {
    400: "parameter_invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "data_invalid",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "server_error",
    503: "service_unavailable",
    504: "request_timeout",
}


@dataclass
class Fault:
    """A scripted misbehaviour; created by :meth:`IntercomEmulator.inject`.

    :param kind: what to do, see :meth:`IntercomEmulator.inject`.
    :param times: how many matching requests it still applies to; ``None`` means forever.
    :param method: HTTP method to match (case-insensitive), ``None`` for any.
    :param path: fnmatch pattern or compiled regex for the path, ``None`` for any.
    :param status: status code for ``status``/``html``/``malformed_json`` faults.
    :param delay: seconds a ``slow`` fault waits before answering normally.
    :param code: error code override for ``status``/``rate_limit`` faults.
    :param message: error message override.
    :param field: error ``field`` to include.
    :param reset_in: for ``rate_limit``: seconds from now to report in ``X-RateLimit-Reset``.
    :param hits: how many requests it has answered so far.
    """

    kind: FaultKind
    times: int | None = 1
    method: str | None = None
    path: str | re.Pattern[str] | None = None
    status: int | None = None
    delay: float | None = None
    code: str | None = None
    message: str | None = None
    field: str | None = None
    reset_in: float | None = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this fault applies to a request.

        :param method: the request's HTTP method.
        :param path: the request's path, without query string.
        """
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path is None:
            return True
        if isinstance(self.path, re.Pattern):
            return self.path.fullmatch(path) is not None
        return fnmatch.fnmatchcase(path, self.path)


class FaultBook:
    """The injected faults, tried in the order added; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Add a fault after the others.

        :param fault: the fault; its ``kind`` and ``times`` are checked.
        :return: the same fault.
        """
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if fault.times is not None and fault.times < 1:
            raise ValueError("times must be >= 1 or None")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Use up one application of the first fault matching a request.

        :param method: the request's HTTP method.
        :param path: the request's path.
        :return: the fault, or ``None`` when none matches.
        """
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            del self._faults[index]
                    return fault
        return None

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()


def fault_response(fault: Fault, limit: int, window: int, window_end: int, now: float) -> Response:
    """The answer of a fault that answers by itself (not ``reset``, ``slow`` or ``workspace_rate_limit``).

    :param fault: the fault.
    :param limit: the app's rate limit, for a ``rate_limit`` fault's headers and message.
    :param window: the window length in seconds.
    :param window_end: UNIX second at which the current window ends.
    :param now: the request's arrival, UNIX time.
    """
    kind = fault.kind
    if kind == "malformed_json":
        return Response(fault.status or 200, b'{"type": "conversation", "id": ')
    if kind == "html":
        status = fault.status or 502
        phrase = f"{status} {HTTPStatus(status).phrase}"
        page = (
            f"<html><head><title>{phrase}</title></head><body><center><h1>{phrase}</h1></center>"
            "<hr><center>nginx</center></body></html>\n"
        )
        return Response(status, page.encode(), "text/html")
    if kind == "rate_limit":
        # Rounded up: a client sleeping until the reported reset must not wake before reset_in.
        reset = window_end if fault.reset_in is None else math.ceil(now + fault.reset_in)
        return error_response(
            429,
            fault.code or "rate_limit_exceeded",
            fault.message or exceeded_message(limit, window),
            headers=rate_headers(limit, 0, reset),
        )
    status = fault.status or 500
    code = fault.code or _DEFAULT_CODES.get(status, "server_error" if status >= 500 else "client_error")
    return error_response(status, code, fault.message or HTTPStatus(status).phrase, fault.field)
