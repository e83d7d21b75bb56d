"""The query engine and cursors behind the emulator's ``POST /conversations/search``.

A query is compiled once per request into a predicate over stored conversations. It follows the
"Search conversations" description in Intercom's API 2.16:

* a single filter is ``{"field": ..., "operator": ..., "value": ...}``; a group is
  ``{"operator": "AND" | "OR", "value": [filters or groups]}``;
* groups nest at most :data:`MAX_GROUP_DEPTH` deep (the top-level group counts as one, so
  ``(1 OR 2) AND (3 OR 4)`` is allowed and a group inside that is not) and hold at most
  :data:`MAX_FILTERS_PER_GROUP` members;
* operators ``=``, ``!=``, ``IN``, ``NIN`` work on every field; ``>`` and ``<`` only on integers and
  dates and, as the spec's table says, mean *greater or equal* and *lower or equal* (``>=`` and
  ``<=`` from the request schema's enum are accepted as synonyms); ``~`` (contains), ``!~`` (does not
  contain), ``^`` (starts with) and ``$`` (ends with) only on strings, case-sensitively;
* values are coerced to the field's type: booleans may be sent as ``"true"``/``"false"`` and
  integers or dates as numeric strings (the spec's own example sends ``"1306054154"``);
* ``contact_ids``, ``teammate_ids`` and ``tag_ids`` are multi-valued: ``=`` matches when any id
  equals the value, ``!=`` when none does; ``source.body`` with ``=``/``!=`` matches single words,
  case-insensitively, as the spec describes;
* a ``null`` value with ``=``/``!=`` matches an absent/null field (or its presence).

Anything else raises :class:`QueryError`, which the emulator answers with HTTP 400.

Cursors are opaque to clients: base64 of the JSON array ``[updated_at_ms, id, n]`` (the last
result's place in the order, and how many results were served so far), shaped like Intercom's own
cursors, which decode to ``[timestamp_ms, conversation_id, n]``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator.messages import ApiError

__all__ = [
    "MAX_FILTERS_PER_GROUP",
    "MAX_GROUP_DEPTH",
    "Predicate",
    "QueryError",
    "compile_query",
    "decode_cursor",
    "encode_cursor",
]

MAX_GROUP_DEPTH = facts.MAX_SEARCH_NESTING
MAX_FILTERS_PER_GROUP = facts.MAX_FILTERS_PER_GROUP
#: The description's own example for a forged cursor (GET /data_connectors, 400 "Invalid cursor").
INVALID_CURSOR_CODE = "client_error"
INVALID_CURSOR_MESSAGE = (
    "Invalid starting_after param. Please try again using a starting_after value from a paginated response"
)

Predicate = Callable[[dict[str, Any]], bool]
_Getter = Callable[[dict[str, Any]], list[Any]]

_STRING, _INTEGER, _DATE, _BOOLEAN = "string", "integer", "date", "boolean"
_NUMERIC = (_INTEGER, _DATE)
_INT_RE = re.compile(r"-?\d+")
_TAG_RE = re.compile(r"<[^>]*>")
_WORD_RE = re.compile(r"\w+")


class QueryError(ApiError):
    """An invalid search request, answered with HTTP 400 ``parameter_invalid``.

    Intercom's 2.16 description gives no error example for an invalid search; ``parameter_invalid``
    is the code it uses for an invalid request parameter elsewhere, e.g. ``GET /macros``, 400
    "Invalid parameter": ``{"code": "parameter_invalid", "message": "Invalid updated_since timestamp"}``.

    :param message: human-readable explanation.
    :param field: where in the request body the problem is, e.g. ``query.value[1].operator``.
    """

    def __init__(self, message: str, field: str) -> None:
        super().__init__(400, "parameter_invalid", message, field)


def _path_getter(path: str) -> _Getter:
    keys = path.split(".")

    def get(conversation: dict[str, Any]) -> list[Any]:
        value: Any = conversation
        for key in keys:
            if not isinstance(value, dict):
                return []
            value = value.get(key)
        return [] if value is None else [value]

    return get


def _list_getter(container: str, items: str) -> _Getter:
    def get(conversation: dict[str, Any]) -> list[Any]:
        outer = conversation.get(container)
        if not isinstance(outer, dict):
            return []
        return [item.get("id") for item in outer.get(items) or () if isinstance(item, dict)]

    return get


def _body_words(conversation: dict[str, Any]) -> list[Any]:
    source = conversation.get("source")
    body = source.get("body") if isinstance(source, dict) else None
    if not isinstance(body, str):
        return []
    return _WORD_RE.findall(_TAG_RE.sub(" ", body).lower())


_DATE_FIELDS = ["created_at", "updated_at", "waiting_since", "snoozed_until"]
_STAT_INTS = [
    "time_to_assignment",
    "time_to_admin_reply",
    "time_to_first_close",
    "time_to_last_close",
    "median_time_to_reply",
    "count_reopens",
    "count_assignments",
    "count_conversation_parts",
]
_STAT_DATES = [
    "first_contact_reply_at",
    "first_assignment_at",
    "first_admin_reply_at",
    "first_close_at",
    "last_assignment_at",
    "last_assignment_admin_reply_at",
    "last_contact_reply_at",
    "last_admin_reply_at",
    "last_close_at",
]
_STRING_PATHS = [
    "id",
    "state",
    "priority",
    "title",
    "source.type",
    "source.id",
    "source.delivered_as",
    "source.subject",
    "source.body",
    "source.author.id",
    "source.author.type",
    "source.author.name",
    "source.author.email",
    "source.url",
    "statistics.last_closed_by_id",
    "conversation_rating.remark",
    "ai_agent.resolution_state",
    "ai_agent.last_answer_type",
    "ai_agent.rating_remark",
    "ai_agent.source_type",
    "ai_agent.source_title",
]

#: Searchable field -> (type, getter returning the conversation's values for it).
FIELDS: dict[str, tuple[str, _Getter]] = {
    **{name: (_STRING, _path_getter(name)) for name in _STRING_PATHS},
    **{name: (_DATE, _path_getter(name)) for name in _DATE_FIELDS},
    **{f"statistics.{name}": (_INTEGER, _path_getter(f"statistics.{name}")) for name in _STAT_INTS},
    **{f"statistics.{name}": (_DATE, _path_getter(f"statistics.{name}")) for name in _STAT_DATES},
    "open": (_BOOLEAN, _path_getter("open")),
    "read": (_BOOLEAN, _path_getter("read")),
    "ai_agent_participated": (_BOOLEAN, _path_getter("ai_agent_participated")),
    "admin_assignee_id": (_INTEGER, _path_getter("admin_assignee_id")),
    "team_assignee_id": (_INTEGER, _path_getter("team_assignee_id")),
    "ai_agent.rating": (_INTEGER, _path_getter("ai_agent.rating")),
    "conversation_rating.score": (_INTEGER, _path_getter("conversation_rating.rating")),
    "conversation_rating.requested_at": (_DATE, _path_getter("conversation_rating.created_at")),
    "conversation_rating.replied_at": (_DATE, _path_getter("conversation_rating.updated_at")),
    "conversation_rating.contact_id": (_STRING, _path_getter("conversation_rating.contact.id")),
    "conversation_rating.admin_id": (_STRING, _path_getter("conversation_rating.teammate.id")),
    "channel_initiated": (_STRING, _path_getter("channel.initial")),
    "contact_ids": (_STRING, _list_getter("contacts", "contacts")),
    "teammate_ids": (_STRING, _list_getter("teammates", "teammates")),
    "tag_ids": (_STRING, _list_getter("tags", "tags")),
}

_NUMERIC_OPS = frozenset({">", "<", ">=", "<="})
_STRING_OPS = frozenset({"~", "!~", "^", "$"})
_OPERATORS = facts.SEARCH_OPERATORS


def _coerce(value: Any, kind: str, where: str, field_name: str) -> Any:
    if kind == _BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif kind in _NUMERIC:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
            return int(value)
    elif isinstance(value, str):
        return value
    elif isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise QueryError(f"{field_name} expects a value of type {kind}, got {json.dumps(value)}", where)


def _compile_filter(node: dict[str, Any], where: str) -> Predicate:
    name = node.get("field")
    if not isinstance(name, str):
        raise QueryError("filter needs a string 'field'", f"{where}.field")
    if name not in FIELDS:
        raise QueryError(f"{name} is not a searchable field", f"{where}.field")
    kind, getter = FIELDS[name]
    op = node.get("operator")
    if not isinstance(op, str) or op not in _OPERATORS:
        raise QueryError(f"unsupported operator {json.dumps(op)}", f"{where}.operator")
    if "value" not in node:
        raise QueryError("filter needs a 'value'", f"{where}.value")
    raw = node["value"]
    if op in _NUMERIC_OPS and kind not in _NUMERIC:
        raise QueryError(f"operator {op} only applies to integers and dates", f"{where}.operator")
    if op in _STRING_OPS and kind != _STRING:
        raise QueryError(f"operator {op} only applies to strings", f"{where}.operator")

    if op in ("IN", "NIN"):
        if not isinstance(raw, list):
            raise QueryError(f"operator {op} needs an array value", f"{where}.value")
        wanted = frozenset(_coerce(item, kind, f"{where}.value[{i}]", name) for i, item in enumerate(raw))
        if op == "IN":
            return lambda c: any(v in wanted for v in getter(c))
        return lambda c: not any(v in wanted for v in getter(c))

    if raw is None:
        if op == "=":
            return lambda c: not getter(c)
        if op == "!=":
            return lambda c: bool(getter(c))
        raise QueryError(f"operator {op} needs a non-null value", f"{where}.value")
    value = _coerce(raw, kind, f"{where}.value", name)

    if name == "source.body" and op in ("=", "!="):
        # The spec: body search matches single words, not the whole body.
        word = value.lower()
        if op == "=":
            return lambda c: word in _body_words(c)
        return lambda c: word not in _body_words(c)
    if op == "=":
        return lambda c: value in getter(c)
    if op == "!=":
        return lambda c: value not in getter(c)
    if op in (">", ">="):
        return lambda c: any(v >= value for v in getter(c))
    if op in ("<", "<="):
        return lambda c: any(v <= value for v in getter(c))
    if op == "~":
        return lambda c: any(value in v for v in getter(c))
    if op == "!~":
        return lambda c: not any(value in v for v in getter(c))
    if op == "^":
        return lambda c: any(v.startswith(value) for v in getter(c))
    return lambda c: any(v.endswith(value) for v in getter(c))


def _compile(node: Any, where: str, depth: int) -> Predicate:
    if not isinstance(node, dict):
        raise QueryError("a filter or group must be an object", where)
    if "field" in node:
        return _compile_filter(node, where)
    op = node.get("operator")
    if not isinstance(op, str) or op not in facts.SEARCH_GROUP_OPERATORS:
        raise QueryError(
            f"a group's operator must be AND or OR, got {json.dumps(op)} (or is 'field' missing?)",
            f"{where}.operator",
        )
    if depth + 1 > MAX_GROUP_DEPTH:
        raise QueryError(f"filters can be nested at most {MAX_GROUP_DEPTH} levels deep", where)
    members = node.get("value")
    if not isinstance(members, list) or not members:
        raise QueryError(f"{op} needs a non-empty array of filters", f"{where}.value")
    if len(members) > MAX_FILTERS_PER_GROUP:
        raise QueryError(f"{op} groups take at most {MAX_FILTERS_PER_GROUP} filters", f"{where}.value")
    parts = [_compile(member, f"{where}.value[{i}]", depth + 1) for i, member in enumerate(members)]
    if op == "AND":
        return lambda c: all(part(c) for part in parts)
    return lambda c: any(part(c) for part in parts)


def compile_query(query: Any) -> Predicate:
    """Validate a search ``query`` and turn it into a predicate over conversations.

    :param query: the ``query`` member of the request body.
    :return: a function telling whether a stored conversation matches.
    :raises QueryError: when the query is malformed, too deep, or names unknown fields/operators.
    """
    return _compile(query, "query", 0)


def encode_cursor(key: tuple[int, int], served: int) -> str:
    """Make the opaque ``starting_after`` cursor that resumes after the result at ``key``.

    :param key: the last result's place in the order, ``(updated_at_ms, numeric id)``.
    :param served: how many results have been served so far, this page included.
    """
    return base64.b64encode(json.dumps([key[0], key[1], served], separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> tuple[tuple[int, int], int]:
    """Recover ``(key, served)`` from a cursor made by :func:`encode_cursor`.

    :param cursor: the ``starting_after`` value sent by the client.
    :raises ApiError: 400 ``client_error`` when it is not such a cursor, worded like the
        description's example for an invalid cursor.
    """
    try:
        decoded = json.loads(base64.b64decode(cursor.encode(), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = None
    if (
        isinstance(decoded, list)
        and len(decoded) == 3
        and all(isinstance(item, int) and not isinstance(item, bool) and item >= 0 for item in decoded)
    ):
        return (decoded[0], decoded[1]), decoded[2]
    raise ApiError(400, INVALID_CURSOR_CODE, INVALID_CURSOR_MESSAGE)
