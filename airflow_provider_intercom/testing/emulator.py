"""An in-process emulator of Intercom's REST API (version 2.16) for tests, demos and benchmarks.

:class:`IntercomEmulator` serves ``GET /me``, ``GET /conversations/{id}``,
``PUT /conversations/{id}`` and ``POST /conversations/search`` on loopback, with the paths, bodies,
error lists and rate-limit headers of ``api.intercom.io``. It uses the standard library only::

    with IntercomEmulator(conversations=1000, rate_limit=50, window=1) as emu:
        requests.put(f"{emu.url}/conversations/7", json={"read": True},
                     headers={"Authorization": f"Bearer {emu.token}"})
        assert emu.get("7")["read"] is True

or from a shell (prints the URL and a ready-to-paste ``AIRFLOW_CONN_INTERCOM_DEFAULT``)::

    python -m airflow_provider_intercom.testing.emulator --port 8089 --conversations 1000 \\
        --rate-limit 1667/10s --latency 0.1

Behaviour worth knowing:

* **Order of handling.** Every request is read completely and appended to
  :attr:`IntercomEmulator.requests`, then ``latency`` is waited, then the first matching injected
  fault (see :meth:`~IntercomEmulator.inject`) answers it, and only then come authentication (401
  ``unauthorized``), the rate limit (429), ``plan_restricted`` (403) and the endpoint itself.
  Faults therefore model the network and Intercom's edge: they neither need a token nor count
  towards the rate limit.
* **Rate limit.** ``rate_limit`` calls per fixed window of ``window`` whole seconds, windows aligned
  to multiples of ``window`` in UNIX time (Intercom: 10,000/min enforced as 1,667 per 10 s, the
  default). Every authenticated response carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining``
  and ``X-RateLimit-Reset`` (UNIX seconds at which the window ends). Like Intercom, only accepted
  calls count: requests answered 401 or 429 do not use up the window; 403/404/400 answers do.
* **Search** semantics are described in :mod:`._emulator_search`; note that, as the spec's
  operator table says, ``>`` and ``<`` mean *greater or equal* and *lower or equal*. Results come
  in ascending numeric id order; a query may nest groups 2 levels deep with up to 15 members each.
  ``starting_after`` is an opaque cursor encoding the last id returned and the filter is
  re-evaluated on every page, so changing conversations between pages (e.g. marking them read
  while searching ``read = false``) neither skips nor repeats any conversation still to come.
  ``total_count`` and ``total_pages`` reflect the data at the time of each page.
* **Fault paths** are matched with :func:`fnmatch.fnmatchcase` (``"/conversations/*"``; a path
  without wildcards matches exactly; ``*`` also matches ``/``, so it covers
  ``/conversations/search`` too) or, for a compiled :class:`re.Pattern`, with ``fullmatch``
  (``re.compile(r"/conversations/\\d+")``). The query string is not part of the path.
* Each connection is served by its own daemon thread over HTTP/1.1 keep-alive; waits (``latency``,
  ``slow`` faults) never block other connections and end early when the emulator stops.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import fnmatch
import http.server
import io
import json
import math
import re
import shlex
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from types import FrameType, TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from airflow_provider_intercom.testing._emulator_data import (
    ANCHOR_TIME,
    DEFAULT_ADMIN,
    generate_conversations,
)
from airflow_provider_intercom.testing._emulator_search import (
    QueryError,
    compile_query,
    decode_cursor,
    encode_cursor,
)

__all__ = ["DEFAULT_TOKEN", "Fault", "FaultKind", "IntercomEmulator", "RecordedRequest", "main"]

DEFAULT_TOKEN = "emulator-token-not-a-secret"  # noqa: S105 - a fake token, only the emulator accepts it
FaultKind = Literal["status", "rate_limit", "reset", "slow", "malformed_json", "html"]

_FAULT_KINDS = frozenset({"status", "rate_limit", "reset", "slow", "malformed_json", "html"})
_DEFAULT_CODES = {
    400: "parameter_invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "data_invalid",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
_ID_PATH = re.compile(r"/conversations/([^/]+)")
_UPDATE_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "read": ((bool,), "a boolean"),
    "title": ((str, type(None)), "a string"),
    "custom_attributes": ((dict,), "an object"),
    "company_id": ((str,), "a string"),
}
_MAX_PER_PAGE = 150
_DEFAULT_PER_PAGE = 20
_LIST_ITEM_OMITS = ("conversation_parts",)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it.

    :param method: HTTP method, e.g. ``"PUT"``.
    :param path: path without the query string, e.g. ``"/conversations/7"``.
    :param query: parsed query string, every value a list (as :func:`urllib.parse.parse_qs` gives).
    :param headers: request headers with the names as the client sent them (last one wins); left
        out of ``repr``, so a failing assertion never prints the ``Authorization`` token.
    :param body: the parsed JSON body, the raw text when it is not JSON, or ``None`` when empty.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str] = field(repr=False)
    body: Any = None


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


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    #: (code, message, field) of an error list; its body is rendered last, with the request id.
    error: tuple[str, str | None, str | None] | None = None


def _error(
    status: int,
    code: str,
    message: str | None,
    field: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> _Response:
    return _Response(status, b"", headers=headers or [], error=(code, message, field))


class _HTTPError(Exception):
    """Raised inside handlers to answer with an Intercom error list."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def _error_body(request_id: str, code: str, message: str | None, field: str | None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return json.dumps({"type": "error.list", "request_id": request_id, "errors": [error]}).encode()


def _json(status: int, payload: Any) -> _Response:
    return _Response(status, json.dumps(payload).encode())


def _list_item(conversation: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in conversation.items() if key not in _LIST_ITEM_OMITS}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Keep-alive handler threads may sit in a read for ever; stop() unblocks them itself.
    block_on_close = False
    allow_reuse_address = True
    emulator: IntercomEmulator

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall on hosts without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client vanishing mid-response is normal for a test server (timeouts, resets, stop()).
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "IntercomEmulator"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.emulator._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.emulator._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: logging every request to stderr costs throughput and clutters test output."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537).strip():
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit():
            raise ValueError(f"invalid Content-Length {length!r}")
        return self.rfile.read(int(length)) if int(length) > 0 else b""

    def _dispatch(self) -> None:
        try:
            raw = self._read_body()
        except ValueError as error:
            # The stream can no longer be framed: answer and close, as a real server would.
            self.close_connection = True
            self._write(_error(400, "parameter_invalid", str(error)))
            return
        response = self.server.emulator._handle(self, raw)
        if response is None:
            return
        self._write(response)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _dispatch

    def _write(self, response: _Response) -> None:
        if response.error is not None and not response.body:
            response.body = _error_body(str(uuid.uuid4()), *response.error)
        status = response.status
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [
            f"HTTP/1.1 {status} {reason}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
        ]
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write, one segment: headers and body flushed separately would cost a round of
        # Nagle/delayed-ACK per request on keep-alive connections.
        self.wfile.write(head if self.command == "HEAD" else head + response.body)

    def reset_connection(self) -> None:
        """Abort the TCP connection with an RST instead of answering."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The file objects hold references to the socket; it is only really closed (and the RST
        # sent) once all of them are closed.
        self.rfile.close()
        self.wfile.close()
        self.connection.close()
        # BaseHTTPRequestHandler flushes wfile after every request; give it a harmless sink.
        self.wfile = io.BytesIO()


class IntercomEmulator:
    """Serve Intercom's REST API on loopback, backed by seeded in-memory conversations.

    :param conversations: how many conversations to create, with ids ``"1"`` .. ``str(conversations)``.
    :param seed: seed for the generated data; the same seed gives the same conversations.
    :param token: the access token clients must send as ``Authorization: Bearer <token>``.
    :param port: TCP port to listen on; 0 picks a free one.
    :param host: address to bind; keep the loopback default unless you know why.
    :param rate_limit: accepted calls per window (Intercom: 10,000/min in 10 s windows = 1,667).
    :param window: window length in whole seconds.
    :param latency: seconds added to every request (without blocking other connections).
    :param region: ``app.region`` reported by ``GET /me``.
    :param app_id_code: ``app.id_code`` reported by ``GET /me``.
    :param app_name: ``app.name`` reported by ``GET /me``.
    :param admin_id: id of the admin owning the token.
    :param admin_name: that admin's name.
    :param admin_email: that admin's email.
    :param plan_restricted: answer every authenticated request 403 ``api_plan_restricted``.
    """

    def __init__(
        self,
        *,
        conversations: int = 50,
        seed: int = 0,
        token: str = DEFAULT_TOKEN,
        port: int = 0,
        host: str = "127.0.0.1",
        rate_limit: int = 1667,
        window: int = 10,
        latency: float = 0.0,
        region: str = "US",
        app_id_code: str = "emulatorapp",
        app_name: str = "Emulator Workspace",
        admin_id: str = DEFAULT_ADMIN["id"],
        admin_name: str = DEFAULT_ADMIN["name"],
        admin_email: str = DEFAULT_ADMIN["email"],
        plan_restricted: bool = False,
    ) -> None:
        if conversations < 0:
            raise ValueError("conversations must be >= 0")
        self.token = token
        self.host = host
        self.latency = latency
        self.region = region
        self.app_id_code = app_id_code
        self.app_name = app_name
        self.admin_id = admin_id
        self.admin_name = admin_name
        self.admin_email = admin_email
        #: When true, every authenticated request is answered 403 ``api_plan_restricted``.
        self.plan_restricted = plan_restricted
        self._requested_port = port
        self._data_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._conversations = generate_conversations(conversations, seed)
        self._sorted_ids: list[int] = sorted(int(key) for key in self._conversations)
        self._requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._rate_limit = 0
        self._window = 1
        self._window_start = 0
        self._window_count = 0
        self.set_rate_limit(rate_limit, window)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> IntercomEmulator:
        """Bind the port and serve in a background thread; returns ``self``."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._stopping.clear()
        server = _Server((self.host, self._requested_port), _Handler)
        server.emulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="intercom-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, abort open connections and pending waits; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._state_lock:
            connections = list(self._connections)
        for connection in connections:
            # A connection may already be closed by its handler thread.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> IntercomEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port actually bound (only while running)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._state_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    # ----------------------------------------------------------------- helpers for tests

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._state_lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._state_lock:
            self._requests.clear()

    def conversation_ids(self) -> list[str]:
        """Ids of all stored conversations, in ascending numeric order."""
        return [str(number) for number in self._sorted_ids]

    def get(self, conversation_id: str | int) -> dict[str, Any]:
        """A deep copy of a stored conversation.

        :param conversation_id: the conversation's id.
        :raises KeyError: when there is no such conversation.
        """
        with self._data_lock:
            return copy.deepcopy(self._conversations[str(conversation_id)])

    def airflow_conn_json(self, **extra: Any) -> str:
        """The value for ``AIRFLOW_CONN_INTERCOM_DEFAULT`` that points Airflow at this emulator.

        :param extra: items for the connection's ``extra``.
        """
        return json.dumps({"conn_type": "intercom", "host": self.url, "password": self.token, "extra": extra})

    def set_rate_limit(self, limit: int, window: int | None = None) -> None:
        """Change the rate limit at runtime; the current window's count is kept.

        :param limit: accepted calls per window.
        :param window: window length in whole seconds; unchanged when ``None``.
        """
        if limit < 0:
            raise ValueError("limit must be >= 0")
        if window is not None and (window < 1 or int(window) != window):
            raise ValueError("window must be a whole number of seconds >= 1")
        with self._state_lock:
            self._rate_limit = limit
            if window is not None and window != self._window:
                self._window = int(window)
                self._window_start, self._window_count = 0, 0

    @property
    def rate_limit(self) -> tuple[int, int]:
        """``(limit, window_seconds)`` currently enforced."""
        with self._state_lock:
            return self._rate_limit, self._window

    def inject(
        self,
        kind: FaultKind,
        *,
        times: int | None = 1,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        status: int | None = None,
        delay: float | None = None,
        code: str | None = None,
        message: str | None = None,
        field: str | None = None,
        reset_in: float | None = None,
    ) -> Fault:
        """Script a fault for the next matching request(s); faults are tried in the order added.

        Kinds:

        * ``"status"``: answer ``status`` (default 500) with an ``error.list`` whose code follows
          the status (500 ``server_error``, 502 ``bad_gateway``, 503 ``service_unavailable``,
          504 ``gateway_timeout``, 400 ``parameter_invalid``, ...) unless ``code`` is given.
        * ``"rate_limit"``: a 429 ``rate_limit_exceeded`` with ``X-RateLimit-Remaining: 0`` and a
          reset at the end of the current window, or ``reset_in`` seconds from now. A "429 storm" is
          ``times=N`` or ``times=None``.
        * ``"reset"``: abort the connection with a TCP RST, no response.
        * ``"slow"``: wait ``delay`` seconds (default 1), then answer normally.
        * ``"malformed_json"``: ``status`` (default 200), ``application/json``, truncated JSON.
        * ``"html"``: an HTML error page as a proxy would send, ``status`` default 502.

        :param kind: one of the kinds above.
        :param times: how many matching requests to affect; ``None`` for all of them.
        :param method: only requests with this HTTP method.
        :param path: only requests whose path matches this fnmatch pattern (exact when it has no
            wildcards) or compiled regular expression (``fullmatch``).
        :param status: HTTP status for ``status``, ``malformed_json`` and ``html``.
        :param delay: seconds to wait, for ``slow``.
        :param code: error code for ``status`` and ``rate_limit``.
        :param message: error message for ``status`` and ``rate_limit``.
        :param field: error ``field`` for ``status``.
        :param reset_in: seconds until the reported reset (rounded up to a whole UNIX second), for
            ``rate_limit``.
        :return: the :class:`Fault`, whose ``hits`` counts the requests it answered.
        """
        if kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(_FAULT_KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        fault = Fault(kind, times, method, path, status, delay, code, message, field, reset_in)
        with self._state_lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._state_lock:
            self._faults.clear()

    # ----------------------------------------------------------------- request handling

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._state_lock:
            for index, fault in enumerate(self._faults):
                if fault.matches(method, path):
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            del self._faults[index]
                    return fault
        return None

    def _rate_headers(self, limit: int, remaining: int, reset: int) -> list[tuple[str, str]]:
        return [
            ("X-RateLimit-Limit", str(limit)),
            ("X-RateLimit-Remaining", str(remaining)),
            ("X-RateLimit-Reset", str(reset)),
        ]

    def _count_call(self) -> tuple[bool, list[tuple[str, str]]]:
        """Count an authenticated call; tell whether it is within the limit, and the headers."""
        now = time.time()
        with self._state_lock:
            window = self._window
            start = int(now // window) * window
            if start != self._window_start:
                self._window_start, self._window_count = start, 0
            allowed = self._window_count < self._rate_limit
            if allowed:
                self._window_count += 1
            remaining = self._rate_limit - self._window_count
            return allowed, self._rate_headers(self._rate_limit, remaining, start + window)

    def _handle(self, handler: _Handler, raw: bytes) -> _Response | None:
        method = handler.command
        split = urlsplit(handler.path)
        path = split.path
        body: Any = None
        if raw:
            text = raw.decode("utf-8", errors="replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        headers = dict(handler.headers.items())
        recorded = RecordedRequest(method, path, parse_qs(split.query, keep_blank_values=True), headers, body)
        with self._state_lock:
            self._requests.append(recorded)
        request_id = str(uuid.uuid4())
        if self.latency > 0:
            self._stopping.wait(self.latency)

        fault = self._take_fault(method, path) if self._faults else None
        if fault is None:
            response = self._respond(method, path, headers, raw, body)
        elif fault.kind == "reset":
            handler.reset_connection()
            return None
        elif fault.kind == "slow":
            self._stopping.wait(1.0 if fault.delay is None else fault.delay)
            response = self._respond(method, path, headers, raw, body)
        else:
            response = self._apply_fault(fault)
        if response.error is not None:
            response.body = _error_body(request_id, *response.error)
        response.headers.append(("X-Request-Id", request_id))
        return response

    def _apply_fault(self, fault: Fault) -> _Response:
        kind = fault.kind
        if kind == "malformed_json":
            return _Response(fault.status or 200, b'{"type": "conversation", "id": ')
        if kind == "html":
            status = fault.status or 502
            phrase = f"{status} {HTTPStatus(status).phrase}"
            page = (
                f"<html><head><title>{phrase}</title></head><body><center><h1>{phrase}</h1></center>"
                "<hr><center>nginx</center></body></html>\n"
            )
            return _Response(status, page.encode(), "text/html")
        if kind == "rate_limit":
            limit, window = self.rate_limit
            now = time.time()
            window_end = int(now // window) * window + window
            # Rounded up: a client sleeping until the reported reset must not wake before reset_in.
            reset = window_end if fault.reset_in is None else math.ceil(now + fault.reset_in)
            return _error(
                429,
                fault.code or "rate_limit_exceeded",
                fault.message or "Rate Limit Exceeded",
                headers=self._rate_headers(limit, 0, reset),
            )
        status = fault.status or 500
        code = fault.code or _DEFAULT_CODES.get(status, "server_error" if status >= 500 else "client_error")
        message = fault.message or HTTPStatus(status).phrase
        return _error(status, code, message, fault.field)

    def _respond(self, method: str, path: str, headers: dict[str, str], raw: bytes, body: Any) -> _Response:
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if authorization != f"Bearer {self.token}":
            return _error(401, "unauthorized", "Access Token Invalid")
        allowed, rate_headers = self._count_call()
        if not allowed:
            return _error(429, "rate_limit_exceeded", "Rate Limit Exceeded", headers=rate_headers)
        try:
            if self.plan_restricted:
                raise _HTTPError(403, "api_plan_restricted", "Active subscription needed.")
            response = self._route(method, path, raw, body)
        except _HTTPError as error:
            response = _error(error.status, error.code, error.message, error.field)
        except QueryError as error:
            response = _error(400, error.code, error.message, error.field)
        response.headers.extend(rate_headers)
        return response

    def _route(self, method: str, path: str, raw: bytes, body: Any) -> _Response:
        if path == "/me":
            if method != "GET":
                raise _HTTPError(405, "method_not_allowed", f"{method} is not allowed on {path}")
            return _json(200, self._me())
        if path == "/conversations/search":
            if method != "POST":
                raise _HTTPError(405, "method_not_allowed", f"{method} is not allowed on {path}")
            return self._search(raw, body)
        match = _ID_PATH.fullmatch(path)
        if match is None:
            raise _HTTPError(404, "not_found", "Resource Not Found")
        if method == "GET":
            return self._get(match.group(1))
        if method == "PUT":
            return self._update(match.group(1), raw, body)
        raise _HTTPError(405, "method_not_allowed", f"{method} is not allowed on {path}")

    def _me(self) -> dict[str, Any]:
        return {
            "type": "admin",
            "id": self.admin_id,
            "email": self.admin_email,
            "name": self.admin_name,
            "email_verified": True,
            "app": {
                "type": "app",
                "id_code": self.app_id_code,
                "name": self.app_name,
                "created_at": ANCHOR_TIME - 400 * 86400,
                "secure": False,
                "identity_verification": False,
                "timezone": "America/Los_Angeles" if self.region == "US" else "Europe/Dublin",
                "region": self.region,
            },
            "avatar": {
                "type": "avatar",
                "image_url": "https://static.intercomassets.com/assets/default-avatars/admins/128.png",
            },
            "has_inbox_seat": True,
        }

    def _get(self, conversation_id: str) -> _Response:
        with self._data_lock:
            conversation = self._conversations.get(conversation_id) if conversation_id.isdigit() else None
            if conversation is None:
                raise _HTTPError(404, "not_found", "Resource Not Found")
            return _json(200, conversation)

    def _update(self, conversation_id: str, raw: bytes, body: Any) -> _Response:
        with self._data_lock:
            exists = conversation_id.isdigit() and conversation_id in self._conversations
        if not exists:
            raise _HTTPError(404, "not_found", "Resource Not Found")
        changes = _parse_object(raw, body)
        for key, value in changes.items():
            if key not in _UPDATE_TYPES:
                raise _HTTPError(400, "parameter_invalid", f"'{key}' is not a valid parameter", key)
            types, described = _UPDATE_TYPES[key]
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                raise _HTTPError(400, "parameter_invalid", f"'{key}' must be {described}", key)
        attributes = changes.get("custom_attributes", {})
        for name, value in attributes.items():
            if not isinstance(value, (str, int, float, bool, dict, list)) and value is not None:
                raise _HTTPError(
                    400,
                    "parameter_invalid",
                    f"custom attribute '{name}' has an invalid value",
                    f"custom_attributes.{name}",
                )
        with self._data_lock:
            conversation = self._conversations[conversation_id]
            if "read" in changes:
                conversation["read"] = changes["read"]
            if "title" in changes:
                conversation["title"] = changes["title"]
            if attributes:
                conversation["custom_attributes"].update(copy.deepcopy(attributes))
            if "company_id" in changes:
                company_id = changes["company_id"]
                conversation["company"] = {
                    "type": "company",
                    "id": company_id,
                    "name": f"Company {company_id}",
                }
            conversation["updated_at"] = max(int(time.time()), conversation["updated_at"])
            return _json(200, conversation)

    def _search(self, raw: bytes, body: Any) -> _Response:
        request = _parse_object(raw, body)
        if "query" not in request:
            raise _HTTPError(400, "parameter_invalid", "query is required", "query")
        predicate = compile_query(request["query"])
        pagination = request.get("pagination") or {}
        if not isinstance(pagination, dict):
            raise _HTTPError(400, "parameter_invalid", "pagination must be an object", "pagination")
        per_page = pagination.get("per_page", _DEFAULT_PER_PAGE)
        if isinstance(per_page, str) and per_page.isdigit():
            per_page = int(per_page)
        if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= _MAX_PER_PAGE:
            raise _HTTPError(
                400,
                "parameter_invalid",
                f"per_page must be an integer between 1 and {_MAX_PER_PAGE}",
                "pagination.per_page",
            )
        cursor = pagination.get("starting_after")
        if cursor is not None and not isinstance(cursor, str):
            raise _HTTPError(400, "parameter_invalid", "starting_after must be a string", "pagination.starting_after")
        after = decode_cursor(cursor) if cursor else None
        with self._data_lock:
            conversations = self._conversations
            matching = [number for number in self._sorted_ids if predicate(conversations[str(number)])]
            before = 0 if after is None else sum(1 for number in matching if number <= after)
            rest = matching[before:]
            page_ids = rest[:per_page]
            items = [_list_item(conversations[str(number)]) for number in page_ids]
            payload_conversations = json.dumps(items)
        page = before // per_page + 1 if before % per_page == 0 else before // per_page + 2
        remaining_pages = -(-len(rest) // per_page)
        pages: dict[str, Any] = {
            "type": "pages",
            "page": page,
            "per_page": per_page,
            "total_pages": page - 1 + remaining_pages,
        }
        if len(rest) > per_page:
            pages["next"] = {"per_page": per_page, "starting_after": encode_cursor(page_ids[-1])}
        head = {"type": "conversation.list", "total_count": len(matching), "pages": pages}
        # The conversations were serialised under the lock; splice them in rather than re-encode.
        encoded = json.dumps(head)[:-1] + ', "conversations": ' + payload_conversations + "}"
        return _Response(200, encoded.encode())


def _parse_object(raw: bytes, body: Any) -> dict[str, Any]:
    if not raw:
        raise _HTTPError(400, "parameter_invalid", "request body must be a JSON object", "body")
    if isinstance(body, str):
        raise _HTTPError(400, "parameter_invalid", "request body is not valid JSON", "body")
    if not isinstance(body, dict):
        raise _HTTPError(400, "parameter_invalid", "request body must be a JSON object", "body")
    return body


# --------------------------------------------------------------------- command line

_RATE_RE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d*)\s*(s|sec|m|min)?\s*)?$")


def parse_rate_limit(text: str) -> tuple[int, int]:
    """Parse ``N/Ss`` (``1667/10s``, ``50/1s``, ``50/s``) or ``N/m`` (``10000/m``) into (limit, window).

    :param text: the command-line value; a bare ``N`` means N per 10 s, Intercom's window.
    """
    match = _RATE_RE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"invalid rate limit {text!r}; use e.g. 1667/10s or 10000/m")
    limit, amount, unit = int(match.group(1)), match.group(2), match.group(3)
    if match.group(2) is None and unit is None and "/" not in text:
        return limit, 10
    window = int(amount) if amount else 1
    if unit in ("m", "min"):
        window *= 60
    if window < 1:
        raise argparse.ArgumentTypeError("the window must be at least 1 second")
    return limit, window


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_intercom.testing.emulator",
        description="Serve an emulated Intercom REST API (2.16) until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089, help="0 picks a free port (default 8089)")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--rate-limit", type=parse_rate_limit, default=(1667, 10), metavar="N/Ss")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each request")
    parser.add_argument("--region", default="US")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the emulator from the command line until SIGINT or SIGTERM.

    :param argv: arguments without the program name; ``sys.argv[1:]`` when ``None``.
    :return: the process exit status.
    """
    args = _build_parser().parse_args(argv)
    limit, window = args.rate_limit
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, on_signal)
    emulator = IntercomEmulator(
        conversations=args.conversations,
        seed=args.seed,
        token=args.token,
        port=args.port,
        host=args.host,
        rate_limit=limit,
        window=window,
        latency=args.latency,
        region=args.region,
    )
    try:
        with emulator:
            print(f"Intercom emulator listening on {emulator.url}", flush=True)
            print(
                f"  {args.conversations} conversations (seed {args.seed}), rate limit {limit}/{window}s, "
                f"latency {args.latency}s, token {emulator.token}",
                flush=True,
            )
            print(f"AIRFLOW_CONN_INTERCOM_DEFAULT={shlex.quote(emulator.airflow_conn_json())}", flush=True)
            print("Press Ctrl+C to stop.", flush=True)
            while not done.wait(0.5):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
