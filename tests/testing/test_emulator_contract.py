"""Every response the emulator gives must match Intercom's own OpenAPI description (API 2.16).

The spec is read from ``../shared/intercom`` beside the checkout (or ``$INTERCOM_SPEC_DIR``); it is
never copied into the project. OAS 3.0 ignores ``nullable: true`` next to ``$ref``, yet Intercom
sends ``null`` for such fields (its own example does), so a copy of the spec is rewritten to make
those fields nullable; :func:`test_nullable_rewrite_allows_null_and_still_checks_types` proves the
rewrite does exactly that.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from airflow_provider_intercom.testing.emulator import IntercomEmulator

SPEC_URI = "urn:intercom:api-2.16-subset"
SPEC_FILE = "intercom-openapi-subset.yaml"


def _spec_dir() -> Path:
    configured = os.environ.get("INTERCOM_SPEC_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / ".." / "shared" / "intercom"


def _make_ref_nullable(node: Any) -> Any:
    if isinstance(node, dict):
        rewritten = {key: _make_ref_nullable(value) for key, value in node.items()}
        if "$ref" in rewritten and rewritten.get("nullable") is True:
            # OAS 3.0 validators ignore siblings of $ref; say "the referenced schema, or null".
            return {"anyOf": [{"$ref": rewritten["$ref"]}, {"enum": [None]}]}
        return rewritten
    if isinstance(node, list):
        return [_make_ref_nullable(item) for item in node]
    return node


class Contract:
    """Validators for the responses of the spec's operations."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)

    def validator(self, ref: str) -> Any:
        return OAS30Validator({"$ref": f"{SPEC_URI}{ref}"}, registry=self.registry, format_checker=oas30_format_checker)

    def errors(self, ref: str, instance: Any) -> list[str]:
        return [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in self.validator(ref).iter_errors(instance)
        ]

    def response_ref(self, path: str, method: str, status: int) -> str:
        responses = self.spec["paths"][path][method.lower()]["responses"]
        declared = responses.get(str(status))
        if declared is None:
            # Statuses the spec leaves out for this operation (400, 429, ...) are still error lists.
            return "#/components/schemas/error"
        ref: str = declared["content"]["application/json"]["schema"]["$ref"]
        return ref

    def check(self, path: str, response: requests.Response) -> Any:
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        ref = self.response_ref(path, response.request.method or "GET", response.status_code)
        problems = self.errors(ref, body)
        assert not problems, f"{response.request.method} {path} -> {response.status_code}: {problems[:10]}"
        return body


@pytest.fixture(scope="module")
def spec_dir() -> Path:
    directory = _spec_dir()
    if not (directory / SPEC_FILE).is_file():
        pytest.skip(
            f"{directory}: ../shared/intercom not found: contract tests need Intercom's OpenAPI subset "
            "beside the checkout"
        )
    return directory


@pytest.fixture(scope="module")
def raw_spec(spec_dir: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: dict[str, Any] = yaml.load((spec_dir / SPEC_FILE).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    return spec


@pytest.fixture(scope="module")
def contract(raw_spec: dict[str, Any]) -> Contract:
    return Contract(_make_ref_nullable(copy.deepcopy(raw_spec)))


@pytest.fixture(scope="module")
def emulator() -> Iterator[IntercomEmulator]:
    with IntercomEmulator(conversations=60, seed=7) as emu:
        yield emu


@pytest.fixture
def session(emulator: IntercomEmulator) -> Iterator[requests.Session]:
    emulator.plan_restricted = False
    emulator.clear_faults()
    emulator.set_rate_limit(1667, 10)
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {emulator.token}"
        yield s


# ---------------------------------------------------------------- the validator itself


def test_nullable_rewrite_allows_null_and_still_checks_types(raw_spec: dict[str, Any], contract: Contract) -> None:
    part = json.loads(json.dumps(_spec_example_part(raw_spec)))
    part["assigned_to"] = None
    strict = Contract(raw_spec)
    assert strict.errors("#/components/schemas/conversation_part", part), "OAS 3.0 should reject null here"
    assert contract.errors("#/components/schemas/conversation_part", part) == []
    part["assigned_to"] = "not an object"
    assert contract.errors("#/components/schemas/conversation_part", part)
    part["assigned_to"] = {"type": "admin", "id": 5}
    assert contract.errors("#/components/schemas/conversation_part", part), "reference.id must be a string"


def _spec_example_part(raw_spec: dict[str, Any]) -> dict[str, Any]:
    put = raw_spec["paths"]["/conversations/{conversation_id}"]["put"]
    example = put["responses"]["200"]["content"]["application/json"]["examples"]["conversation found"]["value"]
    part: dict[str, Any] = example["conversation_parts"]["conversation_parts"][0]
    return part


def test_spec_example_conversation_passes(spec_dir: Path, contract: Contract) -> None:
    example = json.loads((spec_dir / "conversation_example.json").read_text(encoding="utf-8"))
    assert contract.errors("#/components/schemas/conversation", example) == []


def test_broken_conversation_fails(spec_dir: Path, contract: Contract) -> None:
    example = json.loads((spec_dir / "conversation_example.json").read_text(encoding="utf-8"))
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
        assert contract.errors("#/components/schemas/error", body) == []
    assert contract.errors("#/components/schemas/error", {"type": "error.list", "errors": [{"message": "x"}]})


# ---------------------------------------------------------------- successful responses


def test_me(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    body = contract.check("/me", session.get(f"{emulator.url}/me"))
    assert body["type"] == "admin"
    assert body["app"]["region"] == "US"


def test_every_seeded_conversation_conforms(
    emulator: IntercomEmulator, session: requests.Session, contract: Contract
) -> None:
    states = set()
    for conversation_id in emulator.conversation_ids():
        response = session.get(f"{emulator.url}/conversations/{conversation_id}", params={"display_as": "plaintext"})
        assert response.status_code == 200
        body = contract.check("/conversations/{conversation_id}", response)
        states.add(body["state"])
    assert states == {"open", "closed", "snoozed"}


def test_update_conforms(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    response = session.put(
        f"{emulator.url}/conversations/3",
        json={"read": True, "title": "new title", "custom_attributes": {"issue_type": "Billing"}, "company_id": "c1"},
    )
    assert response.status_code == 200
    body = contract.check("/conversations/{conversation_id}", response)
    assert body["read"] is True
    assert body["company"]["id"] == "c1"


def test_search_pages_conform(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    request: dict[str, Any] = {
        "query": {"operator": "AND", "value": [{"field": "created_at", "operator": ">", "value": "1306054154"}]},
        "pagination": {"per_page": 25},
    }
    seen: list[str] = []
    while True:
        response = session.post(f"{emulator.url}/conversations/search", json=request)
        assert response.status_code == 200
        body = contract.check("/conversations/search", response)
        seen.extend(item["id"] for item in body["conversations"])
        following = body["pages"].get("next")
        if following is None:
            break
        request["pagination"]["starting_after"] = following["starting_after"]
    assert seen == emulator.conversation_ids()


def test_search_request_examples_are_valid_requests(raw_spec: dict[str, Any], contract: Contract) -> None:
    # What the tests send is what the spec accepts (and a wrong request is caught).
    good = {"query": {"field": "read", "operator": "=", "value": False}, "pagination": {"per_page": 150}}
    assert contract.errors("#/components/schemas/search_request", good) == []
    assert contract.errors("#/components/schemas/search_request", {"pagination": {"per_page": 5}})


# ---------------------------------------------------------------- error responses


@pytest.mark.parametrize(
    ("method", "path", "spec_path"),
    [
        ("GET", "/me", "/me"),
        ("GET", "/conversations/1", "/conversations/{conversation_id}"),
        ("PUT", "/conversations/1", "/conversations/{conversation_id}"),
        ("POST", "/conversations/search", "/conversations/search"),
    ],
)
def test_unauthorized(emulator: IntercomEmulator, contract: Contract, method: str, path: str, spec_path: str) -> None:
    response = requests.request(
        method, f"{emulator.url}{path}", json={}, headers={"Authorization": "Bearer wrong"}, timeout=10
    )
    assert response.status_code == 401
    body = contract.check(spec_path, response)
    assert body["errors"][0]["code"] == "unauthorized"


def test_plan_restricted(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    emulator.plan_restricted = True
    for method, body in (("GET", None), ("PUT", {"read": True})):
        response = session.request(method, f"{emulator.url}/conversations/2", json=body)
        assert response.status_code == 403
        error = contract.check("/conversations/{conversation_id}", response)
        assert error["errors"][0] == {"code": "api_plan_restricted", "message": "Active subscription needed."}


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_not_found(emulator: IntercomEmulator, session: requests.Session, contract: Contract, method: str) -> None:
    response = session.request(method, f"{emulator.url}/conversations/999999", json={"read": True})
    assert response.status_code == 404
    assert contract.check("/conversations/{conversation_id}", response)["errors"][0]["code"] == "not_found"


def test_bad_requests(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    response = session.put(f"{emulator.url}/conversations/1", data="read=true")
    assert response.status_code == 400
    contract.check("/conversations/{conversation_id}", response)
    response = session.post(
        f"{emulator.url}/conversations/search", json={"query": {"field": "read", "operator": "<>", "value": 1}}
    )
    assert response.status_code == 400
    assert contract.check("/conversations/search", response)["errors"][0]["field"] == "query.operator"


def test_rate_limited(emulator: IntercomEmulator, session: requests.Session, contract: Contract) -> None:
    emulator.set_rate_limit(0, 10)
    response = session.post(f"{emulator.url}/conversations/search", json={"query": {}})
    assert response.status_code == 429
    assert contract.check("/conversations/search", response)["errors"][0]["code"] == "rate_limit_exceeded"
    emulator.inject("rate_limit")
    emulator.set_rate_limit(1667, 10)
    response = session.get(f"{emulator.url}/me")
    assert response.status_code == 429
    contract.check("/me", response)
