"""Validation of the client's input, before anything is sent to Intercom.

Operators call the same functions in ``execute()`` first, so a bad argument fails the task before
the connection is even read; the client calls them again for users who call it directly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client.facts import (
    MAX_CONVERSATION_ID_LENGTH,
    MAX_FILTERS_PER_GROUP,
    MAX_SEARCH_NESTING,
    MAX_SEARCH_PAGE_SIZE,
    SEARCH_GROUP_OPERATORS,
    SEARCH_OPERATORS,
    SUMMARY_MODES,
)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def validate_conversation_id(value: Any, *, where: str = "conversation_id") -> str:
    """Return a conversation id as Intercom's digit string, or raise.

    An ``int`` is accepted; a ``bool``, a ``float``, a non-digit string or anything else is not,
    because it would otherwise end up in the request path (``"../me"`` must never become a URL).

    :param value: the id as the DAG author gave it.
    :param where: what to call it in the error message.
    :raises IntercomValidationError: if the value is not a conversation id.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise IntercomValidationError(
            f"{where} must be an Intercom conversation id (a string of digits such as '123', or an int); "
            f"got {type(value).__name__} {_describe(value)}."
        )
    text = str(value)
    # str.isdigit() also accepts superscripts and other Unicode digits; Intercom ids are ASCII.
    if not (text.isascii() and text.isdigit()):
        raise IntercomValidationError(
            f"{where} must be an Intercom conversation id made of digits only, such as '123'; got {_describe(value)}."
        )
    if len(text) > MAX_CONVERSATION_ID_LENGTH:
        raise IntercomValidationError(
            f"{where} is {len(text)} digits long; Intercom conversation ids have at most {MAX_CONVERSATION_ID_LENGTH}."
        )
    return text


def validate_conversation_ids(values: Any, *, where: str = "conversation_ids") -> list[str]:
    """Validate a collection of ids; return them de-duplicated, first occurrence kept.

    :param values: any non-string, non-mapping iterable of ids (a list, a tuple, an XCom sequence).
    :param where: what to call it in error messages.
    :raises IntercomValidationError: naming the first bad id and its position, or the bad collection.
    """
    if isinstance(values, (str, bytes)):
        raise IntercomValidationError(
            f"{where} must be a list of ids, got a string ({_describe(values)}). A Jinja template such as "
            '"{{ ti.xcom_pull(...) }}" renders to a string: pass the upstream task\'s .output '
            "(an XComArg) instead, or set render_template_as_native_obj=True on the DAG."
        )
    if isinstance(values, Mapping) or not isinstance(values, Iterable):
        raise IntercomValidationError(
            f"{where} must be a list (or other sequence) of conversation ids; got {type(values).__name__}."
        )
    seen: dict[str, None] = {}
    for index, value in enumerate(values):
        seen.setdefault(validate_conversation_id(value, where=f"{where}[{index}]"), None)
    if not seen:
        raise IntercomValidationError(
            f"{where} is empty: there is no conversation to act on. If an empty upstream result is normal, "
            "guard the task with a ShortCircuitOperator or skip it upstream."
        )
    return list(seen)


def validate_search_query(query: Any, *, where: str = "search_query") -> dict[str, Any]:
    """Check that ``query`` is an Intercom search query (the ``query`` of POST /conversations/search).

    :param query: a single filter ``{"field", "operator", "value"}`` or a group
        ``{"operator": "AND"|"OR", "value": [filters or groups]}``.
    :param where: what to call it in error messages.
    :raises IntercomValidationError: naming the part of the query that is wrong.
    """
    _check_query(query, where=where, depth=0)
    return dict(query)


def _check_query(query: Any, *, where: str, depth: int) -> None:
    if not isinstance(query, Mapping):
        raise IntercomValidationError(
            f"{where} must be an Intercom search query (a dict such as "
            "{'field': 'state', 'operator': '=', 'value': 'closed'}); "
            f"got {type(query).__name__} {_describe(query)}."
        )
    operator = query.get("operator")
    if operator in SEARCH_GROUP_OPERATORS:
        extra = set(query) - {"operator", "value"}
        members = query.get("value")
        if extra:
            raise IntercomValidationError(f"{where} is an {operator} group with unexpected keys {sorted(extra)}.")
        if not isinstance(members, list) or not members:
            raise IntercomValidationError(f"{where} is an {operator} group; its 'value' must be a non-empty list.")
        if len(members) > MAX_FILTERS_PER_GROUP:
            raise IntercomValidationError(
                f"{where} has {len(members)} filters; Intercom allows at most {MAX_FILTERS_PER_GROUP} per group."
            )
        for index, member in enumerate(members):
            nested = isinstance(member, Mapping) and member.get("operator") in SEARCH_GROUP_OPERATORS
            if nested and depth + 1 > MAX_SEARCH_NESTING:
                raise IntercomValidationError(
                    f"{where}.value[{index}] nests groups too deeply; Intercom allows {MAX_SEARCH_NESTING} levels."
                )
            _check_query(member, where=f"{where}.value[{index}]", depth=depth + 1)
        return
    if set(query) != {"field", "operator", "value"}:
        raise IntercomValidationError(
            f"{where} must have exactly the keys 'field', 'operator' and 'value' (or be an AND/OR group); "
            f"got {sorted(query)}."
        )
    field = query["field"]
    if not isinstance(field, str) or not field.strip():
        raise IntercomValidationError(f"{where}.field must be a field name such as 'state'; got {_describe(field)}.")
    if operator not in SEARCH_OPERATORS:
        raise IntercomValidationError(
            f"{where}.operator {_describe(operator)} is not an Intercom search operator; "
            f"use one of {sorted(SEARCH_OPERATORS)}."
        )
    value = query["value"]
    if operator in ("IN", "NIN"):
        if not isinstance(value, list) or not all(_is_scalar(v) for v in value):
            raise IntercomValidationError(
                f"{where}: operator {operator} needs a list of values; got {_describe(value)}."
            )
    elif not (_is_scalar(value) or value is None):
        raise IntercomValidationError(
            f"{where}.value must be a string, number or boolean for operator {operator!r}; got {_describe(value)}."
        )


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def validate_per_page(per_page: Any) -> int:
    """Check a search page size.

    :param per_page: the page size, 1 to :data:`~.facts.MAX_SEARCH_PAGE_SIZE`.
    :raises IntercomValidationError: if it is not an int in range.
    """
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= MAX_SEARCH_PAGE_SIZE:
        raise IntercomValidationError(f"per_page must be an int from 1 to {MAX_SEARCH_PAGE_SIZE}; got {per_page!r}.")
    return per_page


def is_positive_number(value: Any) -> bool:
    """Whether ``value`` is a finite number above zero: not NaN, not infinity, not a bool.

    The one check behind every rate, budget and duration the package accepts.

    :param value: what the user gave.
    """
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def validate_summary_mode(value: Any, *, where: str) -> str:
    """Return ``value`` if it is one of :data:`~.facts.SUMMARY_MODES`, else raise.

    :param value: what the user gave as ``summary``.
    :param where: what the argument belongs to, e.g. ``"Task 'mark'"``.
    :raises IntercomValidationError: if it is not.
    """
    if value not in SUMMARY_MODES:
        raise IntercomValidationError(
            f"{where}: summary must be 'auto' (updated ids listed one by one while they fit, else as ranges) "
            f"or 'full' (always one by one); got {_describe(value)}."
        )
    return str(value)


def validate_positive_number(value: Any, *, name: str, where: str) -> float:
    """Return ``value`` if it is a finite number above zero, else raise.

    :param value: what the user gave.
    :param name: the argument's name, for the message.
    :param where: what the argument belongs to, e.g. ``"Task 'mark'"``.
    :raises IntercomValidationError: if it is not a finite positive number.
    """
    if not is_positive_number(value):
        raise IntercomValidationError(
            f"{where}: {name} must be a finite number above 0 (NaN and infinity are not); got {_describe(value)}."
        )
    return float(value)


#: The fields of ``PUT /conversations/{id}`` that :func:`validate_update` takes, by name.
UPDATE_FIELDS: tuple[str, ...] = ("read", "title", "custom_attributes", "company_id", "remove_company")


def update_body_of(source: object, *, where: str) -> dict[str, Any]:
    """:func:`validate_update` of the :data:`UPDATE_FIELDS` attributes of ``source`` (an operator).

    :param source: an object with those attributes.
    :param where: what to call the update in error messages.
    """
    return validate_update(**{name: getattr(source, name) for name in UPDATE_FIELDS}, where=where)


def validate_update(
    *,
    read: Any = None,
    title: Any = None,
    custom_attributes: Any = None,
    company_id: Any = None,
    remove_company: Any = False,
    where: str = "update",
) -> dict[str, Any]:
    """Build the body of ``PUT /conversations/{id}`` from the fields given, or raise.

    Only the fields that are given (not None) are sent. ``remove_company=True`` sends
    ``company_id: null``, which Intercom documents as removing the company.

    :param read: mark read (True) or unread (False).
    :param title: a new title.
    :param custom_attributes: attribute name to a string, integer, decimal, boolean, or a date as
        a UNIX timestamp (Intercom's custom attribute types).
    :param company_id: the company to associate the conversation with.
    :param remove_company: remove the conversation's company.
    :param where: what to call the update in error messages.
    :raises IntercomValidationError: naming the field that is wrong; nothing is sent.
    """
    body: dict[str, Any] = {}
    if read is not None:
        if not isinstance(read, bool):
            raise IntercomValidationError(f"{where}: read must be true or false; got {_describe(read)}.")
        body["read"] = read
    if title is not None:
        if not isinstance(title, str):
            raise IntercomValidationError(f"{where}: title must be a string; got {_describe(title)}.")
        body["title"] = title
    if custom_attributes is not None:
        body["custom_attributes"] = _custom_attributes(custom_attributes, where)
    if not isinstance(remove_company, bool):
        raise IntercomValidationError(
            f"{where}: remove_company must be true or false; got {_describe(remove_company)}."
        )
    if remove_company and company_id is not None:
        raise IntercomValidationError(f"{where}: give company_id or remove_company=True, not both.")
    if remove_company:
        body["company_id"] = None
    elif company_id is not None:
        if isinstance(company_id, bool) or not isinstance(company_id, (str, int)) or not str(company_id).strip():
            raise IntercomValidationError(
                f"{where}: company_id must be the company's Intercom id (a non-empty string); got "
                f"{_describe(company_id)}. To remove the company, pass remove_company=True."
            )
        body["company_id"] = str(company_id)
    if not body:
        raise IntercomValidationError(
            f"{where} is empty: give at least one of read, title, custom_attributes, company_id or remove_company."
        )
    return body


def _custom_attributes(values: Any, where: str) -> dict[str, Any]:
    if not isinstance(values, Mapping) or not values:
        raise IntercomValidationError(
            f"{where}: custom_attributes must be a non-empty dict of attribute name to value; got {_describe(values)}."
        )
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name.strip():
            raise IntercomValidationError(
                f"{where}: custom attribute names must be non-empty strings; got {_describe(name)}."
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise IntercomValidationError(
                f"{where}: custom attribute {name!r} is {value!r}; Intercom accepts only finite numbers."
            )
        if not isinstance(value, (str, int, float, bool)):
            raise IntercomValidationError(
                f"{where}: custom attribute {name!r} must be a string, integer, decimal, boolean or a date as a "
                f"UNIX timestamp (Intercom's custom attribute types); got {type(value).__name__} {_describe(value)}."
            )
        checked[name] = value
    return checked
