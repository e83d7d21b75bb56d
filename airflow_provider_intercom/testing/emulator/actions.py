"""Request bodies of the conversation actions, validated as Intercom would, into typed actions.

Covers ``manageConversation`` (``POST /conversations/{id}/parts``: close, snoozed, open,
assignment), admin replies of ``replyConversation`` (``POST /conversations/{id}/reply``) and the
admin of the tag endpoints. Each ``parse_*`` raises :class:`~.messages.ApiError` with the error
list Intercom documents, or, where it documents none, the emulator's documented assumption:

* a body that is not a JSON object, a field of the wrong type, an undocumented field for that
  ``message_type`` (the emulator is strict, to catch clients sending more than documented), an
  unknown ``message_type``, or a ``snoozed_until`` not in the future (reported as a 400 by
  Intercom, intercom-ruby PR #384): 400 ``parameter_invalid``;
* a missing required field: 400 ``parameter_not_found`` ("... is a required parameter", worded
  like the description's ``POST /tickets/{id}/change_type`` example);
* an ``admin_id`` naming no admin: 404 ``admin_not_found`` "Admin not found" (``GET /admins/{id}``);
* an ``assignee_id`` naming no admin or team: 404 ``assignee_not_found`` "Assignee not found"
  (``PUT /tickets/{id}``);
* a tag id naming no tag: 404 ``tag_not_found`` "Tag not found".

Ids are documented as strings, but the description's own examples send integers
(``"admin_id": 991267708``); both are accepted, as Intercom does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_intercom.client.facts import MAX_ATTACHMENT_URLS
from airflow_provider_intercom.testing.emulator.messages import ApiError, json_object, parameter_invalid
from airflow_provider_intercom.testing.emulator.workspace import Workspace

__all__ = [
    "MAX_ATTACHMENT_URLS",
    "UNASSIGNED",
    "Manage",
    "Reply",
    "parse_admin_only",
    "parse_manage",
    "parse_reply",
    "parse_tag",
]

#: ``assignee_id`` that means "no admin" or "no team".
UNASSIGNED = "0"

ManageKind = Literal["close", "open", "snoozed", "assignment"]
# The documented fields of each message_type (the request schemas of manageConversation).
_MANAGE_FIELDS: dict[str, frozenset[str]] = {
    "close": frozenset({"message_type", "type", "admin_id", "body"}),
    "snoozed": frozenset({"message_type", "admin_id", "snoozed_until"}),
    "open": frozenset({"message_type", "admin_id"}),
    "assignment": frozenset({"message_type", "type", "admin_id", "assignee_id", "body"}),
}
_MANAGE_REQUIRED: dict[str, tuple[str, ...]] = {
    "close": ("type", "admin_id"),
    "snoozed": ("admin_id", "snoozed_until"),
    "open": ("admin_id",),
    "assignment": ("type", "admin_id", "assignee_id"),
}
_REPLY_FIELDS = frozenset(
    {"message_type", "type", "admin_id", "body", "created_at", "attachment_urls", "skip_notifications"}
)


@dataclass(frozen=True)
class Manage:
    """A validated ``manageConversation`` request.

    :param kind: the ``message_type``.
    :param admin: the acting admin (``id``, ``name``, ``email``).
    :param body: the optional message of a close or an assignment, as sent.
    :param snoozed_until: for ``snoozed``, UNIX seconds in the future.
    :param assignee_type: for ``assignment``, ``"admin"`` or ``"team"``.
    :param assignee_id: for ``assignment``, the assignee's id; ``None`` for "0", unassigned.
    """

    kind: ManageKind
    admin: dict[str, Any]
    body: str | None = None
    snoozed_until: int | None = None
    assignee_type: Literal["admin", "team"] | None = None
    assignee_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """A validated admin reply or note.

    :param message_type: ``"comment"`` (seen by the customer) or ``"note"`` (teammates only).
    :param admin: the authoring admin.
    :param body: the body, as sent.
    :param created_at: the part's ``created_at`` when the client gave one.
    :param attachment_urls: image URLs to attach.
    """

    message_type: Literal["comment", "note"]
    admin: dict[str, Any]
    body: str
    created_at: int | None
    attachment_urls: tuple[str, ...]


def _require(body: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if body.get(name) is None:
            raise ApiError(400, "parameter_not_found", f"{name} is a required parameter", name)


def _only(body: dict[str, Any], allowed: frozenset[str]) -> None:
    for key in body:
        if key not in allowed:
            raise parameter_invalid(
                f"'{key}' is not a valid parameter for message_type {body.get('message_type')}", key
            )


def _id(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    raise parameter_invalid(f"{name} must be a string holding an id", name)


def _integer(body: dict[str, Any], name: str) -> int:
    value = body[name]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise parameter_invalid(f"{name} must be an integer (UNIX seconds)", name)


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise parameter_invalid(f"{name} must be a string", name)
    return value


def _admin(body: dict[str, Any], workspace: Workspace) -> dict[str, Any]:
    admin = workspace.admin(_id(body, "admin_id"))
    if admin is None:
        raise ApiError(404, "admin_not_found", "Admin not found", "admin_id")
    return {key: admin[key] for key in ("id", "name", "email")}


def _message_type(body: dict[str, Any], allowed: tuple[str, ...]) -> str:
    kind = body.get("message_type")
    if kind is None:
        raise ApiError(400, "parameter_not_found", "message_type is a required parameter", "message_type")
    if kind not in allowed:
        raise parameter_invalid(f"message_type must be one of {', '.join(allowed)}", "message_type")
    return str(kind)


def parse_manage(raw: bytes, body: Any, workspace: Workspace, now: float) -> Manage:
    """Validate a ``POST /conversations/{id}/parts`` body.

    :param raw: the raw body.
    :param body: the body parsed as JSON (the text when it is not JSON).
    :param workspace: where admins and teams are looked up.
    :param now: the request's arrival, UNIX time, for ``snoozed_until``.
    :raises ApiError: as the module says.
    """
    request = json_object(raw, body)
    kind = _message_type(request, tuple(_MANAGE_FIELDS))
    _only(request, _MANAGE_FIELDS[kind])
    _require(request, _MANAGE_REQUIRED[kind])
    message = _text(request, "body")
    if kind == "close" and request["type"] != "admin":
        raise parameter_invalid("type must be admin", "type")
    if kind == "snoozed":
        until = _integer(request, "snoozed_until")
        if until <= now:
            raise parameter_invalid("snoozed_until must be a UNIX timestamp in the future", "snoozed_until")
        return Manage("snoozed", _admin(request, workspace), snoozed_until=until)
    if kind != "assignment":
        return Manage("close" if kind == "close" else "open", _admin(request, workspace), body=message)
    assignee_type = request["type"]
    if assignee_type not in ("admin", "team"):
        raise parameter_invalid("type must be admin or team", "type")
    admin = _admin(request, workspace)
    assignee = _id(request, "assignee_id")
    if assignee == UNASSIGNED:
        return Manage("assignment", admin, body=message, assignee_type=assignee_type)
    found = workspace.admin(assignee) if assignee_type == "admin" else workspace.team(assignee)
    if found is None:
        raise ApiError(404, "assignee_not_found", "Assignee not found", "assignee_id")
    return Manage("assignment", admin, body=message, assignee_type=assignee_type, assignee_id=assignee)


def parse_reply(raw: bytes, body: Any, workspace: Workspace) -> Reply:
    """Validate a ``POST /conversations/{id}/reply`` body of an admin's comment or note.

    Contact replies and ``quick_reply`` are outside the emulator: they are answered 400
    ``parameter_invalid`` naming the field.

    :param raw: the raw body.
    :param body: the body parsed as JSON.
    :param workspace: where admins are looked up.
    :raises ApiError: as the module says; a comment or note without a body is 400
        ``parameter_invalid`` "Body is required" (worded like the description's ``POST /messages``).
    """
    request = json_object(raw, body)
    kind = _message_type(request, ("comment", "note"))
    _require(request, ("type",))
    if request["type"] != "admin":
        raise parameter_invalid("the emulator models admin replies only: type must be admin", "type")
    _only(request, _REPLY_FIELDS)
    _require(request, ("admin_id",))
    text = _text(request, "body")
    if not text:
        raise parameter_invalid("Body is required", "body")
    created_at = None if request.get("created_at") is None else _integer(request, "created_at")
    urls = request.get("attachment_urls") or []
    if not isinstance(urls, list) or not all(isinstance(url, str) for url in urls):
        raise parameter_invalid("attachment_urls must be an array of URLs", "attachment_urls")
    if len(urls) > MAX_ATTACHMENT_URLS:
        raise parameter_invalid(f"attachment_urls takes at most {MAX_ATTACHMENT_URLS} URLs", "attachment_urls")
    notifications = request.get("skip_notifications")
    if notifications is not None and not isinstance(notifications, bool):
        raise parameter_invalid("skip_notifications must be a boolean", "skip_notifications")
    message_type: Literal["comment", "note"] = "comment" if kind == "comment" else "note"
    return Reply(message_type, _admin(request, workspace), text, created_at, tuple(urls))


def parse_tag(raw: bytes, body: Any, workspace: Workspace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate a ``POST /conversations/{id}/tags`` body ``{id, admin_id}``.

    :param raw: the raw body.
    :param body: the body parsed as JSON.
    :param workspace: where tags and admins are looked up.
    :return: the tag and the admin.
    :raises ApiError: as the module says.
    """
    request = json_object(raw, body)
    _only(request, frozenset({"id", "admin_id"}))
    _require(request, ("id", "admin_id"))
    tag = workspace.tag(_id(request, "id"))
    if tag is None:
        raise ApiError(404, "tag_not_found", "Tag not found", "id")
    return tag, _admin(request, workspace)


def parse_admin_only(raw: bytes, body: Any, workspace: Workspace) -> dict[str, Any]:
    """Validate the ``{admin_id}`` body of ``DELETE /conversations/{id}/tags/{tag_id}``.

    :param raw: the raw body.
    :param body: the body parsed as JSON.
    :param workspace: where admins are looked up.
    :return: the admin.
    :raises ApiError: as the module says.
    """
    request = json_object(raw, body)
    _only(request, frozenset({"admin_id"}))
    _require(request, ("admin_id",))
    return _admin(request, workspace)
