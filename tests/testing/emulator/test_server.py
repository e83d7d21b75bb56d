"""HTTP plumbing: Date headers, framing errors, concurrency, many simultaneous connections."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.testing.emulator._support import session_for


def _assert_http_date(value: str) -> None:
    parsed = email.utils.parsedate_to_datetime(value)
    assert value.endswith(" GMT")
    assert abs(parsed.timestamp() - time.time()) < 60


def test_every_answer_has_a_date(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject("html", path="/html")
    emu.inject("malformed_json", path="/malformed")
    emu.inject("status", status=503, path="/status")
    emu.inject("rate_limit", path="/limited")
    responses = [
        client.get(f"{emu.url}/me"),
        client.get(f"{emu.url}/conversations/999"),
        requests.get(f"{emu.url}/me", timeout=10),
        client.get(f"{emu.url}/html"),
        client.get(f"{emu.url}/malformed"),
        client.get(f"{emu.url}/status"),
        client.get(f"{emu.url}/limited"),
        client.delete(f"{emu.url}/conversations/3"),
    ]
    assert [r.status_code for r in responses] == [200, 404, 401, 502, 200, 503, 429, 200]
    for response in responses:
        _assert_http_date(response.headers["Date"])


def test_unframable_request_is_answered_400_and_closed(emu: IntercomEmulator) -> None:
    with socket.create_connection(("127.0.0.1", emu.port), timeout=10) as raw:
        raw.sendall(b"PUT /conversations/1 HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in head
    assert b"Date: " in head
    assert b'"parameter_invalid"' in body


def test_latency_does_not_serialise_requests() -> None:
    with IntercomEmulator(conversations=6, latency=0.3) as emu:
        started = time.monotonic()
        single = session_for(emu).get(f"{emu.url}/me")
        assert single.ok
        assert time.monotonic() - started >= 0.3

        def put(i: int) -> int:
            with session_for(emu) as session:
                return session.put(f"{emu.url}/conversations/{i}", json={"read": True}).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(put, range(1, 7)))
        elapsed = time.monotonic() - started
        assert statuses == [200] * 6
        assert elapsed < 1.2  # serialised, it would take at least 1.8 s
        assert len(emu.requests) == 7


CONNECTIONS = 500


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str) -> int:
    writer.write(f"GET /me HTTP/1.1\r\nHost: emulator\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
    return status


async def _many_keepalive_connections(port: int, token: str) -> list[int]:
    streams = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(CONNECTIONS)))
    try:
        # Every connection is open before any is used, then each carries two requests in turn.
        statuses = await asyncio.gather(*(_exchange(r, w, token) for r, w in streams))
        statuses += await asyncio.gather(*(_exchange(r, w, token) for r, w in streams))
        return list(statuses)
    finally:
        for _, writer in streams:
            writer.close()


def test_five_hundred_concurrent_keepalive_connections() -> None:
    with IntercomEmulator(conversations=1, latency=0.2) as emu:
        started = time.monotonic()
        statuses = asyncio.run(asyncio.wait_for(_many_keepalive_connections(emu.port, emu.token), timeout=60))
        elapsed = time.monotonic() - started
        assert statuses == [200] * (2 * CONNECTIONS)
        assert len(emu.requests) == 2 * CONNECTIONS
        # 1,000 requests with 0.2 s latency: only concurrent handling of all connections is this fast.
        assert elapsed < 30
