"""POST /conversations/search: operators, nesting, paging, order and cursors, validation."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.testing.emulator._support import search_all, search_order, session_for

Conversation = dict[str, Any]
INVALID_CURSOR = "Invalid starting_after param. Please try again using a starting_after value from a paginated response"


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
        expected = search_order(search_emu, [c["id"] for c in data if predicate(c)])
        # Every case must be able to fail: it selects some conversations but not all of them.
        assert 0 < len(expected) < len(data), name
        ids, bodies = search_all(search_client, search_emu.url, query, per_page=50)
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
        assert search_all(search_client, search_emu.url, query)[0] == ["42"]


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
    oldest = search_order(search_emu)[0]
    assert first == {k: v for k, v in search_emu.get(oldest).items() if k != "conversation_parts"}
    default = search_client.post(f"{search_emu.url}/conversations/search", json={"query": query}).json()
    assert len(default["conversations"]) == facts.DEFAULT_SEARCH_PAGE_SIZE == 20
    _, bodies = search_all(search_client, search_emu.url, query, per_page=30)
    assert [b["pages"]["page"] for b in bodies] == [1, 2, 3, 4, 5, 6, 7]
    assert "next" not in bodies[-1]["pages"]
    assert len(bodies[-1]["conversations"]) == 20


def test_results_are_ordered_by_updated_at_then_id(
    search_emu: IntercomEmulator, search_client: requests.Session
) -> None:
    ids, _ = search_all(search_client, search_emu.url, {"field": "id", "operator": "!=", "value": "0"}, per_page=45)
    keys = [(search_emu.get(i)["updated_at"], int(i)) for i in ids]
    assert keys == sorted(keys)
    assert ids != sorted(ids, key=int)  # the order is not the id order


def test_cursor_is_opaque_base64_of_timestamp_ms_id_and_count(
    search_emu: IntercomEmulator, search_client: requests.Session
) -> None:
    body = search_client.post(
        f"{search_emu.url}/conversations/search",
        json={"query": {"field": "id", "operator": "!=", "value": "0"}, "pagination": {"per_page": 7}},
    ).json()
    last = body["conversations"][-1]
    decoded = json.loads(base64.b64decode(body["pages"]["next"]["starting_after"]))
    assert decoded == [last["updated_at"] * 1000, int(last["id"]), 7]


def test_ties_on_updated_at_are_broken_by_id() -> None:
    with IntercomEmulator(conversations=30, seed=4) as emu, session_for(emu) as client:
        for _attempt in range(5):
            # Both updated within one second share updated_at; the lower id must come first.
            first = client.put(f"{emu.url}/conversations/20", json={"read": True}).json()
            second = client.put(f"{emu.url}/conversations/3", json={"read": True}).json()
            if first["updated_at"] == second["updated_at"]:
                break
        else:
            pytest.fail("could not update two conversations within one second")
        query = {"field": "id", "operator": "IN", "value": ["20", "3"]}
        assert search_all(client, emu.url, query, per_page=1)[0] == ["3", "20"]


def test_an_update_between_pages_can_move_a_conversation_past_the_cursor() -> None:
    # Intercom promises no stability; the emulator shows one way it breaks down.
    with IntercomEmulator(conversations=40, seed=9) as emu, session_for(emu) as client:
        query = {"field": "id", "operator": "!=", "value": "0"}
        page = client.post(
            f"{emu.url}/conversations/search", json={"query": query, "pagination": {"per_page": 10}}
        ).json()
        seen = [item["id"] for item in page["conversations"]]
        assert client.put(f"{emu.url}/conversations/{seen[0]}", json={"title": "changed"}).ok
        cursor = page["pages"]["next"]["starting_after"]
        rest, _ = search_all(client, emu.url, query, per_page=10, starting_after=cursor)
        assert rest[-1] == seen[0]  # served again, last: its updated_at is now the newest
        assert sorted(seen + rest[:-1], key=int) == emu.conversation_ids()


NESTED_TOO_DEEP = {
    "operator": "AND",
    "value": [
        {
            "operator": "OR",
            "value": [{"operator": "AND", "value": [{"field": "read", "operator": "=", "value": True}]}],
        }
    ],
}
READ = {"field": "read", "operator": "=", "value": True}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "query"),
        ({"query": {"field": "read", "operator": "<>", "value": True}}, "query.operator"),
        ({"query": {"field": "read", "operator": ["="], "value": True}}, "query.operator"),
        ({"query": {"field": "colour", "operator": "=", "value": "x"}}, "query.field"),
        ({"query": {"field": "state", "operator": "IN", "value": "open"}}, "query.value"),
        ({"query": {"field": "read", "operator": "=", "value": "yes"}}, "query.value"),
        ({"query": {"field": "created_at", "operator": ">", "value": "foobar"}}, "query.value"),
        ({"query": {"field": "state", "operator": ">", "value": "a"}}, "query.operator"),
        ({"query": {"field": "created_at", "operator": "~", "value": "1"}}, "query.operator"),
        ({"query": {"field": "read", "operator": "="}}, "query.value"),
        ({"query": {"operator": "XOR", "value": []}}, "query.operator"),
        ({"query": {"operator": {"x": 1}, "value": []}}, "query.operator"),
        ({"query": {"operator": "AND", "value": []}}, "query.value"),
        ({"query": NESTED_TOO_DEEP}, "query.value[0].value[0]"),
        (
            {
                "query": {
                    "operator": "OR",
                    "value": [{"field": "id", "operator": "=", "value": str(i)} for i in range(16)],
                }
            },
            "query.value",
        ),
        ({"query": READ, "pagination": {"per_page": 151}}, "pagination.per_page"),
        ({"query": READ, "pagination": {"per_page": 0}}, "pagination.per_page"),
        ({"query": READ, "pagination": {"starting_after": 5}}, "pagination.starting_after"),
        ("not json", "body"),
    ],
)
def test_invalid_searches(search_emu: IntercomEmulator, search_client: requests.Session, body: Any, field: str) -> None:
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, str) else {"json": body}
    response = search_client.post(f"{search_emu.url}/conversations/search", **kwargs)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    # Only codes from Intercom's 2.16 description: no invented invalid_query / invalid_field.
    assert (error["code"], error["field"]) == ("parameter_invalid", field)


def _b64(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor", ["garbage", "", _b64([1, 2]), _b64(["a", 1, 2]), _b64([1, -2, 3]), _b64({"id": 1}), _b64([True, 1, 2])]
)
def test_forged_cursor_answers_like_the_description(
    search_emu: IntercomEmulator, search_client: requests.Session, cursor: str
) -> None:
    response = search_client.post(
        f"{search_emu.url}/conversations/search",
        json={"query": READ, "pagination": {"per_page": 5, "starting_after": cursor or "=="}},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "client_error", "message": INVALID_CURSOR}]


def test_two_levels_of_groups_and_fifteen_filters_are_allowed(
    search_emu: IntercomEmulator, search_client: requests.Session
) -> None:
    query = {
        "operator": "OR",
        "value": [
            {"operator": "AND", "value": [{"field": "id", "operator": "=", "value": str(i)}]} for i in range(1, 16)
        ],
    }
    ids = search_all(search_client, search_emu.url, query)[0]
    assert ids == search_order(search_emu, [str(i) for i in range(1, 16)])


def test_paging_through_a_thousand_conversations() -> None:
    with IntercomEmulator(conversations=1000, seed=1) as emu, session_for(emu) as client:
        ids, bodies = search_all(client, emu.url, {"field": "id", "operator": "!=", "value": "0"})
        assert ids == search_order(emu)
        assert len(bodies) == 7
        assert all(len(body["conversations"]) == facts.MAX_SEARCH_PAGE_SIZE for body in bodies[:-1])


def test_marking_read_between_pages_of_an_unread_search() -> None:
    with IntercomEmulator(conversations=1000, seed=2) as emu, session_for(emu) as client:
        unread = search_order(emu, [i for i in emu.conversation_ids() if not emu.get(i)["read"]])
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
        # Marked read, they leave the filter; the rest keep their place after the cursor.
        assert seen == unread
        assert not any(emu.get(i)["read"] is False for i in emu.conversation_ids())
