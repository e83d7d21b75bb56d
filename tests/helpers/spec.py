"""Request bodies checked against Intercom's full 2.16 description: valid, and only documented fields.

The description's request schemas allow extra properties, so "valid" alone would let an
undocumented field through; :func:`request_problems` also requires every field sent to be one the
matching schema declares. Tests that use it skip, saying why, where ``../shared`` is absent.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.conftest import SPEC_DIR

SPEC_FILE = SPEC_DIR / "full" / "api-2.16.yaml"
_URI = "urn:intercom:api-2.16"


@functools.cache
def full_spec() -> dict[str, Any]:
    """The full 2.16 description, parsed once; skips the test where it is absent."""
    if not SPEC_FILE.is_file():
        pytest.skip(f"Intercom's API description is not at {SPEC_FILE} (../shared beside the clone): no contract check")
    import yaml

    loaded: dict[str, Any] = yaml.safe_load(SPEC_FILE.read_text())
    return loaded


@functools.cache
def _registry() -> Registry[Any]:
    return Registry().with_resource(_URI, Resource.from_contents(full_spec(), default_specification=DRAFT4))


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def request_problems(path: str, method: str, body: Any) -> list[str]:
    """What is wrong with ``body`` as the request body of an operation; empty when nothing is.

    :param path: the path as the description names it, e.g. ``/conversations/{conversation_id}/parts``.
    :param method: the HTTP method.
    :param body: the decoded JSON body (bytes are decoded first).
    """
    spec = full_spec()
    if isinstance(body, (bytes, str)):
        body = json.loads(body)
    operation = spec["paths"][path][method.lower()]
    registry = _registry()

    def errors(candidate: dict[str, Any]) -> list[str]:
        # A branch named by $ref is validated through the registry, so that its own refs resolve.
        validator = OAS30Validator(
            {"$ref": f"{_URI}{candidate['$ref']}"} if "$ref" in candidate else candidate,
            registry=registry,
            format_checker=oas30_format_checker,
        )
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]

    raw = operation["requestBody"]["content"]["application/json"]["schema"]
    top = _resolve(spec, raw)
    branches = top.get("oneOf") or top.get("anyOf") or [raw]
    valid = [_resolve(spec, b) for b in branches if not errors(b)]
    if not valid:
        return [f"matches no request schema of {method} {path}: {errors(branches[0])[:5]}"]
    documented = set().union(*(set(b.get("properties", {})) for b in valid))
    extra = sorted(set(body) - documented)
    return [f"undocumented fields {extra} for {method} {path}"] if extra else []
