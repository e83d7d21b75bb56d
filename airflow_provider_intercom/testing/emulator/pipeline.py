"""What happens to a request between arrival and answer, in the order Intercom's edge would do it.

On **arrival** the request is logged (with its arrival time), the first matching injected fault
is taken, and everything that depends on the clock is decided: authentication (401), the rate
windows (a 429, or the call counted), the ``Intercom-Version`` check (400) and the plan (403).
Then the **latency** is waited (plus a ``slow`` fault's delay), and only then is the answer made:
the fault's, the decided error, or the endpoint's. An *applied, then failed* fault
(``apply_then_*``) lets the endpoint answer, then loses that answer: it resets the connection,
answers 502 instead, or waits its ``delay`` before sending it. Faults model the network and Intercom's edge:
they need no token and do not count towards the rate limit, except ``slow`` (answered normally)
and ``workspace_rate_limit`` (authenticated, but refused as if the workspace's window were spent).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import uuid
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator.faults import APPLIED_THEN_FAILED, Fault, FaultBook, fault_response
from airflow_provider_intercom.testing.emulator.latency import LatencyModel
from airflow_provider_intercom.testing.emulator.messages import (
    ApiError,
    RecordedRequest,
    RequestLog,
    Response,
    error_response,
)
from airflow_provider_intercom.testing.emulator.ratelimit import RateLimiter
from airflow_provider_intercom.testing.emulator.routes import Router
from airflow_provider_intercom.testing.emulator.server import ConnectionControl, IncomingRequest

__all__ = ["PipelineSettings", "RequestPipeline"]

_VERSION_HEADER = "Intercom-Version"
#: Faults that answer by themselves, without authentication or the rate limit.
_SELF_ANSWERING = frozenset({"status", "rate_limit", "malformed_json", "html"})
_VERSION_LIST = ", ".join(facts.API_VERSIONS)
_Headers = list[tuple[str, str]]


class PipelineSettings(Protocol):
    """The emulator settings the pipeline reads on every request (they may change at runtime)."""

    @property
    def token(self) -> str:
        """The first app's access token."""

    plan_restricted: bool
    default_version: str


def _bearer(request: IncomingRequest) -> str | None:
    authorization = request.headers.get("Authorization") or ""
    return authorization[len("Bearer ") :] if authorization.startswith("Bearer ") else None


class RequestPipeline:
    """Turns each :class:`~.server.IncomingRequest` into a :class:`~.messages.Response`.

    :param settings: the emulator's runtime settings.
    :param router: answers admitted requests.
    :param limiter: the rate windows.
    :param faults: the injected faults.
    :param latency: the latency to add.
    :param log: where requests are recorded.
    """

    def __init__(
        self,
        *,
        settings: PipelineSettings,
        router: Router,
        limiter: RateLimiter,
        faults: FaultBook,
        latency: LatencyModel,
        log: RequestLog,
    ) -> None:
        self.settings = settings
        self.router = router
        self.limiter = limiter
        self.faults = faults
        self.latency = latency
        self.log = log
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    # ------------------------------------------------------------------ lifecycle

    def resume(self) -> None:
        """Let waits run their course again (after :meth:`abort`)."""
        self._stopping.clear()

    def abort(self) -> None:
        """End every pending wait at once and shut down every open connection."""
        self._stopping.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            # A connection may already be closed by its handler thread.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    # ------------------------------------------------------------------ ServerApp

    def connection_opened(self, connection: socket.socket) -> None:
        """Track a connection, so that :meth:`abort` can close it.

        :param connection: the accepted socket.
        """
        with self._lock:
            self._connections.add(connection)

    def connection_closed(self, connection: socket.socket) -> None:
        """Stop tracking a connection.

        :param connection: the socket.
        """
        with self._lock:
            self._connections.discard(connection)

    @property
    def open_connections(self) -> int:
        """How many client connections are open now."""
        with self._lock:
            return len(self._connections)

    def handle(self, request: IncomingRequest, control: ConnectionControl) -> Response | None:
        """Answer one request, or reset its connection.

        :param request: the request as read.
        :param control: its connection, for a ``reset`` fault.
        :return: the answer; ``None`` when the connection was reset.
        """
        split = urlsplit(request.target)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        body: Any = None
        if request.body:
            text = request.body.decode("utf-8", errors="replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        asked = request.headers.get(_VERSION_HEADER)
        fault = self.faults.take(request.method, path)
        ticket = self.log.append(
            RecordedRequest(
                request.method,
                path,
                query,
                dict(request.headers.items()),
                body,
                request.received_at,
                request.received_monotonic,
                self.settings.default_version if asked is None else asked,
                fault=None if fault is None else fault.kind,
            )
        )
        decided, rate_headers = self._decide(request, fault, asked)

        delay = self.latency.sample()
        if fault is not None and fault.kind == "slow":
            delay += 1.0 if fault.delay is None else fault.delay
        if delay > 0:
            self._stopping.wait(delay)
        if fault is not None and fault.kind == "reset":
            control.reset_connection()
            self.log.complete(ticket, None)
            return None

        response = decided
        if response is None:
            try:
                response = self.router.route(request.method, path, query, request.body, body)
            except ApiError as error:
                response = error.response()
            response.headers.extend(rate_headers)
            if fault is not None and fault.kind in APPLIED_THEN_FAILED:
                lost = self._lose(fault, response, control)
                if lost is None:
                    self.log.complete(ticket, None)
                    return None
                response = lost
        request_id = str(uuid.uuid4())
        response.render(request_id)
        response.headers.append(("X-Request-Id", request_id))
        self.log.complete(ticket, response.status)
        return response

    def _lose(self, fault: Fault, applied: Response, control: ConnectionControl) -> Response | None:
        """The answer after an applied request whose answer a fault loses; ``None`` for a reset."""
        if fault.kind == "apply_then_reset":
            control.reset_connection()
            return None
        if fault.kind == "apply_then_status":
            # A proxy's answer: it knows nothing of the app's rate window.
            return fault_response(fault, 0, 0, 0, 0.0)
        self._stopping.wait(1.0 if fault.delay is None else fault.delay)
        return applied

    def _decide(
        self, request: IncomingRequest, fault: Fault | None, asked: str | None
    ) -> tuple[Response | None, _Headers]:
        """Everything decided at arrival: an answer already, or ``None`` and the rate headers."""
        now = request.received_at
        token = _bearer(request)
        app = token if token is not None and self.limiter.knows(token) else None
        if fault is not None and fault.kind in _SELF_ANSWERING:
            limit, window = self.limiter.limits(app or self.settings.token)
            return fault_response(fault, limit, window, self.limiter.window_end(now), now), []
        if fault is not None and fault.kind == "reset":
            return None, []
        if app is None:
            # Unauthenticated answers carry no rate-limit headers: there is no app to describe.
            return error_response(401, "unauthorized", "Access Token Invalid"), []
        if fault is not None and fault.kind == "workspace_rate_limit":
            admission = self.limiter.refuse_for_workspace(app, now)
        else:
            admission = self.limiter.admit(app, now)
        headers = admission.headers
        if not admission.allowed:
            return error_response(429, "rate_limit_exceeded", admission.message, headers=headers), []
        if asked is not None and asked not in facts.API_VERSIONS:
            message = f"Requested version {asked!r} is not a valid Intercom-Version; use one of {_VERSION_LIST}"
            return error_response(400, "intercom_version_invalid", message, headers=headers), []
        if self.settings.plan_restricted:
            return error_response(403, "api_plan_restricted", "Active subscription needed.", headers=headers), []
        return None, headers
