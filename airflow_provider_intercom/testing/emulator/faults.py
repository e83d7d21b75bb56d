"""Scripted misbehaviour: what a fault is, which request it applies to, and what it answers.

Two families. *Failed before applying*: ``status``, ``rate_limit``, ``workspace_rate_limit``,
``reset``, ``malformed_json`` and ``html`` answer instead of the endpoint, which never runs (and
``slow`` only delays it). *Applied, then failed*: ``apply_then_reset``, ``apply_then_status``
and ``apply_then_slow`` let the endpoint apply the request, then lose its answer: the connection
is reset, a 502 comes instead, or the answer comes only after ``delay`` seconds, past the
client's timeout. These are the failures after which a client cannot know whether a message was
posted.

Faults are scripted one by one (:class:`Fault`, tried in the order added) or planned for a share
of first attempts (:class:`FirstAttemptFaults`), which are consulted after the scripted ones.

Paths are matched with :func:`fnmatch.fnmatchcase` (``"/conversations/*"``; a path without
wildcards matches exactly; ``*`` also matches ``/``, so it covers ``/conversations/search`` too)
or, for a compiled :class:`re.Pattern`, with ``fullmatch``. The query string is not part of the path.
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import re
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import Literal, get_args

from airflow_provider_intercom.testing.emulator.messages import Response, error_response
from airflow_provider_intercom.testing.emulator.ratelimit import exceeded_message, rate_headers

__all__ = [
    "APPLIED_THEN_FAILED",
    "DEFAULT_PLAN_PATH",
    "FAULT_KINDS",
    "Fault",
    "FaultBook",
    "FaultKind",
    "FirstAttemptFaults",
    "fault_response",
]

FaultKind = Literal[
    "status",
    "rate_limit",
    "workspace_rate_limit",
    "reset",
    "slow",
    "malformed_json",
    "html",
    "apply_then_reset",
    "apply_then_status",
    "apply_then_slow",
]
FAULT_KINDS: frozenset[str] = frozenset(get_args(FaultKind))
#: The kinds that let the endpoint apply the request before the answer is lost.
APPLIED_THEN_FAILED: frozenset[str] = frozenset({"apply_then_reset", "apply_then_status", "apply_then_slow"})

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
    :param status: status code for ``status``/``html``/``malformed_json``/``apply_then_status`` faults.
    :param delay: seconds a ``slow`` fault waits before answering normally, or an
        ``apply_then_slow`` one after applying.
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
        return _path_matches(self.path, path)


def _path_matches(pattern: str | re.Pattern[str] | None, path: str) -> bool:
    if pattern is None:
        return True
    if isinstance(pattern, re.Pattern):
        return pattern.fullmatch(path) is not None
    return fnmatch.fnmatchcase(path, pattern)


def _check(fault: Fault) -> Fault:
    if fault.kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {sorted(FAULT_KINDS)}")
    if fault.times is not None and fault.times < 1:
        raise ValueError("times must be >= 1 or None")
    return fault


#: Per-conversation paths the actions use; search is left out (``[0-9]`` keeps ``/search`` out).
DEFAULT_PLAN_PATH = re.compile(r"/conversations/[0-9]+(/.*)?")


@dataclass
class FirstAttemptFaults:
    """Faults for a share of *first* attempts: each request target fails at most once.

    A request's target is its method and path (``POST /conversations/7/parts``). The first request
    to a target that the plan covers is faulted when a hash of ``(seed, target)`` falls below
    ``fraction``, with one of ``kinds`` picked by the same hash; later requests to that target
    (retries, read-backs with another method) pass. The choice depends on the target alone, not
    on arrival order, so concurrent clients see the same faults run after run.

    :param fraction: the share of first attempts to fault, 0 to 1.
    :param kinds: the faults to mix, picked evenly: kinds, or :class:`Fault` templates carrying
        ``status``/``delay``/... (their ``times``, ``method`` and ``path`` are ignored).
    :param seed: the seed of the choice.
    :param methods: the HTTP methods covered; by default the writes.
    :param path: the paths covered (fnmatch pattern or compiled regex); by default every
        per-conversation path (``/conversations/{id}`` and below, not search).
    """

    fraction: float
    kinds: Sequence[FaultKind | Fault]
    seed: int = 0
    methods: Collection[str] = ("POST", "PUT", "DELETE")
    path: str | re.Pattern[str] | None = DEFAULT_PLAN_PATH
    #: Target (``"POST /conversations/7/parts"``) -> the kind it was faulted with, for every faulted first attempt.
    faulted: dict[str, FaultKind] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if not 0 <= self.fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        if not self.kinds:
            raise ValueError("kinds must name at least one fault")
        self._templates = [
            _check(replace(kind, times=None) if isinstance(kind, Fault) else Fault(kind, None)) for kind in self.kinds
        ]
        self._methods = frozenset(method.upper() for method in self.methods)
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def planned(self, method: str, path: str) -> Fault | None:
        """The fault the first attempt at a target gets (or got); ``None`` when it passes.

        :param method: the HTTP method.
        :param path: the path, without query string.
        """
        if method.upper() not in self._methods or not _path_matches(self.path, path):
            return None
        digest = hashlib.blake2b(f"{self.seed}\0{method.upper()} {path}".encode(), digest_size=16).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.fraction:
            return None
        return self._templates[int.from_bytes(digest[8:], "big") % len(self._templates)]

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for a request: its target's planned fault on the first attempt, else ``None``.

        :param method: the HTTP method.
        :param path: the path, without query string.
        """
        fault = self.planned(method, path)
        if fault is None:
            return None
        target = f"{method.upper()} {path}"
        with self._lock:
            if target in self._seen:
                return None
            self._seen.add(target)
            self.faulted[target] = fault.kind
            fault.hits += 1
        return fault


class FaultBook:
    """The injected faults, tried in the order added; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._plans: list[FirstAttemptFaults] = []

    def add_plan(self, plan: FirstAttemptFaults) -> FirstAttemptFaults:
        """Add a plan of first-attempt faults, consulted after every scripted fault.

        :param plan: the plan.
        :return: the same plan.
        """
        with self._lock:
            self._plans.append(plan)
        return plan

    def add(self, fault: Fault) -> Fault:
        """Add a fault after the others.

        :param fault: the fault; its ``kind`` and ``times`` are checked.
        :return: the same fault.
        """
        _check(fault)
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
            for plan in self._plans:
                planned = plan.take(method, path)
                if planned is not None:
                    return planned
        return None

    def clear(self) -> None:
        """Remove every fault and every plan."""
        with self._lock:
            self._faults.clear()
            self._plans.clear()


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
    status = fault.status or (502 if kind == "apply_then_status" else 500)
    code = fault.code or _DEFAULT_CODES.get(status, "server_error" if status >= 500 else "client_error")
    return error_response(status, code, fault.message or HTTPStatus(status).phrase, fault.field)
