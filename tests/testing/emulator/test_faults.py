"""Injected faults: resets, slowness, broken bodies, error statuses, 429 storms, workspace 429s."""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.testing.emulator._support import session_for


def test_reset_fault(emu: IntercomEmulator, client: requests.Session) -> None:
    fault = emu.inject("reset", path="/conversations/*")
    assert client.get(f"{emu.url}/me").status_code == 200
    with pytest.raises(requests.ConnectionError):
        client.put(f"{emu.url}/conversations/1", json={"read": True})
    assert fault.hits == 1
    assert client.get(f"{emu.url}/conversations/1").status_code == 200
    assert [(r.path, r.status) for r in emu.requests] == [
        ("/me", 200),
        ("/conversations/1", None),
        ("/conversations/1", 200),
    ]


def test_slow_fault_blocks_only_its_own_connection(emu: IntercomEmulator) -> None:
    emu.inject("slow", delay=3.0, path="/me")
    outcome: list[BaseException] = []

    def slow_call() -> None:
        try:
            session_for(emu).get(f"{emu.url}/me", timeout=0.5)
        except requests.RequestException as error:
            outcome.append(error)

    thread = threading.Thread(target=slow_call)
    thread.start()
    deadline = time.monotonic() + 5
    while not emu.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    response = session_for(emu).get(f"{emu.url}/conversations/2", timeout=5)
    elapsed = time.monotonic() - started
    thread.join()
    assert response.status_code == 200
    assert elapsed < 0.5
    assert len(outcome) == 1
    assert isinstance(outcome[0], requests.ReadTimeout)


def test_slow_fault_then_normal_answer(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject("slow", delay=0.2)
    started = time.monotonic()
    response = client.put(f"{emu.url}/conversations/4", json={"read": True})
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 200
    assert emu.get("4")["read"] is True


def test_stop_interrupts_slow_faults() -> None:
    emu = IntercomEmulator(conversations=1).start()
    emu.inject("slow", delay=60)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            session_for(emu).get(f"{emu.url}/me", timeout=30)
        except requests.RequestException as error:
            errors.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    while not emu.requests:
        time.sleep(0.01)
    started = time.monotonic()
    emu.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5


def test_malformed_json_fault(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject("malformed_json", method="GET")
    response = client.get(f"{emu.url}/conversations/1")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    with pytest.raises(requests.JSONDecodeError):
        response.json()
    assert client.get(f"{emu.url}/conversations/1").json()["id"] == "1"


def test_html_fault(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject("html")
    emu.inject("html", status=503)
    first = client.get(f"{emu.url}/me")
    assert first.status_code == 502
    assert first.headers["Content-Type"] == "text/html"
    assert "<title>502 Bad Gateway</title>" in first.text
    second = client.get(f"{emu.url}/me")
    assert second.status_code == 503
    assert "503 Service Unavailable" in second.text
    assert client.get(f"{emu.url}/me").status_code == 200


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, "server_error"),
        (502, "server_error"),
        (503, "service_unavailable"),
        (504, "request_timeout"),
        (400, "parameter_invalid"),
    ],
)
def test_status_fault_codes(emu: IntercomEmulator, client: requests.Session, status: int, code: str) -> None:
    emu.inject("status", status=status, times=2)
    for _ in range(2):
        response = client.get(f"{emu.url}/conversations/1")
        assert response.status_code == status
        body = response.json()
        assert body["type"] == "error.list"
        assert body["errors"][0]["code"] == code
    assert client.get(f"{emu.url}/conversations/1").status_code == 200


def test_status_fault_overrides_and_matching(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject(
        "status",
        status=422,
        code="data_invalid",
        message="nope",
        field="title",
        method="put",
        path=re.compile(r"/conversations/\d+"),
    )
    assert client.get(f"{emu.url}/conversations/1").status_code == 200
    assert client.post(
        f"{emu.url}/conversations/search", json={"query": {"field": "id", "operator": "=", "value": "1"}}
    ).ok
    response = client.put(f"{emu.url}/conversations/1", json={"read": True})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"code": "data_invalid", "message": "nope", "field": "title"}]


def test_faults_need_no_token_and_do_not_count(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.set_rate_limit(2, 60)
    emu.inject("status", status=503, times=3)
    assert [requests.get(f"{emu.url}/me", timeout=10).status_code for _ in range(3)] == [503] * 3
    remaining = [client.get(f"{emu.url}/me").headers["X-RateLimit-Remaining"] for _ in range(2)]
    assert remaining in (["1", "0"], ["1", "1"])  # ["1", "1"]: a new minute began in between


def test_rate_limit_storm(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.set_rate_limit(50, 10)
    fault = emu.inject("rate_limit", times=3)
    for _ in range(3):
        response = client.put(f"{emu.url}/conversations/1", json={"read": True})
        assert response.status_code == 429
        assert response.json()["errors"] == [
            {"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 50 in 10_seconds"}
        ]
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.headers["X-RateLimit-Limit"] == "50"
        reset = int(response.headers["X-RateLimit-Reset"])
        assert reset % 10 == 0
        assert reset > time.time() - 1
    assert fault.hits == 3
    assert client.put(f"{emu.url}/conversations/1", json={"read": True}).status_code == 200

    emu.inject("rate_limit", times=None, reset_in=120)
    for _ in range(5):
        response = client.get(f"{emu.url}/me")
        assert response.status_code == 429
        assert int(response.headers["X-RateLimit-Reset"]) >= int(time.time()) + 100
    emu.clear_faults()
    assert client.get(f"{emu.url}/me").status_code == 200


def test_workspace_rate_limit_fault_comes_while_the_app_has_calls_left(
    emu: IntercomEmulator, client: requests.Session
) -> None:
    emu.set_rate_limit(100, 60)
    before = int(client.get(f"{emu.url}/me").headers["X-RateLimit-Remaining"])
    fault = emu.inject("workspace_rate_limit", times=2, path="/conversations/*")
    refused = [client.put(f"{emu.url}/conversations/1", json={"read": True}) for _ in range(2)]
    for response in refused:
        assert response.status_code == 429
        assert response.json()["errors"][0]["code"] == "rate_limit_exceeded"
        assert response.json()["errors"][0]["message"].startswith("Exceeded rate limit of ")
        # Nothing in the app's headers warned of it, and the refused calls did not use the app's window.
        assert int(response.headers["X-RateLimit-Remaining"]) in (before, 100)
        assert response.headers["X-RateLimit-Limit"] == "100"
    assert fault.hits == 2
    unauthorized = requests.get(f"{emu.url}/conversations/1", timeout=10)
    assert unauthorized.status_code == 401
    assert client.put(f"{emu.url}/conversations/1", json={"read": True}).status_code == 200


def test_faults_apply_in_order_added(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject("status", status=500)
    emu.inject("status", status=503)
    assert [client.get(f"{emu.url}/me").status_code for _ in range(3)] == [500, 503, 200]
    with pytest.raises(ValueError):
        emu.inject("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        emu.inject("status", times=0)
