"""The contract checker: validates the emulator's answers against Intercom's full 2.16 description.

OAS 3.0 ignores ``nullable: true`` next to ``$ref``, yet Intercom sends ``null`` for such fields
(its own example does), so a copy of the description is rewritten to make those fields nullable;
``test_nullable_rewrite_allows_null_and_still_checks_types`` proves the rewrite does exactly that.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_URI = "urn:intercom:api-2.16"
ERROR = "#/components/schemas/error"


def make_ref_nullable(node: Any) -> Any:
    """A copy of (part of) the description in which ``nullable: true`` beside ``$ref`` allows ``null``."""
    if isinstance(node, dict):
        rewritten = {key: make_ref_nullable(value) for key, value in node.items()}
        if "$ref" in rewritten and rewritten.get("nullable") is True:
            # OAS 3.0 validators ignore siblings of $ref; say "the referenced schema, or null".
            return {"anyOf": [{"$ref": rewritten["$ref"]}, {"enum": [None]}]}
        return rewritten
    if isinstance(node, list):
        return [make_ref_nullable(item) for item in node]
    return node


class Contract:
    """Validators for the responses of the description's operations."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource.from_contents(spec, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)

    def errors(self, ref: str, instance: Any) -> list[str]:
        validator = OAS30Validator(
            {"$ref": f"{SPEC_URI}{ref}"}, registry=self.registry, format_checker=oas30_format_checker
        )
        return [
            f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(instance)
        ]

    def response_ref(self, path: str, method: str, status: int) -> str:
        operation = self.spec["paths"][path].get(method.lower()) or {}
        declared = operation.get("responses", {}).get(str(status))
        if declared is None:
            # Statuses the description leaves out for an operation (400, 429, 5xx) are still error
            # lists; the tests name each such answer they expect (see ERRORS_NOT_DOCUMENTED).
            return ERROR
        ref: str = declared["content"]["application/json"]["schema"]["$ref"]
        return ref

    def request_errors(self, path: str, method: str, body: Any) -> list[str]:
        """What is wrong with a request body, against its operation's request schema.

        :param path: the description's path, e.g. ``/conversations/{conversation_id}/parts``.
        :param method: the HTTP method.
        :param body: the JSON body sent.
        """
        pointer = "/".join(
            part.replace("~", "~0").replace("/", "~1")
            for part in ("paths", path, method.lower(), "requestBody", "content", "application/json", "schema")
        )
        return self.errors(f"#/{quote(pointer, safe='/~')}", body)

    def documented(self, path: str, method: str, status: int) -> bool:
        """Whether the description documents a status for an operation.

        :param path: the description's path.
        :param method: the HTTP method.
        :param status: the HTTP status.
        """
        return str(status) in self.spec["paths"][path][method.lower()].get("responses", {})

    def check(self, path: str, response: requests.Response) -> Any:
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Date"]
        body = response.json()
        ref = self.response_ref(path, response.request.method or "GET", response.status_code)
        problems = self.errors(ref, body)
        assert not problems, f"{response.request.method} {path} -> {response.status_code}: {problems[:10]}"
        if response.status_code >= 400:
            assert body["request_id"] == response.headers["X-Request-Id"]
        return body
