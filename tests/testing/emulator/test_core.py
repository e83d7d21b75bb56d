"""The emulator object: helpers, seeded data, lifecycle, the request log."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from airflow_provider_intercom.testing.emulator import DEFAULT_TOKEN, IntercomEmulator, RecordedRequest
from tests.testing.emulator._support import session_for


def test_url_token_and_helpers(emu: IntercomEmulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emu.url)
    assert emu.token == DEFAULT_TOKEN
    ids = emu.conversation_ids()
    assert ids == [str(n) for n in range(1, 31)]  # numeric order: "10" comes after "9"
    copy_of_7 = emu.get("7")
    copy_of_7["custom_attributes"]["issue_type"] = "changed"
    assert emu.get(7)["custom_attributes"]["issue_type"] != "changed"
    with pytest.raises(KeyError):
        emu.get("31")
    conn = json.loads(emu.airflow_conn_json(timeout=5))
    assert conn == {"conn_type": "intercom", "host": emu.url, "password": emu.token, "extra": {"timeout": 5}}


def test_seeded_data_is_deterministic_and_consistent() -> None:
    first = IntercomEmulator(conversations=120, seed=5)
    again = IntercomEmulator(conversations=120, seed=5)
    other = IntercomEmulator(conversations=120, seed=6)
    conversations = [first.get(i) for i in first.conversation_ids()]
    assert conversations == [again.get(i) for i in again.conversation_ids()]
    assert conversations != [other.get(i) for i in other.conversation_ids()]
    assert {c["state"] for c in conversations} == {"open", "closed", "snoozed"}
    assert {c["read"] for c in conversations} == {True, False}
    now = time.time()
    for c in conversations:
        assert c["open"] is (c["state"] != "closed")
        assert (c["snoozed_until"] is not None) is (c["state"] == "snoozed")
        assert c["created_at"] <= c["updated_at"] < now
        assert c["conversation_parts"]["total_count"] == len(c["conversation_parts"]["conversation_parts"]) >= 2


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        IntercomEmulator(conversations=-1)
    with pytest.raises(ValueError):
        IntercomEmulator(default_version="3.0")
    with pytest.raises(ValueError):
        IntercomEmulator(rate_limit=-1)
    with pytest.raises(ValueError):
        IntercomEmulator(window=0)


def test_start_stop_is_idempotent_and_closes_keepalive_connections() -> None:
    emu = IntercomEmulator(conversations=1).start()
    with pytest.raises(RuntimeError):
        emu.start()
    session = session_for(emu)
    assert session.get(f"{emu.url}/me").status_code == 200  # leaves a keep-alive connection open
    assert emu.open_connections == 1
    url = emu.url
    emu.stop()
    emu.stop()
    with pytest.raises(RuntimeError):
        _ = emu.port
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/me", timeout=5)


def test_request_log(emu: IntercomEmulator, client: requests.Session) -> None:
    started_wall, started_monotonic = time.time(), time.monotonic()
    client.get(f"{emu.url}/conversations/1?display_as=plaintext&x=1&x=2")
    client.put(f"{emu.url}/conversations/2", json={"read": True}, headers={"Intercom-Version": "2.15"})
    client.put(f"{emu.url}/conversations/2", data="not json")
    emu.inject("status", status=500)
    client.post(f"{emu.url}/conversations/search", json={"query": {}})
    log = emu.requests
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/conversations/1", 200),
        ("PUT", "/conversations/2", 200),
        ("PUT", "/conversations/2", 400),
        ("POST", "/conversations/search", 500),
    ]
    assert log[0].query == {"display_as": ["plaintext"], "x": ["1", "2"]}
    assert log[0].body is None
    assert log[1].body == {"read": True}
    assert log[1].headers["Intercom-Version"] == "2.15"
    assert log[1].headers["Authorization"] == f"Bearer {emu.token}"
    assert [r.api_version for r in log] == ["2.16", "2.15", "2.16", "2.16"]
    assert log[2].body == "not json"
    assert log[3].body == {"query": {}}
    assert started_wall <= log[0].received_at <= log[1].received_at <= time.time()
    assert started_monotonic <= log[0].received_monotonic <= log[3].received_monotonic <= time.monotonic()
    assert isinstance(log[0], RecordedRequest)
    assert emu.token not in repr(log[1])
    with pytest.raises(AttributeError):
        log[0].method = "POST"  # type: ignore[misc]
    emu.clear_requests()
    assert emu.requests == []


def test_default_version_is_settable(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.default_version = "2.11"
    client.get(f"{emu.url}/me")
    assert emu.requests[-1].api_version == "2.11"
    with pytest.raises(ValueError):
        emu.default_version = "2.99"


def test_without_recording_requests_are_served_and_none_is_kept() -> None:
    with IntercomEmulator(conversations=3, record_requests=False) as emu:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {emu.token}"
        assert session.put(f"{emu.url}/conversations/2", json={"read": True}).status_code == 200
        assert emu.get(2)["read"] is True
        assert emu.requests == []
