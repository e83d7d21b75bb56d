"""A loopback stand-in for a proxy in front of Intercom that sends rate-limit headers of its own.

It answers ``PUT /conversations/{id}`` with the conversation, and ``GET /me`` with an admin, like
Intercom; every answer carries the ``X-RateLimit-*`` headers a scenario makes up, and a scenario
may turn some answers into 429s. Real networks differ from the emulator in exactly these headers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: ``(request number from 1, now) -> (status, X-RateLimit-* headers)`` of one answer.
Scenario = Callable[[int, float], tuple[int, dict[str, str]]]


def rate_headers(limit: object, remaining: object, reset: object) -> dict[str, str]:
    """The three ``X-RateLimit-*`` headers, each value as given."""
    return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(reset)}


def intercom_like(now: float) -> dict[str, str]:
    """What Intercom itself would send mid-window: plenty left, the reset at the next 10 s mark."""
    return rate_headers(1667, 1000, int(now // 10 * 10 + 10))


def every_answer(make: Callable[[float], dict[str, str]]) -> Scenario:
    """A scenario whose every answer is a 200 with the headers ``make(now)`` returns."""
    return lambda n, now: (200, make(now))


def rate_limited_every(nth: int, reset: str) -> Scenario:
    """Intercom's headers, except that every ``nth`` request is a 429 with ``X-RateLimit-Reset: reset``."""
    return lambda n, now: (429, rate_headers(1667, 0, reset)) if n % nth == 0 else (200, intercom_like(now))


@dataclass
class HostileServer:
    """The running stand-in: where it listens, and what it saw."""

    url: str
    token: str = "fake-hostile-token"
    requests: int = 0
    rate_limited: int = 0
    updated: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(server: HostileServer, scenario: Scenario) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the clients' pools expect

        def _answer(self, make_body: Callable[[], dict[str, Any]]) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            with server.lock:
                server.requests += 1
                status, headers = scenario(server.requests, time.time())
                server.rate_limited += status == 429
            body = make_body() if status == 200 else _error_list(status)
            data = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {
                **headers,
                "Content-Type": "application/json",
                "Content-Length": str(len(data)),
            }.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            if status == 200 and body["type"] == "conversation":
                with server.lock:
                    server.updated.add(body["id"])

        def do_PUT(self) -> None:
            cid = self.path.rstrip("/").rsplit("/", 1)[-1]
            self._answer(
                lambda: {
                    "type": "conversation",
                    "id": cid,
                    "read": True,
                    "state": "open",
                    "updated_at": int(time.time()),
                }
            )

        def do_GET(self) -> None:
            self._answer(lambda: {"type": "admin", "id": "1", "email": "a@example.com", "app": {"id_code": "hostile"}})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _error_list(status: int) -> dict[str, Any]:
    return {"type": "error.list", "errors": [{"code": "rate_limit_exceeded", "message": f"status {status}"}]}


@contextmanager
def hostile_server(scenario: Scenario) -> Iterator[HostileServer]:
    """Serve ``scenario`` on a free loopback port until the block ends."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server = HostileServer(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _handler(server, scenario)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
