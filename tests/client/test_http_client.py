"""The sync transport's failures that come after the request went out, over real loopback HTTP.

A proxy between the worker and Intercom can mangle an answer (a body that claims gzip but is not)
or send the client round in redirects. The request may have been applied by then: these are
network failures, retried like a broken connection, never "the request could not be built".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from airflow_provider_intercom.client import IntercomClient, IntercomConnectionError, RetryPolicy
from tests.helpers.fixtures import CONN_ID, Sleeps


class _Proxy(BaseHTTPRequestHandler):
    """Answers ``/gzip`` with a body that is not gzip, and ``/loop`` with a redirect to itself."""

    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", "/loop/me")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"this is not gzip"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[str]:
    _Proxy.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("prefix", ["/gzip", "/loop"])
def test_an_answer_mangled_on_the_way_back_is_a_retried_network_failure(proxy: str, prefix: str) -> None:
    sleeps = Sleeps()
    client = IntercomClient(
        "fake-token", base_url=proxy + prefix, conn_id=CONN_ID, retry_policy=RetryPolicy(max_retries=2), sleep=sleeps
    )
    with client, pytest.raises(IntercomConnectionError) as info:
        client.get_me()

    error = info.value
    assert (error.attempts, error.sent, error.permanent, len(sleeps)) == (3, True, False, 2)
    assert "broke before a response arrived" in str(error)
    assert "Could not build the request" not in str(error)
    assert "fake-token" not in str(error)
    assert _Proxy.hits >= 3
