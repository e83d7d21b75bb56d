"""Small loopback HTTP servers for transport tests: one that answers as told, one that redirects."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve ``handler`` on a free loopback port (over TLS with ``tls``); yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def answer(handler: BaseHTTPRequestHandler, body: bytes, status: int = 200, **headers: str) -> None:
    """Answer ``status`` with ``body`` and a JSON content type, plus ``headers``."""
    handler.send_response(status)
    for name, value in {"Content-Type": "application/json", **headers, "Content-Length": str(len(body))}.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class Recorder(BaseHTTPRequestHandler):
    """Records every request (method and path) and answers it 200 ``{}``: the origin that must see nothing."""

    seen: list[str]

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append(f"{self.command} {self.path}")
        answer(self, b"{}")

    do_GET = do_PUT = do_POST = _any

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Redirector(Recorder):
    """Answers every request ``status`` with ``Location: {target}{path}?sig=...``, like a misconfigured gateway."""

    status = 307
    target = ""

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.seen.append(f"{self.command} {self.path}")
        answer(self, b"", self.status, Location=f"{self.target}{self.path}?sig=secret-signature")

    do_GET = do_PUT = do_POST = _any


@contextmanager
def redirect_to_another_origin(status: int = 307) -> Iterator[tuple[str, list[str], list[str]]]:
    """A server redirecting with ``status`` to another origin: yields its URL and the requests each saw."""
    origin = type("Origin", (Recorder,), {"seen": []})
    with serving(origin) as origin_url:
        redirector = type("Gateway", (Redirector,), {"seen": [], "target": origin_url, "status": status})
        with serving(redirector) as url:
            yield url, redirector.seen, origin.seen
