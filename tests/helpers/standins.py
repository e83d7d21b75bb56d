"""Loopback stand-ins for a corporate network: a CONNECT proxy and a TLS front with a private CA.

The proxy (:class:`ConnectProxy`) opens tunnels only to the hosts it was given, by name: a name
such as ``intercom.test`` resolves nowhere but in the proxy, so a client that does not go through
it cannot reach the host at all. The front (:class:`TlsFront`) terminates TLS with a certificate
from a private CA and forwards the bytes to a plain-HTTP server (the emulator); it can cut the
first handshakes, as a flaky middlebox does. Both run on one event loop in a daemon thread.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

#: The name only the proxy can resolve.
HOSTNAME = "intercom.test"


@dataclass
class Tunnel:
    """A CONNECT the proxy received: its target and the request's header lines."""

    target: str
    headers: list[str] = field(default_factory=list)


class Loop:
    """An event loop in a daemon thread, for servers that tests run alongside synchronous code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="stand-ins", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(10)

    def close(self) -> None:
        """Cancel what still runs (tunnels left open by a keep-alive client), then stop."""
        self.run(_cancel_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


async def _cancel_all() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


async def _splice(
    a: tuple[asyncio.StreamReader, asyncio.StreamWriter], b: tuple[asyncio.StreamReader, asyncio.StreamWriter]
) -> None:
    await asyncio.gather(_pipe(a[0], b[1]), _pipe(b[0], a[1]))


class TlsFront:
    """Terminates TLS on a loopback port and forwards to ``target``; cuts the first ``cut`` handshakes.

    :param loop: where it runs.
    :param target: ``(host, port)`` of the plain-HTTP server behind it.
    :param context: the server-side TLS context.
    """

    def __init__(self, loop: Loop, target: tuple[str, int], context: ssl.SSLContext) -> None:
        self.target, self.context = target, context
        self.cut = 0
        self.handshakes_cut = 0
        self._server: asyncio.Server = loop.run(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port: int = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut > 0:
            self.cut -= 1
            self.handshakes_cut += 1
            await reader.read(4096)  # the ClientHello, then hang up: EOF in the middle of the handshake
            writer.close()
            return
        try:
            await writer.start_tls(self.context)
        except (ConnectionError, ssl.SSLError):  # a client that rejected our certificate
            writer.close()
            return
        await _splice((reader, writer), await asyncio.open_connection(*self.target))


class ConnectProxy:
    """An HTTP proxy that only opens CONNECT tunnels, to the names in ``routes``.

    :param loop: where it runs.
    :param routes: ``"host:port"`` as the client names it, to the ``(host, port)`` to connect to.
    """

    def __init__(self, loop: Loop, routes: dict[str, tuple[str, int]]) -> None:
        self.routes = routes
        self.tunnels: list[Tunnel] = []
        self._server: asyncio.Server = loop.run(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, target, _ = head[0].split(" ", 2)
        self.tunnels.append(Tunnel(target, [line for line in head[1:] if line]))
        if method != "CONNECT" or target not in self.routes:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        upstream = await asyncio.open_connection(*self.routes[target])
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await _splice((reader, writer), upstream)


@dataclass
class Network:
    """The stand-ins of one test: ``https://intercom.test`` reachable through ``proxy`` only.

    :param proxy: the proxy to put in ``HTTPS_PROXY``.
    :param front: the TLS front the proxy tunnels ``intercom.test:443`` to.
    :param ca_bundle: the private CA's certificate (PEM), for ``REQUESTS_CA_BUNDLE``.
    """

    proxy: ConnectProxy
    front: TlsFront
    ca_bundle: Path
    url: str = f"https://{HOSTNAME}"


def private_ca(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a certificate for ``intercom.test`` and 127.0.0.1, and its CA's bundle."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOSTNAME, "127.0.0.1").configure_cert(context)
    bundle = folder / "private-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return context, bundle


def network(loop: Loop, target: tuple[str, int], folder: Path) -> Network:
    """Start a TLS front to ``target`` and a proxy that reaches it as ``intercom.test:443``."""
    context, bundle = private_ca(folder)
    front = TlsFront(loop, target, context)
    proxy = ConnectProxy(loop, {f"{HOSTNAME}:443": ("127.0.0.1", front.port)})
    return Network(proxy, front, bundle)


_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


def corporate_environment(monkeypatch: Any, net: Network) -> None:
    """Set the environment of a worker behind ``net``: its proxy, its CA's bundle, nothing else.

    The test machine may have its own proxies, ``no_proxy`` (often for localhost) and bundles.
    """
    for name in _PROXY_VARIABLES + _BUNDLE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", net.proxy.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(net.ca_bundle))


@pytest.fixture
def corporate_network(intercom_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Network]:
    """``https://intercom.test``: the emulator behind a TLS front with a private CA, reachable only
    through a CONNECT proxy; the environment set as on a worker there (see :func:`corporate_environment`).
    """
    loop = Loop()
    net = network(loop, ("127.0.0.1", intercom_emulator.port), tmp_path)
    corporate_environment(monkeypatch, net)
    yield net
    loop.close()
