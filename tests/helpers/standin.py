"""A loopback stand-in for what sits in front of Intercom when a Host is wrong: a web server that
answers an HTML 404 to every request but ``GET .../me``, and counts what it got.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PAGE = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><hr>nginx</body></html>\n"
_ME = b'{"type": "admin", "id": "1", "app": {"type": "app", "id_code": "abc123"}}'


class WrongPrefix(BaseHTTPRequestHandler):
    """HTML 404 for everything except ``GET /me`` under any prefix; ``requests`` lists ``(method, path)``."""

    requests: list[tuple[str, str]] = []
    _lock = threading.Lock()

    def _handle(self) -> None:
        with self._lock:
            type(self).requests.append((self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        found = self.command == "GET" and self.path.endswith("/me")
        body, content_type = (_ME, "application/json") if found else (_PAGE, "text/html")
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def wrong_prefix_server() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Serve :class:`WrongPrefix` on a free loopback port; yield its origin and its request log."""
    handler = type("Handler", (WrongPrefix,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests
    finally:
        server.shutdown()
        server.server_close()
