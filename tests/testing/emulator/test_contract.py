"""Every kind of answer the emulator gives must match Intercom's full OpenAPI description (2.16).

The checker is :mod:`._contract` (the ``contract`` fixture);
:func:`test_nullable_rewrite_allows_null_and_still_checks_types` proves its rewrite of the
description's ``nullable`` fields. The path parameter ``conversation_id`` is declared an
integer while ids come back as JSON strings: both are checked as declared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.testing.emulator._contract import ERROR, Contract

ONE = "/conversations/{conversation_id}"
SEARCH = "/conversations/search"


@pytest.fixture(scope="module")
def emulator() -> Iterator[IntercomEmulator]:
    with IntercomEmulator(conversations=60, seed=7, apps={"second-app": 1667}) as emu:
        yield emu


@pytest.fixture
def session(emulator: IntercomEmulator) -> Iterator[requests.Session]:
    emulator.plan_restricted = False
    emulator.clear_faults()
    emulator.set_rate_limit(1667, 10)
    emulator.set_workspace_rate_limit(None)
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {emulator.token}"
        yield s


# ---------------------------------------------------------------- the validator and the facts


def _put_example(spec: dict[str, Any]) -> dict[str, Any]:
    put = spec["paths"][ONE]["put"]
    example: dict[str, Any] = put["responses"]["200"]["content"]["application/json"]["examples"]["conversation found"]
    return example["value"]


def test_nullable_rewrite_allows_null_and_still_checks_types(full_spec: dict[str, Any], contract: Contract) -> None:
    part = json.loads(json.dumps(_put_example(full_spec)["conversation_parts"]["conversation_parts"][0]))
    part["assigned_to"] = None
    strict = Contract(full_spec)
    assert strict.errors("#/components/schemas/conversation_part", part), "OAS 3.0 should reject null here"
    assert contract.errors("#/components/schemas/conversation_part", part) == []
    part["assigned_to"] = "not an object"
    assert contract.errors("#/components/schemas/conversation_part", part)
    part["assigned_to"] = {"type": "admin", "id": 5}
    assert contract.errors("#/components/schemas/conversation_part", part), "reference.id must be a string"


def test_spec_example_conversation_passes(spec_dir: Path, contract: Contract) -> None:
    example = json.loads((spec_dir / "conversation_example.json").read_text(encoding="utf-8"))
    assert contract.errors("#/components/schemas/conversation", example) == []
    example["read"] = "yes"
    assert any("read" in problem for problem in contract.errors("#/components/schemas/conversation", example))
    example["read"] = True
    example["state"] = "pending"
    assert contract.errors("#/components/schemas/conversation", example)


def test_spec_error_examples_pass(spec_dir: Path, contract: Contract) -> None:
    examples = json.loads((spec_dir / "error_examples.json").read_text(encoding="utf-8"))
    bodies = [value for key, value in examples.items() if not key.startswith("_")]
    assert bodies
    for body in bodies:
        assert contract.errors(ERROR, body) == []
    assert contract.errors(ERROR, {"type": "error.list", "errors": [{"message": "x"}]})


def test_versions_are_the_descriptions(full_spec: dict[str, Any]) -> None:
    enum = full_spec["components"]["schemas"]["intercom_version"]["enum"]
    # Plus the unstable version's names: Preview since 2026-04-11, Unstable before.
    assert (*enum, "Preview", "Unstable") == facts.API_VERSIONS


def test_ids_are_strings_though_the_path_parameter_is_an_integer(
    full_spec: dict[str, Any], contract: Contract, emulator: IntercomEmulator, session: requests.Session
) -> None:
    for method in ("get", "put", "delete"):
        [parameter] = [p for p in full_spec["paths"][ONE][method]["parameters"] if p["name"] == "conversation_id"]
        assert parameter["schema"] == {"type": "integer"}
    conversation_id = emulator.conversation_ids()[0]
    assert int(conversation_id) > 0  # what the client puts in the path is an integer
    body = contract.check(ONE, session.get(f"{emulator.url}/conversations/{conversation_id}"))
    assert body["id"] == conversation_id  # what comes back is a string, as the schema says


def test_search_requests_the_tests_send_are_valid(contract: Contract) -> None:
    good = {"query": {"field": "read", "operator": "=", "value": False}, "pagination": {"per_page": 150}}
    assert contract.errors("#/components/schemas/search_request", good) == []
    assert contract.errors("#/components/schemas/search_request", {"pagination": {"per_page": 5}})


# ---------------------------------------------------------------- 2xx of every endpoint


def test_me(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    body = contract.check("/me", session.get(f"{emulator.url}/me"))
    assert body["type"] == "admin"
    assert body["app"]["region"] == "US"


@pytest.mark.parametrize("display_as", [None, "plaintext"])
def test_every_seeded_conversation_conforms(
    emulator: IntercomEmulator, session: requests.Session, contract: Contract, display_as: str | None
) -> None:
    states = set()
    for conversation_id in emulator.conversation_ids():
        response = session.get(f"{emulator.url}/conversations/{conversation_id}", params={"display_as": display_as})
        assert response.status_code == 200
        states.add(contract.check(ONE, response)["state"])
    assert states == {"open", "closed", "snoozed"}


def test_update_conforms(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    url = f"{emulator.url}/conversations/3"
    response = session.put(
        url,
        json={"read": True, "title": "new title", "custom_attributes": {"issue_type": "Billing"}, "company_id": "c1"},
    )
    assert response.status_code == 200
    body = contract.check(ONE, response)
    assert body["read"] is True
    assert body["company"]["id"] == "c1"
    removed = session.put(url, params={"display_as": "plaintext"}, json={"company_id": None})
    assert removed.status_code == 200
    assert contract.check(ONE, removed).get("company") is None


def test_search_pages_conform(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    request: dict[str, Any] = {
        "query": {"operator": "AND", "value": [{"field": "created_at", "operator": ">", "value": "1306054154"}]},
        "pagination": {"per_page": 25},
    }
    seen: list[str] = []
    while True:
        response = session.post(f"{emulator.url}{SEARCH}", json=request)
        assert response.status_code == 200
        body = contract.check(SEARCH, response)
        seen.extend(item["id"] for item in body["conversations"])
        following = body["pages"].get("next")
        if following is None:
            break
        request["pagination"]["starting_after"] = following["starting_after"]
    assert sorted(seen, key=int) == emulator.conversation_ids()


def test_delete_conforms(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    response = session.delete(f"{emulator.url}/conversations/60")
    assert response.status_code == 200
    assert contract.response_ref(ONE, "DELETE", 200) == "#/components/schemas/conversation_deleted"
    assert contract.check(ONE, response) == {"id": "60", "object": "conversation", "deleted": True}
    assert contract.check(ONE, session.delete(f"{emulator.url}/conversations/60"))["errors"][0]["code"] == "not_found"


# ---------------------------------------------------------------- 4xx


@pytest.mark.parametrize(
    ("method", "path", "spec_path"),
    [
        ("GET", "/me", "/me"),
        ("GET", "/conversations/1", ONE),
        ("PUT", "/conversations/1", ONE),
        ("DELETE", "/conversations/1", ONE),
        ("POST", SEARCH, SEARCH),
    ],
)
def test_unauthorized(emulator: IntercomEmulator, contract: Contract, method: str, path: str, spec_path: str) -> None:
    response = requests.request(
        method, f"{emulator.url}{path}", json={}, headers={"Authorization": "Bearer wrong"}, timeout=10
    )
    assert response.status_code == 401
    assert contract.check(spec_path, response)["errors"][0]["code"] == "unauthorized"
    assert "X-RateLimit-Limit" not in response.headers


READ_TRUE = {"query": {"field": "read", "operator": "=", "value": True}}
FORGED_CURSOR = {**READ_TRUE, "pagination": {"starting_after": "x"}}


def _case(
    method: str, path: str, spec_path: str, status: int, code: str, *, restricted: bool = False, **kwargs: Any
) -> Any:
    return pytest.param(method, path, spec_path, status, code, restricted, kwargs, id=f"{status}-{method}-{path}")


@pytest.mark.parametrize(
    ("method", "path", "spec_path", "status", "code", "restricted", "kwargs"),
    [
        *(
            _case(method, path, spec, 403, "api_plan_restricted", restricted=True, json=body)
            for method, path, spec, body in [
                ("GET", "/me", "/me", None),
                ("GET", "/conversations/2", ONE, None),
                ("PUT", "/conversations/2", ONE, {"read": True}),
                ("DELETE", "/conversations/2", ONE, None),
                ("POST", SEARCH, SEARCH, READ_TRUE),
            ]
        ),
        *(
            _case(method, "/conversations/999999", ONE, 404, "not_found", json={"read": True})
            for method in ("GET", "PUT", "DELETE")
        ),
        _case("PUT", "/conversations/1", ONE, 400, "parameter_invalid", data="read=true"),
        _case("PUT", "/conversations/1", ONE, 400, "parameter_invalid", json={"read": "yes"}),
        _case("DELETE", "/conversations/1?retain_metrics=x", ONE, 400, "parameter_invalid"),
        _case("POST", SEARCH, SEARCH, 400, "parameter_invalid", json={"query": {"field": "read", "operator": "<>"}}),
        _case("POST", SEARCH, SEARCH, 400, "client_error", json=FORGED_CURSOR),
        _case("GET", "/me", "/me", 400, "intercom_version_invalid", headers={"Intercom-Version": "9.9"}),
        _case("GET", "/conversations/1", ONE, 400, "intercom_version_invalid", headers={"Intercom-Version": "2.17"}),
        _case("POST", "/me", "/me", 404, "not_found"),
    ],
)
def test_error_answers(
    emulator: IntercomEmulator,
    session: requests.Session,
    contract: Contract,
    method: str,
    path: str,
    spec_path: str,
    status: int,
    code: str,
    restricted: bool,
    kwargs: dict[str, Any],
) -> None:
    emulator.plan_restricted = restricted
    response = session.request(method, f"{emulator.url}{path}", **kwargs)
    assert response.status_code == status
    assert contract.check(spec_path, response)["errors"][0]["code"] == code


def test_rate_limited(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    emulator.set_rate_limit(0, 10)
    response = session.post(f"{emulator.url}{SEARCH}", json={"query": {}})
    assert response.status_code == 429
    assert contract.check(SEARCH, response)["errors"][0]["code"] == "rate_limit_exceeded"
    emulator.set_rate_limit(1667, 10)
    emulator.inject("rate_limit")
    response = session.get(f"{emulator.url}/me")
    assert response.status_code == 429
    contract.check("/me", response)
    emulator.inject("workspace_rate_limit")
    response = session.put(f"{emulator.url}/conversations/4", json={"read": True})
    assert response.status_code == 429
    contract.check(ONE, response)
    emulator.set_workspace_rate_limit(0)
    response = requests.get(f"{emulator.url}/me", headers={"Authorization": "Bearer second-app"}, timeout=10)
    assert response.status_code == 429
    contract.check("/me", response)


# ---------------------------------------------------------------- 5xx from fault injection


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors(emulator: IntercomEmulator, session: requests.Session, contract: Contract, status: int) -> None:
    emulator.inject("status", status=status)
    response = session.get(f"{emulator.url}/conversations/5")
    assert response.status_code == status
    contract.check(ONE, response)
