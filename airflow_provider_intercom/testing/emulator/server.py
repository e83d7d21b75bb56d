"""HTTP plumbing: a threading HTTP/1.1 server whose handler hands each request to an application.

The handler only frames requests and writes responses; what to answer is the application's
business (:class:`ServerApp`, implemented by the emulator's request pipeline). Each connection is
served by its own daemon thread over keep-alive, so a slow answer never blocks other clients.
"""

from __future__ import annotations

import http.server
import io
import socket
import socketserver
import struct
import sys
import time
import uuid
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from typing import Any, Protocol

from airflow_provider_intercom.testing.emulator.messages import Response, error_response

__all__ = ["DEFAULT_BACKLOG", "ConnectionControl", "EmulatorHTTPServer", "IncomingRequest", "ServerApp"]

#: Pending connections the kernel queues before ``accept``: socketserver's default of 5 makes a
#: burst of hundreds of new keep-alive connections (a bulk engine starting up) wait for SYN
#: retransmits. Linux caps it at ``net.core.somaxconn`` (4096 on current kernels).
DEFAULT_BACKLOG = 1024
_MAX_LINE = 65537


@dataclass(frozen=True)
class IncomingRequest:
    """A fully read request.

    :param method: the HTTP method.
    :param target: the request target, path and query string.
    :param headers: the parsed headers.
    :param body: the raw body, de-chunked.
    :param received_at: UNIX time at which the request head was read.
    :param received_monotonic: the same instant on the monotonic clock.
    """

    method: str
    target: str
    headers: Message
    body: bytes
    received_at: float
    received_monotonic: float


class ConnectionControl(Protocol):
    """What an application may do to the connection a request came on."""

    def reset_connection(self) -> None:
        """Abort the connection with a TCP RST instead of answering."""


class ServerApp(Protocol):
    """What the server needs from the application it serves."""

    def handle(self, request: IncomingRequest, control: ConnectionControl) -> Response | None:
        """Answer a request; ``None`` when the connection was reset instead."""

    def connection_opened(self, connection: socket.socket) -> None:
        """A client connected (called on the connection's own thread)."""

    def connection_closed(self, connection: socket.socket) -> None:
        """A connection ended."""


class EmulatorHTTPServer(http.server.ThreadingHTTPServer):
    """A :class:`~http.server.ThreadingHTTPServer` serving a :class:`ServerApp`.

    :param address: ``(host, port)`` to bind; port 0 picks a free one.
    :param app: the application answering requests.
    :param backlog: the listen backlog (``request_queue_size``).
    """

    daemon_threads = True
    # Keep-alive handler threads may sit in a read for ever; the emulator unblocks them itself.
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: ServerApp, *, backlog: int = DEFAULT_BACKLOG) -> None:
        # socketserver reads request_queue_size in server_activate(), called by __init__.
        self.request_queue_size = backlog
        self.app = app
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's FQDN lookup, which can stall on hosts without DNS."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients vanishing mid-response: normal for a test server."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "IntercomEmulator"
    sys_version = ""
    server: EmulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.app.connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.app.connection_closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: logging every request to stderr costs throughput and clutters test output."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(_MAX_LINE).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(_MAX_LINE).strip():
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(_MAX_LINE)
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit():
            raise ValueError(f"invalid Content-Length {length!r}")
        return self.rfile.read(int(length)) if int(length) > 0 else b""

    def _dispatch(self) -> None:
        # The head has just been parsed: this is when the request arrived.
        received_at, received_monotonic = time.time(), time.monotonic()
        try:
            body = self._read_body()
        except ValueError as error:
            # The stream can no longer be framed: answer and close, as a real server would.
            self.close_connection = True
            refusal = error_response(400, "parameter_invalid", str(error))
            refusal.render(str(uuid.uuid4()))
            self._write(refusal)
            return
        request = IncomingRequest(self.command, self.path, self.headers, body, received_at, received_monotonic)
        response = self.server.app.handle(request, self)
        if response is not None:
            self._write(response)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _dispatch

    def _write(self, response: Response) -> None:
        status = response.status
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [
            f"HTTP/1.1 {status} {reason}",
            # Intercom, like any HTTP/1.1 origin server with a clock, dates every answer.
            f"Date: {self.date_time_string()}",
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
