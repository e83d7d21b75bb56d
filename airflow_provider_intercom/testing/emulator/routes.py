"""Request dispatch per endpoint: what each of the emulated operations answers.

Served: ``GET /me``, ``GET``/``PUT``/``DELETE /conversations/{id}`` and
``POST /conversations/search``. Anything else is 404 ``not_found``, a known path with another
method included: Intercom's reference page "HTTP responses" says that a method an endpoint does not
support also returns 404.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator.data import ANCHOR_TIME
from airflow_provider_intercom.testing.emulator.messages import ApiError, Response, json_response
from airflow_provider_intercom.testing.emulator.search import compile_query, decode_cursor, encode_cursor
from airflow_provider_intercom.testing.emulator.store import ConversationStore

__all__ = ["AppProfile", "Router"]

_ID_PATH = re.compile(r"/conversations/([^/]+)")
_UPDATE_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "read": ((bool,), "a boolean"),
    "title": ((str, type(None)), "a string"),
    "custom_attributes": ((dict,), "an object"),
    # "Set to nil to remove company" (the description of company_id).
    "company_id": ((str, type(None)), "a string or null"),
}
_BOOLEANS = {"true": True, "false": False}


class AppProfile(Protocol):
    """The workspace, app and admin that ``GET /me`` describes."""

    region: str
    app_id_code: str
    app_name: str
    admin_id: str
    admin_name: str
    admin_email: str


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "Resource Not Found")


def _invalid(message: str, field: str) -> ApiError:
    return ApiError(400, "parameter_invalid", message, field)


def _parse_object(raw: bytes, body: Any) -> dict[str, Any]:
    if raw and isinstance(body, str):
        raise _invalid("request body is not valid JSON", "body")
    if not isinstance(body, dict):
        raise _invalid("request body must be a JSON object", "body")
    return body


def _last(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


class Router:
    """Answers authenticated, admitted requests from the store.

    :param store: the conversations.
    :param profile: what ``GET /me`` reports.
    """

    def __init__(self, store: ConversationStore, profile: AppProfile) -> None:
        self._store = store
        self._profile = profile

    def route(self, method: str, path: str, query: dict[str, list[str]], raw: bytes, body: Any) -> Response:
        """Answer one request.

        :param method: the HTTP method.
        :param path: the path, without query string.
        :param query: the parsed query string.
        :param raw: the raw body.
        :param body: the body parsed as JSON, the text when it is not JSON, ``None`` when empty.
        :raises ApiError: for every error answer.
        """
        if path == "/me":
            self._allow(method, path, "GET")
            return json_response(200, self._me())
        if path == "/conversations/search":
            self._allow(method, path, "POST")
            return self._search(raw, body)
        match = _ID_PATH.fullmatch(path)
        if match is None:
            raise _not_found()
        self._allow(method, path, "GET", "PUT", "DELETE")
        # The description declares the path parameter an integer; anything else names nothing.
        conversation_id = match.group(1)
        if not conversation_id.isdigit():
            raise _not_found()
        plaintext = _last(query, "display_as") == "plaintext"
        try:
            if method == "GET":
                return Response(200, self._store.encode(conversation_id, plaintext=plaintext))
            if method == "PUT":
                if not self._store.exists(conversation_id):
                    raise KeyError(conversation_id)
                changes = self._validate_update(raw, body)
                return Response(200, self._store.update(conversation_id, changes, plaintext=plaintext))
        except KeyError:
            raise _not_found() from None
        return self._delete(conversation_id, query)

    @staticmethod
    def _allow(method: str, path: str, *allowed: str) -> None:
        if method not in allowed:
            raise ApiError(404, "not_found", f"{method} is not supported on {path}")

    def _me(self) -> dict[str, Any]:
        profile = self._profile
        return {
            "type": "admin",
            "id": profile.admin_id,
            "email": profile.admin_email,
            "name": profile.admin_name,
            "email_verified": True,
            "app": {
                "type": "app",
                "id_code": profile.app_id_code,
                "name": profile.app_name,
                "created_at": ANCHOR_TIME - 400 * 86400,
                "secure": False,
                "identity_verification": False,
                "timezone": "America/Los_Angeles" if profile.region == "US" else "Europe/Dublin",
                "region": profile.region,
            },
            "avatar": {
                "type": "avatar",
                "image_url": "https://static.intercomassets.com/assets/default-avatars/admins/128.png",
            },
            "has_inbox_seat": True,
        }

    @staticmethod
    def _validate_update(raw: bytes, body: Any) -> dict[str, Any]:
        changes = _parse_object(raw, body)
        for key, value in changes.items():
            if key not in _UPDATE_TYPES:
                raise _invalid(f"'{key}' is not a valid parameter", key)
            types, described = _UPDATE_TYPES[key]
            if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
                raise _invalid(f"'{key}' must be {described}", key)
        for name, value in changes.get("custom_attributes", {}).items():
            if not isinstance(value, (str, int, float, bool, dict, list)) and value is not None:
                raise _invalid(f"custom attribute '{name}' has an invalid value", f"custom_attributes.{name}")
        return changes

    def _delete(self, conversation_id: str, query: dict[str, list[str]]) -> Response:
        # retain_metrics only decides what Intercom keeps for reporting, which the emulator has not.
        retain = _last(query, "retain_metrics")
        if retain is not None and retain.lower() not in _BOOLEANS:
            raise _invalid("retain_metrics must be true or false", "retain_metrics")
        if not self._store.delete(conversation_id):
            raise _not_found()
        # components/schemas/conversation_deleted, as in the description's 200 example.
        return json_response(200, {"id": conversation_id, "object": "conversation", "deleted": True})

    def _search(self, raw: bytes, body: Any) -> Response:
        request = _parse_object(raw, body)
        if "query" not in request:
            raise _invalid("query is required", "query")
        predicate = compile_query(request["query"])
        pagination = request.get("pagination") or {}
        if not isinstance(pagination, dict):
            raise _invalid("pagination must be an object", "pagination")
        per_page = pagination.get("per_page", facts.DEFAULT_SEARCH_PAGE_SIZE)
        if isinstance(per_page, str) and per_page.isdigit():
            per_page = int(per_page)
        limit = facts.MAX_SEARCH_PAGE_SIZE
        if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= limit:
            raise _invalid(f"per_page must be an integer between 1 and {limit}", "pagination.per_page")
        cursor = pagination.get("starting_after")
        if cursor is not None and not isinstance(cursor, str):
            raise _invalid("starting_after must be a string", "pagination.starting_after")
        after, served = decode_cursor(cursor) if cursor else (None, 0)
        found = self._store.search(predicate, after, per_page)
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
