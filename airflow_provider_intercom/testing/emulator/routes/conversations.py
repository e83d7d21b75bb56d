"""``GET``/``PUT``/``DELETE /conversations/{id}`` and ``POST /conversations/search``."""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator.messages import (
    Response,
    json_object,
    json_response,
    parameter_invalid,
)
from airflow_provider_intercom.testing.emulator.routes._common import Context, Request, allow, last, not_found
from airflow_provider_intercom.testing.emulator.search import compile_query, decode_cursor, encode_cursor

__all__ = ["conversation", "search"]

_UPDATE_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "read": ((bool,), "a boolean"),
    "title": ((str, type(None)), "a string"),
    "custom_attributes": ((dict,), "an object"),
    # "Set to nil to remove company" (the description of company_id).
    "company_id": ((str, type(None)), "a string or null"),
}
_BOOLEANS = {"true": True, "false": False}


def conversation(ctx: Context, request: Request) -> Response:
    """``GET``, ``PUT`` or ``DELETE /conversations/{id}``.

    :param ctx: the store and workspace.
    :param request: the request; its match's group 1 is the id.
    :raises ApiError: for every error answer.
    """
    allow(request, "GET", "PUT", "DELETE")
    conversation_id = request.match.group(1)
    plaintext = last(request.query, "display_as") == "plaintext"
    try:
        if request.method == "GET":
            return Response(200, ctx.store.encode(conversation_id, plaintext=plaintext))
        if request.method == "PUT":
            if not ctx.store.exists(conversation_id):
                raise KeyError(conversation_id)
            changes = _validate_update(request.raw, request.body)
            return Response(200, ctx.store.update(conversation_id, changes, plaintext=plaintext))
    except KeyError:
        raise not_found() from None
    return _delete(ctx, conversation_id, request.query)


def _validate_update(raw: bytes, body: Any) -> dict[str, Any]:
    changes = json_object(raw, body)
    for key, value in changes.items():
        if key not in _UPDATE_TYPES:
            raise parameter_invalid(f"'{key}' is not a valid parameter", key)
        types, described = _UPDATE_TYPES[key]
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise parameter_invalid(f"'{key}' must be {described}", key)
    for name, value in changes.get("custom_attributes", {}).items():
        if not isinstance(value, (str, int, float, bool, dict, list)) and value is not None:
            raise parameter_invalid(f"custom attribute '{name}' has an invalid value", f"custom_attributes.{name}")
    return changes


def _delete(ctx: Context, conversation_id: str, query: dict[str, list[str]]) -> Response:
    # retain_metrics only decides what Intercom keeps for reporting, which the emulator has not.
    retain = last(query, "retain_metrics")
    if retain is not None and retain.lower() not in _BOOLEANS:
        raise parameter_invalid("retain_metrics must be true or false", "retain_metrics")
    if not ctx.store.delete(conversation_id):
        raise not_found()
    # components/schemas/conversation_deleted, as in the description's 200 example.
    return json_response(200, {"id": conversation_id, "object": "conversation", "deleted": True})


def search(ctx: Context, request: Request) -> Response:
    """``POST /conversations/search``.

    :param ctx: the store.
    :param request: the request.
    :raises ApiError: for every error answer.
    """
    allow(request, "POST")
    body = json_object(request.raw, request.body)
    if "query" not in body:
        raise parameter_invalid("query is required", "query")
    predicate = compile_query(body["query"])
    pagination = body.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise parameter_invalid("pagination must be an object", "pagination")
    per_page = pagination.get("per_page", facts.DEFAULT_SEARCH_PAGE_SIZE)
    if isinstance(per_page, str) and per_page.isdigit():
        per_page = int(per_page)
    limit = facts.MAX_SEARCH_PAGE_SIZE
    if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= limit:
        raise parameter_invalid(f"per_page must be an integer between 1 and {limit}", "pagination.per_page")
    cursor = pagination.get("starting_after")
    if cursor is not None and not isinstance(cursor, str):
        raise parameter_invalid("starting_after must be a string", "pagination.starting_after")
    after, served = decode_cursor(cursor) if cursor else (None, 0)
    found = ctx.store.search(predicate, after, per_page)
    page = -(-served // per_page) + 1
    pages: dict[str, Any] = {
        "type": "pages",
        "page": page,
        "per_page": per_page,
        "total_pages": page - 1 + -(-found.remaining // per_page),
    }
    if found.remaining > per_page and found.last_key is not None:
        pages["next"] = {"per_page": per_page, "starting_after": encode_cursor(found.last_key, served + per_page)}
    head = {"type": "conversation.list", "total_count": found.total_count, "pages": pages}
    # The conversations were encoded under the store's lock; splice them in rather than re-encode.
    encoded = json.dumps(head)[:-1] + ', "conversations": ' + found.items_json + "}"
    return Response(200, encoded.encode())
