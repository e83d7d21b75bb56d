"""Behaviour of the Intercom emulator, exercised over real loopback HTTP."""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from airflow_provider_intercom.testing.emulator import (
    DEFAULT_TOKEN,
    IntercomEmulator,
    RecordedRequest,
    parse_rate_limit,
)

Conversation = dict[str, Any]


def _session(emu: IntercomEmulator) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {emu.token}"
    return session


@pytest.fixture
def emu() -> Iterator[IntercomEmulator]:
    with IntercomEmulator(conversations=30, seed=3) as emulator:
        yield emulator


@pytest.fixture
def client(emu: IntercomEmulator) -> Iterator[requests.Session]:
    with _session(emu) as session:
        yield session


@pytest.fixture(scope="module")
def search_emu() -> Iterator[IntercomEmulator]:
    """Read-only data for the search tests (never modified by them)."""
    with IntercomEmulator(conversations=200, seed=11) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def search_client(search_emu: IntercomEmulator) -> Iterator[requests.Session]:
    with _session(search_emu) as session:
        yield session


# ---------------------------------------------------------------- helpers, data, lifecycle


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


def test_start_stop_is_idempotent_and_closes_keepalive_connections() -> None:
    emu = IntercomEmulator(conversations=1).start()
    with pytest.raises(RuntimeError):
        emu.start()
    session = _session(emu)
    assert session.get(f"{emu.url}/me").status_code == 200  # leaves a keep-alive connection open
    url = emu.url
    emu.stop()
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/me", timeout=5)


# ---------------------------------------------------------------- auth, routing, errors


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {DEFAULT_TOKEN}", DEFAULT_TOKEN])
def test_requests_without_the_token_are_unauthorized(emu: IntercomEmulator, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.get(f"{emu.url}/conversations/1", headers=headers, timeout=10)
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error.list"
    assert body["errors"] == [{"code": "unauthorized", "message": "Access Token Invalid"}]
    assert "X-RateLimit-Limit" not in response.headers
    assert response.headers["X-Request-Id"] == body["request_id"]


def test_me(emu: IntercomEmulator, client: requests.Session) -> None:
    custom = IntercomEmulator(region="EU", app_id_code="abc123", app_name="Acme", admin_name="Jo", admin_id="42")
    with custom:
        body = _session(custom).get(f"{custom.url}/me").json()
    assert body["type"] == "admin"
    assert (body["id"], body["name"]) == ("42", "Jo")
    assert body["app"]["type"] == "app"
    assert (body["app"]["region"], body["app"]["id_code"], body["app"]["name"]) == ("EU", "abc123", "Acme")
    assert client.get(f"{emu.url}/me").json()["app"]["region"] == "US"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/conversations/999", 404, "not_found"),
        ("GET", "/conversations/abc", 404, "not_found"),
        ("GET", "/conversations/-1", 404, "not_found"),
        ("GET", "/contacts", 404, "not_found"),
        ("GET", "/conversations/1/parts", 404, "not_found"),
        ("DELETE", "/conversations/1", 405, "method_not_allowed"),
        ("POST", "/me", 405, "method_not_allowed"),
        ("GET", "/conversations/search", 405, "method_not_allowed"),
    ],
)
def test_unknown_paths_and_methods(
    emu: IntercomEmulator, client: requests.Session, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, f"{emu.url}{path}")
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] == "error.list"
    assert body["errors"][0]["code"] == code
    assert re.fullmatch(r"[0-9a-f-]{36}", body["request_id"])


# ---------------------------------------------------------------- GET and PUT


def test_get_returns_the_stored_conversation(emu: IntercomEmulator, client: requests.Session) -> None:
    response = client.get(f"{emu.url}/conversations/12", params={"display_as": "plaintext"})
    assert response.status_code == 200
    assert response.json() == emu.get("12")
    assert response.json()["id"] == "12"


def test_put_changes_only_the_given_fields(emu: IntercomEmulator, client: requests.Session) -> None:
    before = emu.get("5")
    started = int(time.time())
    response = client.put(f"{emu.url}/conversations/5", json={"read": not before["read"]})
    assert response.status_code == 200
    after = response.json()
    assert after == emu.get("5")
    assert after["read"] is (not before["read"])
    assert after["updated_at"] >= max(started, before["updated_at"])
    unchanged = {k: v for k, v in after.items() if k not in ("read", "updated_at")}
    assert unchanged == {k: v for k, v in before.items() if k not in ("read", "updated_at")}


def test_put_title_custom_attributes_and_company(emu: IntercomEmulator, client: requests.Session) -> None:
    before = emu.get("6")
    response = client.put(
        f"{emu.url}/conversations/6",
        json={"title": "Renamed", "custom_attributes": {"tier": "gold"}, "company_id": "6a1"},
    )
    assert response.status_code == 200
    after = emu.get("6")
    assert after["title"] == "Renamed"
    assert after["custom_attributes"] == {**before["custom_attributes"], "tier": "gold"}  # merged
    assert after["company"]["id"] == "6a1"
    assert after["read"] == before["read"]
    second = client.put(f"{emu.url}/conversations/6", json={"read": True}).json()
    assert second["updated_at"] >= after["updated_at"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"read": "true"}, "read"),
        ({"read": 1}, "read"),
        ({"title": 5}, "title"),
        ({"custom_attributes": ["a"]}, "custom_attributes"),
        ({"company_id": 12}, "company_id"),
        ({"state": "closed"}, "state"),
        ({"read": True, "admin_assignee_id": 1}, "admin_assignee_id"),
    ],
)
def test_put_rejects_bad_fields(
    emu: IntercomEmulator, client: requests.Session, payload: dict[str, Any], field: str
) -> None:
    before = emu.get("8")
    response = client.put(f"{emu.url}/conversations/8", json=payload)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == field
    assert error["code"] == "parameter_invalid"
    assert emu.get("8") == before


@pytest.mark.parametrize("data", ["read=true", "{not json", "[1, 2]", ""])
def test_put_rejects_non_object_bodies(emu: IntercomEmulator, client: requests.Session, data: str) -> None:
    response = client.put(f"{emu.url}/conversations/8", data=data, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parameter_invalid"


def test_put_unknown_conversation(emu: IntercomEmulator, client: requests.Session) -> None:
    response = client.put(f"{emu.url}/conversations/31", json={"read": True})
    assert response.status_code == 404
    assert response.json()["errors"] == [{"code": "not_found", "message": "Resource Not Found"}]


# ---------------------------------------------------------------- search


def _search_all(
    client: requests.Session, url: str, query: Any, per_page: int = 150
) -> tuple[list[str], list[dict[str, Any]]]:
    ids: list[str] = []
    bodies: list[dict[str, Any]] = []
    pagination: dict[str, Any] = {"per_page": per_page}
    while True:
        response = client.post(f"{url}/conversations/search", json={"query": query, "pagination": pagination})
        assert response.status_code == 200, response.text
        body = response.json()
        bodies.append(body)
        ids.extend(item["id"] for item in body["conversations"])
        following = body["pages"].get("next")
        if following is None:
            return ids, bodies
        pagination = {"per_page": per_page, "starting_after": following["starting_after"]}


def _median(values: list[int]) -> int:
    return sorted(values)[len(values) // 2]


def _cases(emu: IntercomEmulator) -> list[tuple[str, Any, Callable[[Conversation], bool]]]:
    data = [emu.get(i) for i in emu.conversation_ids()]
    mid = _median([c["created_at"] for c in data])
    contact = data[17]["contacts"]["contacts"][0]["id"]
    admin = data[3]["admin_assignee_id"]
    return [
        ("= string", {"field": "state", "operator": "=", "value": "open"}, lambda c: c["state"] == "open"),
        ("!= string", {"field": "state", "operator": "!=", "value": "open"}, lambda c: c["state"] != "open"),
        ("= bool", {"field": "read", "operator": "=", "value": False}, lambda c: c["read"] is False),
        ("= bool str", {"field": "open", "operator": "=", "value": "true"}, lambda c: c["open"] is True),
        ("!= bool str", {"field": "read", "operator": "!=", "value": "FALSE"}, lambda c: c["read"] is True),
        ("IN ids", {"field": "id", "operator": "IN", "value": ["3", 5, "150"]}, lambda c: c["id"] in {"3", "5", "150"}),
        (
            "NIN",
            {"field": "priority", "operator": "NIN", "value": ["none", "low"]},
            lambda c: c["priority"] not in ("none", "low"),
        ),
        (">= date str", {"field": "created_at", "operator": ">", "value": str(mid)}, lambda c: c["created_at"] >= mid),
        ("<= date", {"field": "created_at", "operator": "<", "value": mid}, lambda c: c["created_at"] <= mid),
        (
            "= int str",
            {"field": "admin_assignee_id", "operator": "=", "value": str(admin)},
            lambda c: c["admin_assignee_id"] == admin,
        ),
        ("~", {"field": "source.body", "operator": "~", "value": "log in"}, lambda c: "log in" in c["source"]["body"]),
        (
            "!~",
            {"field": "source.body", "operator": "!~", "value": "Refund"},
            lambda c: "Refund" not in c["source"]["body"],
        ),
        (
            "^",
            {"field": "source.author.email", "operator": "^", "value": "customer1"},
            lambda c: c["source"]["author"]["email"].startswith("customer1"),
        ),
        (
            "$",
            {"field": "source.author.email", "operator": "$", "value": "7@customer.example.com"},
            lambda c: c["source"]["author"]["email"].endswith("7@customer.example.com"),
        ),
        (
            "body word",
            {"field": "source.body", "operator": "=", "value": "invoice"},
            lambda c: "Invoice" in c["source"]["body"],
        ),
        (
            "contact_ids",
            {"field": "contact_ids", "operator": "=", "value": contact},
            lambda c: c["contacts"]["contacts"][0]["id"] == contact,
        ),
        (
            "tag_ids IN",
            {"field": "tag_ids", "operator": "IN", "value": ["84", "85"]},
            lambda c: bool({t["id"] for t in c["tags"]["tags"]} & {"84", "85"}),
        ),
        ("null", {"field": "snoozed_until", "operator": "!=", "value": None}, lambda c: c["snoozed_until"] is not None),
        ("title null", {"field": "title", "operator": "=", "value": None}, lambda c: c["title"] is None),
        (
            "AND",
            {
                "operator": "AND",
                "value": [
                    {"field": "read", "operator": "=", "value": False},
                    {"field": "state", "operator": "IN", "value": ["open", "snoozed"]},
                ],
            },
            lambda c: not c["read"] and c["state"] in ("open", "snoozed"),
        ),
        (
            "(a OR b) AND (c OR d)",
            {
                "operator": "AND",
                "value": [
                    {
                        "operator": "OR",
                        "value": [
                            {"field": "priority", "operator": "=", "value": "urgent"},
                            {"field": "priority", "operator": "=", "value": "high"},
                        ],
                    },
                    {
                        "operator": "OR",
                        "value": [
                            {"field": "source.type", "operator": "=", "value": "email"},
                            {"field": "updated_at", "operator": ">", "value": mid},
                        ],
                    },
                ],
            },
            lambda c: (
                c["priority"] in ("urgent", "high") and (c["source"]["type"] == "email" or c["updated_at"] >= mid)
            ),
        ),
    ]


def test_search_operators(search_emu: IntercomEmulator, search_client: requests.Session) -> None:
    data = [search_emu.get(i) for i in search_emu.conversation_ids()]
    for name, query, predicate in _cases(search_emu):
        expected = [c["id"] for c in data if predicate(c)]
        # Every case must be able to fail: it selects some conversations but not all of them.
        assert 0 < len(expected) < len(data), name
        ids, bodies = _search_all(search_client, search_emu.url, query, per_page=50)
        assert ids == expected, name
        assert bodies[0]["total_count"] == len(expected), name


def test_search_greater_and_lower_are_inclusive(search_emu: IntercomEmulator, search_client: requests.Session) -> None:
    target = search_emu.get("42")
    for operator in (">", "<"):
        query = {
            "operator": "AND",
            "value": [
                {"field": "id", "operator": "=", "value": "42"},
                {"field": "updated_at", "operator": operator, "value": target["updated_at"]},
            ],
        }
        assert _search_all(search_client, search_emu.url, query)[0] == ["42"]


def test_search_response_shape(search_emu: IntercomEmulator, search_client: requests.Session) -> None:
    query = {"field": "id", "operator": "NIN", "value": []}
    response = search_client.post(
        f"{search_emu.url}/conversations/search", json={"query": query, "pagination": {"per_page": 30}}
    )
    body = response.json()
    assert body["type"] == "conversation.list"
    assert body["total_count"] == 200
    assert body["pages"]["type"] == "pages"
    assert (body["pages"]["page"], body["pages"]["per_page"], body["pages"]["total_pages"]) == (1, 30, 7)
    assert body["pages"]["next"]["per_page"] == 30
    first = body["conversations"][0]
    assert "conversation_parts" not in first
    assert first == {k: v for k, v in search_emu.get("1").items() if k != "conversation_parts"}
    default = search_client.post(f"{search_emu.url}/conversations/search", json={"query": query}).json()
    assert len(default["conversations"]) == 20
    _, bodies = _search_all(search_client, search_emu.url, query, per_page=30)
    assert [b["pages"]["page"] for b in bodies] == [1, 2, 3, 4, 5, 6, 7]
    assert "next" not in bodies[-1]["pages"]
    assert len(bodies[-1]["conversations"]) == 20


NESTED_TOO_DEEP = {
    "operator": "AND",
    "value": [
        {
            "operator": "OR",
            "value": [{"operator": "AND", "value": [{"field": "read", "operator": "=", "value": True}]}],
        }
    ],
}


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "parameter_invalid", "query"),
        ({"query": {"field": "read", "operator": "<>", "value": True}}, "invalid_query", "query.operator"),
        ({"query": {"field": "colour", "operator": "=", "value": "x"}}, "invalid_field", "query.field"),
        ({"query": {"field": "state", "operator": "IN", "value": "open"}}, "invalid_query", "query.value"),
        ({"query": {"field": "read", "operator": "=", "value": "yes"}}, "invalid_query", "query.value"),
        ({"query": {"field": "created_at", "operator": ">", "value": "foobar"}}, "invalid_query", "query.value"),
        ({"query": {"field": "state", "operator": ">", "value": "a"}}, "invalid_query", "query.operator"),
        ({"query": {"field": "created_at", "operator": "~", "value": "1"}}, "invalid_query", "query.operator"),
        ({"query": {"field": "read", "operator": "="}}, "invalid_query", "query.value"),
        ({"query": {"operator": "XOR", "value": []}}, "invalid_query", "query.operator"),
        ({"query": {"operator": "AND", "value": []}}, "invalid_query", "query.value"),
        ({"query": NESTED_TOO_DEEP}, "invalid_query", "query.value[0].value[0]"),
        (
            {
                "query": {
                    "operator": "OR",
                    "value": [{"field": "id", "operator": "=", "value": str(i)} for i in range(16)],
                }
            },
            "invalid_query",
            "query.value",
        ),
        (
            {"query": {"field": "read", "operator": "=", "value": True}, "pagination": {"per_page": 151}},
            "parameter_invalid",
            "pagination.per_page",
        ),
        (
            {"query": {"field": "read", "operator": "=", "value": True}, "pagination": {"per_page": 0}},
            "parameter_invalid",
            "pagination.per_page",
        ),
        (
            {"query": {"field": "read", "operator": "=", "value": True}, "pagination": {"starting_after": "garbage"}},
            "parameter_invalid",
            "pagination.starting_after",
        ),
        ("not json", "parameter_invalid", "body"),
    ],
)
def test_invalid_searches(
    search_emu: IntercomEmulator, search_client: requests.Session, body: Any, code: str, field: str
) -> None:
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, str) else {"json": body}
    response = search_client.post(f"{search_emu.url}/conversations/search", **kwargs)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["field"]) == (code, field)


def test_two_levels_of_groups_and_fifteen_filters_are_allowed(
    search_emu: IntercomEmulator, search_client: requests.Session
) -> None:
    query = {
        "operator": "OR",
        "value": [
            {"operator": "AND", "value": [{"field": "id", "operator": "=", "value": str(i)}]} for i in range(1, 16)
        ],
    }
    assert _search_all(search_client, search_emu.url, query)[0] == [str(i) for i in range(1, 16)]


def test_paging_through_a_thousand_conversations() -> None:
    with IntercomEmulator(conversations=1000, seed=1) as emu, _session(emu) as client:
        ids, bodies = _search_all(client, emu.url, {"field": "id", "operator": "!=", "value": "0"})
        assert ids == emu.conversation_ids()
        assert len(bodies) == 7
        assert all(len(body["conversations"]) == 150 for body in bodies[:-1])


def test_marking_read_between_pages_neither_skips_nor_repeats() -> None:
    with IntercomEmulator(conversations=1000, seed=2) as emu, _session(emu) as client:
        unread = [i for i in emu.conversation_ids() if not emu.get(i)["read"]]
        assert len(unread) > 300  # several pages' worth
        query = {"field": "read", "operator": "=", "value": False}
        seen: list[str] = []
        pagination: dict[str, Any] = {"per_page": 150}
        while True:
            body = client.post(
                f"{emu.url}/conversations/search", json={"query": query, "pagination": pagination}
            ).json()
            page_ids = [item["id"] for item in body["conversations"]]
            seen.extend(page_ids)
            for conversation_id in page_ids:
                assert client.put(f"{emu.url}/conversations/{conversation_id}", json={"read": True}).ok
            following = body["pages"].get("next")
            if following is None:
                break
            pagination = {"per_page": 150, "starting_after": following["starting_after"]}
        assert seen == unread
        assert not any(emu.get(i)["read"] is False for i in emu.conversation_ids())


# ---------------------------------------------------------------- rate limits


def _at_window_start(window: int) -> None:
    # Start a burst just after a window opens, so the whole burst falls within one window.
    now = time.time()
    time.sleep(math.floor(now / window) * window + window - now + 0.02)


def test_fixed_window_rate_limit() -> None:
    with IntercomEmulator(conversations=3, rate_limit=5, window=1) as emu, _session(emu) as client:
        for _attempt in range(3):
            _at_window_start(1)
            burst_start = time.time()
            responses = [client.get(f"{emu.url}/conversations/1") for _ in range(5)]
            unauthorized = requests.get(f"{emu.url}/me", timeout=10)  # does not count
            responses.append(client.get(f"{emu.url}/me"))
            responses.append(client.get(f"{emu.url}/me"))  # 429s do not count either
            if len({r.headers["X-RateLimit-Reset"] for r in responses}) == 1:
                break
        else:
            pytest.fail("could not fit 7 requests into a 1 s window three times")
        assert unauthorized.status_code == 401
        assert [r.status_code for r in responses] == [200] * 5 + [429, 429]
        assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0", "0"]
        assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"5"}
        reset = int(responses[0].headers["X-RateLimit-Reset"])
        assert reset == math.floor(burst_start) + 1  # the end of the window the burst was in
        assert reset > burst_start
        error = responses[5].json()
        assert error["errors"][0]["code"] == "rate_limit_exceeded"
        assert responses[5].headers["X-Request-Id"] == error["request_id"]
        time.sleep(max(0.0, reset - time.time()) + 0.02)
        assert client.get(f"{emu.url}/me").status_code == 200


def test_reset_is_the_end_of_an_aligned_window() -> None:
    with IntercomEmulator(conversations=1, rate_limit=100, window=7) as emu, _session(emu) as client:
        before = time.time()
        response = client.get(f"{emu.url}/me")
        reset = int(response.headers["X-RateLimit-Reset"])
        assert reset % 7 == 0
        assert before < reset <= time.time() + 7
        assert response.headers["X-RateLimit-Limit"] == "100"


def test_set_rate_limit_and_errors_count(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.set_rate_limit(1000, 60)
    assert emu.rate_limit == (1000, 60)
    first = int(client.get(f"{emu.url}/conversations/999").headers["X-RateLimit-Remaining"])  # a 404 counts
    second = int(client.get(f"{emu.url}/me").headers["X-RateLimit-Remaining"])
    if second != first - 1:  # crossed into a new minute window between the two calls
        second = int(client.get(f"{emu.url}/me").headers["X-RateLimit-Remaining"])
        first = second + 1
    assert second == first - 1
    emu.set_rate_limit(0)
    assert client.get(f"{emu.url}/me").status_code == 429
    with pytest.raises(ValueError):
        emu.set_rate_limit(5, 0)


def test_plan_restricted_is_settable_at_runtime(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.plan_restricted = True
    response = client.get(f"{emu.url}/me")
    assert response.status_code == 403
    assert response.json()["errors"] == [{"code": "api_plan_restricted", "message": "Active subscription needed."}]
    assert "X-RateLimit-Remaining" in response.headers
    emu.plan_restricted = False
    assert client.get(f"{emu.url}/me").status_code == 200


# ---------------------------------------------------------------- faults


def test_reset_fault(emu: IntercomEmulator, client: requests.Session) -> None:
    fault = emu.inject("reset", path="/conversations/*")
    assert client.get(f"{emu.url}/me").status_code == 200
    with pytest.raises(requests.ConnectionError):
        client.put(f"{emu.url}/conversations/1", json={"read": True})
    assert fault.hits == 1
    assert client.get(f"{emu.url}/conversations/1").status_code == 200
    assert [r.path for r in emu.requests] == ["/me", "/conversations/1", "/conversations/1"]


def test_slow_fault_blocks_only_its_own_connection(emu: IntercomEmulator) -> None:
    emu.inject("slow", delay=3.0, path="/me")
    outcome: list[BaseException] = []

    def slow_call() -> None:
        try:
            _session(emu).get(f"{emu.url}/me", timeout=0.5)
        except requests.RequestException as error:
            outcome.append(error)

    thread = threading.Thread(target=slow_call)
    thread.start()
    deadline = time.monotonic() + 5
    while not emu.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    response = _session(emu).get(f"{emu.url}/conversations/2", timeout=5)
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
            _session(emu).get(f"{emu.url}/me", timeout=30)
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
        (502, "bad_gateway"),
        (503, "service_unavailable"),
        (504, "gateway_timeout"),
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


def test_rate_limit_storm(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.set_rate_limit(50, 10)
    fault = emu.inject("rate_limit", times=3)
    for _ in range(3):
        response = client.put(f"{emu.url}/conversations/1", json={"read": True})
        assert response.status_code == 429
        assert response.json()["errors"][0]["code"] == "rate_limit_exceeded"
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


def test_faults_apply_in_order_added(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.inject("status", status=500)
    emu.inject("status", status=503)
    assert [client.get(f"{emu.url}/me").status_code for _ in range(3)] == [500, 503, 200]
    with pytest.raises(ValueError):
        emu.inject("explode")  # type: ignore[arg-type]


# ---------------------------------------------------------------- request log, concurrency


def test_request_log(emu: IntercomEmulator, client: requests.Session) -> None:
    client.get(f"{emu.url}/conversations/1?display_as=plaintext&x=1&x=2")
    client.put(f"{emu.url}/conversations/2", json={"read": True}, headers={"Intercom-Version": "2.16"})
    client.put(f"{emu.url}/conversations/2", data="not json")
    emu.inject("status", status=500)
    client.post(f"{emu.url}/conversations/search", json={"query": {}})
    log = emu.requests
    assert [(r.method, r.path) for r in log] == [
        ("GET", "/conversations/1"),
        ("PUT", "/conversations/2"),
        ("PUT", "/conversations/2"),
        ("POST", "/conversations/search"),
    ]
    assert log[0].query == {"display_as": ["plaintext"], "x": ["1", "2"]}
    assert log[0].body is None
    assert log[1].body == {"read": True}
    assert log[1].headers["Intercom-Version"] == "2.16"
    assert log[1].headers["Authorization"] == f"Bearer {emu.token}"
    assert log[2].body == "not json"
    assert log[3].body == {"query": {}}
    assert isinstance(log[0], RecordedRequest)
    with pytest.raises(AttributeError):
        log[0].method = "POST"  # type: ignore[misc]
    emu.clear_requests()
    assert emu.requests == []


def test_latency_does_not_serialise_requests() -> None:
    with IntercomEmulator(conversations=6, latency=0.3) as emu:
        started = time.monotonic()
        single = _session(emu).get(f"{emu.url}/me")
        assert single.ok
        assert time.monotonic() - started >= 0.3

        def put(i: int) -> int:
            with _session(emu) as session:
                return session.put(f"{emu.url}/conversations/{i}", json={"read": True}).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(put, range(1, 7)))
        elapsed = time.monotonic() - started
        assert statuses == [200] * 6
        assert elapsed < 1.2  # serialised, it would take at least 1.8 s
        assert len(emu.requests) == 7


# ---------------------------------------------------------------- command line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1667/10s", (1667, 10)),
        ("50/1s", (50, 1)),
        ("50/s", (50, 1)),
        ("10000/m", (10000, 60)),
        ("100/2m", (100, 120)),
        ("167", (167, 10)),
    ],
)
def test_parse_rate_limit(text: str, expected: tuple[int, int]) -> None:
    assert parse_rate_limit(text) == expected


def test_cli_serves_until_sigint() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_intercom.testing.emulator",
            "--port",
            "0",
            "--conversations",
            "5",
            "--rate-limit",
            "50/1s",
            "--token",
            "cli-token",
            "--region",
            "AU",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = conn = None
        for _ in range(10):
            line = process.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            if url is None and found:
                url = found.group(0)
            if line.startswith("AIRFLOW_CONN_INTERCOM_DEFAULT="):
                conn = json.loads(line.split("=", 1)[1].strip().strip("'"))
                break
        assert url is not None
        assert conn is not None
        assert conn["host"] == url
        assert conn["password"] == "cli-token"
        response = requests.get(f"{url}/me", headers={"Authorization": "Bearer cli-token"}, timeout=10)
        assert response.json()["app"]["region"] == "AU"
        assert response.headers["X-RateLimit-Limit"] == "50"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
