"""Conversation actions as requests: what each one sends to one conversation, checked before any request.

Every per-conversation write the provider makes -- an update, a close, a tag -- is a
:class:`ConversationRequest`: a method, a path with the conversation id in it, and one body
validated and encoded once. The sync client sends one with :meth:`.IntercomClient.send_action`;
the bulk engine sends the same request to many ids. Builders send exactly the fields Intercom
documents for the operation (REST API 2.16: ``manageConversation``, ``attachTagToConversation``,
``detachTagFromConversation``), nothing else.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._message import (
    ASSIGNMENT_PART_TYPES,
    MessageSpec,
    validate_attachment_urls,
    validate_body,
    validate_message_type,
)
from airflow_provider_intercom.client._validation import _describe as describe

__all__ = [
    "ASSIGNEE_TYPES",
    "PAST_TENSE",
    "ConversationRequest",
    "assign_request",
    "close_request",
    "encode_body",
    "open_request",
    "reply_request",
    "snooze_request",
    "tag_request",
    "untag_request",
    "update_request",
    "validate_admin_id",
    "validate_assignee",
]

#: Who a conversation can be assigned to (``assign_conversation_request.type``).
ASSIGNEE_TYPES = ("admin", "team")
#: The ``assignee_id`` that leaves a conversation unassigned ("Set 0 ... ie. Unassigned").
UNASSIGNED = "0"
_DIGITS = re.compile(r"^[0-9]{1,32}$")

Answer = Literal["conversation", "tag"]
#: How messages say an action was done to a conversation ("3 conversations could not be closed").
PAST_TENSE: Mapping[str, str] = {
    "update": "updated",
    "close": "closed",
    "open": "opened",
    "snooze": "snoozed",
    "assign": "assigned",
    "unassign": "unassigned",
    "tag": "tagged",
    "untag": "untagged",
    "reply": "replied to",
    "note": "given a note",
}


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Encode a request body once, for every request of a run.

    :param body: a validated body.
    :raises IntercomValidationError: if it is not JSON-serializable or holds a non-finite number.
    """
    try:
        return json.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        detail = str(exc)
    # Raised outside the except: the error carries no chain back to the body's objects.
    raise IntercomValidationError(f"The request body cannot be sent as JSON: {detail}.")


@dataclass(frozen=True)
class ConversationRequest:
    """The request an action sends to each conversation.

    :param action: the action's name, in logs and messages: ``update``, ``close``, ``tag`` ...
    :param method: the HTTP method.
    :param path: the API path, with ``{id}`` where the conversation id goes.
    :param body: the JSON body, the same for every conversation; None sends none.
    :param idempotent: whether sending it twice leaves the same state (so a failure whose outcome
        is unknown may simply be sent again).
    :param answer: what a 2xx answer holds: the conversation, or the tag.
    :param already_done: Intercom error codes that mean the action is already in effect, with
        the reason a summary gives for them (skipped, not failed): untagging a conversation that
        does not carry the tag answers 404 ``tag_not_found``.
    :param key: what identifies the request across tries of a task when the body alone would not
        (a snooze time computed from when each try runs); None means the body.
    :param message: set when the request posts a part a person sees (a reply, a note, a close
        or an assignment with a ``body``): it is then never re-sent without reading the
        conversation back first (:mod:`._message`).
    :param bodies: per-conversation message bodies, replacing ``body["body"]`` for each id.
    """

    action: str
    method: str
    path: str
    body: Mapping[str, Any] | None
    idempotent: bool = True
    answer: Answer = "conversation"
    already_done: Mapping[str, str] = field(default_factory=dict)
    key: Mapping[str, Any] | None = None
    message: MessageSpec | None = None
    bodies: Mapping[str, str] | None = None

    def path_for(self, conversation_id: str) -> str:
        """The path of this request for one conversation.

        :param conversation_id: a validated conversation id.
        """
        return self.path.replace("{id}", conversation_id)

    @property
    def identity(self) -> dict[str, Any]:
        """What makes two tries of a task the same run, for resuming one from the other."""
        return {
            "action": self.action,
            "method": self.method,
            "path": self.path,
            "body": dict(self.key if self.key is not None else self.body or {}),
            **({"bodies_sha256": _bodies_digest(self.bodies)} if self.bodies is not None else {}),
        }

    def text_for(self, conversation_id: str) -> str:
        """The message body sent to one conversation (a message request only).

        :param conversation_id: one of the run's ids.
        """
        if self.bodies is not None:
            return self.bodies[conversation_id]
        return str((self.body or {}).get("body", ""))

    def payload(self, conversation_id: str, *, created_at: int | None = None) -> bytes | None:
        """The body sent to one conversation: the shared one, or with its own text and ``created_at``.

        :param conversation_id: one of the run's ids.
        :param created_at: UNIX seconds to send as ``created_at`` (replies), or None.
        """
        if self.body is None or (self.bodies is None and created_at is None):
            return self.encoded
        body = dict(self.body)
        if self.bodies is not None:
            body["body"] = self.bodies[conversation_id]
        if created_at is not None:
            body["created_at"] = created_at
        return encode_body(body)

    @cached_property
    def encoded(self) -> bytes | None:
        """The body as sent on the wire, encoded once."""
        return None if self.body is None else encode_body(self.body)


def validate_admin_id(value: Any, *, where: str = "admin_id") -> str:
    """An Intercom admin id: digits, as a string.

    :param value: a string of digits, or an int.
    :param where: how messages name the value.
    :raises IntercomValidationError: if it is not one.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        return value.strip()
    raise IntercomValidationError(
        f"{where} must be an Intercom admin id (digits, e.g. '991267'); got {describe(value)}. "
        "GET /admins lists them; or leave it out to act as the admin that owns the access token."
    )


def update_request(body: Mapping[str, Any]) -> ConversationRequest:
    """``PUT /conversations/{id}`` with a body built by :func:`~._validation.validate_update`.

    :param body: the validated update.
    """
    # Setting fields to given values is idempotent: a retried PUT leaves the same state.
    return ConversationRequest("update", "PUT", "/conversations/{id}", dict(body))


def _bodies_digest(bodies: Mapping[str, str]) -> str:
    canonical = json.dumps(dict(bodies), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _parts(action: str, body: dict[str, Any], message: MessageSpec | None = None) -> ConversationRequest:
    # Close, open, snooze and assign leave the same state when sent twice; with a ``body`` they
    # also post a part a person sees, which must not be posted twice.
    return ConversationRequest(
        action, "POST", "/conversations/{id}/parts", body, idempotent=message is None, message=message
    )


def _with_body(body: dict[str, Any], text: Any, part_types: frozenset[str], where: str) -> MessageSpec | None:
    """Add an optional message ``body`` to a close or an assignment; its part is then a message."""
    if text is None:
        return None
    body["body"] = validate_body(text, where=f"{where}body")
    return MessageSpec(part_types, body["admin_id"])


def close_request(admin_id: str, body: str | None = None, *, where: str = "") -> ConversationRequest:
    """Close: ``POST /conversations/{id}/parts`` ``{"message_type": "close", "type": "admin", ...}``.

    :param admin_id: the admin performing the action.
    :param body: a message posted with the close, as the close part's own body (one part, not a
        separate reply); None posts none.
    :param where: what messages start with, e.g. ``"Task 'close': "``.
    """
    request: dict[str, Any] = {"message_type": "close", "type": "admin", "admin_id": validate_admin_id(admin_id)}
    return _parts("close", request, _with_body(request, body, frozenset({"close"}), where))


def reply_request(
    admin_id: str,
    body: Any,
    message_type: Any,
    *,
    skip_notifications: bool = False,
    attachment_urls: Any = None,
    where: str = "",
) -> ConversationRequest:
    """An admin's reply or note: ``POST /conversations/{id}/reply`` ``{"message_type", "type": "admin", ...}``.

    :param admin_id: the admin it is posted as.
    :param body: the text (plain text or HTML).
    :param message_type: ``"comment"`` (the customer sees it) or ``"note"`` (teammates only).
    :param skip_notifications: do not notify the customer or teammates.
    :param attachment_urls: up to 10 image URLs.
    :param where: what messages start with, e.g. ``"Task 'reply': "``.
    :raises IntercomValidationError: if a value is invalid.
    """
    kind = validate_message_type(message_type, where=f"{where}message_type")
    request: dict[str, Any] = {
        "message_type": kind,
        "type": "admin",
        "admin_id": validate_admin_id(admin_id),
        "body": validate_body(body, where=f"{where}body"),
    }
    if not isinstance(skip_notifications, bool):
        raise IntercomValidationError(
            f"{where}skip_notifications must be True or False; got {describe(skip_notifications)}."
        )
    if skip_notifications:
        request["skip_notifications"] = True
    urls = validate_attachment_urls(attachment_urls, where=f"{where}attachment_urls")
    if urls:
        request["attachment_urls"] = urls
    return ConversationRequest(
        "reply" if kind == "comment" else "note",
        "POST",
        "/conversations/{id}/reply",
        request,
        idempotent=False,
        message=MessageSpec(frozenset({kind}), request["admin_id"], stamp_created_at=True),
    )


def open_request(admin_id: str) -> ConversationRequest:
    """Open (and unsnooze): ``POST /conversations/{id}/parts`` ``{"message_type": "open", ...}``.

    :param admin_id: the admin performing the action.
    """
    return _parts("open", {"message_type": "open", "admin_id": validate_admin_id(admin_id)})


def snooze_request(admin_id: str, snoozed_until: int) -> ConversationRequest:
    """Snooze until a time: ``{"message_type": "snoozed", "snoozed_until": <UNIX seconds>, ...}``.

    :param admin_id: the admin performing the action.
    :param snoozed_until: UNIX seconds, from :func:`~._snooze.parse_snoozed_until`.
    """
    return _parts(
        "snooze",
        {"message_type": "snoozed", "admin_id": validate_admin_id(admin_id), "snoozed_until": int(snoozed_until)},
    )


def validate_assignee(assignee_id: Any, assignee_type: Any, *, where: str = "") -> str | None:
    """The assignee as an id, or None to unassign; checked before any request.

    :param assignee_id: an admin or team id; None unassigns.
    :param assignee_type: ``"admin"`` or ``"team"``.
    :param where: what the messages start with, e.g. ``"Task 'reroute': "``.
    :raises IntercomValidationError: if either is invalid.
    """
    if assignee_type not in ASSIGNEE_TYPES:
        raise IntercomValidationError(
            f"{where}assignee_type must be 'admin' or 'team'; got {describe(assignee_type)}. "
            "A conversation can carry both an admin and a team: assign each in its own task."
        )
    return None if assignee_id is None else validate_admin_id(assignee_id, where=f"{where}assignee_id")


def assign_request(
    admin_id: str, assignee_id: Any, assignee_type: str = "admin", body: str | None = None, *, where: str = ""
) -> ConversationRequest:
    """Assign to an admin or a team, or unassign: ``{"message_type": "assignment", ...}``.

    Assigning a closed conversation reopens it (Intercom's behaviour).

    :param admin_id: the admin performing the action.
    :param assignee_id: the admin or team to assign to; None unassigns (``"0"``).
    :param assignee_type: ``"admin"`` or ``"team"``.
    :param body: a message posted with the assignment, as its part's own body; None posts none.
    :param where: what messages start with.
    :raises IntercomValidationError: if a value is invalid.
    """
    assignee = validate_assignee(assignee_id, assignee_type)
    request: dict[str, Any] = {
        "message_type": "assignment",
        "type": assignee_type,
        "admin_id": validate_admin_id(admin_id),
        "assignee_id": UNASSIGNED if assignee is None else assignee,
    }
    message = _with_body(request, body, ASSIGNMENT_PART_TYPES, where)
    return _parts("assign" if assignee is not None else "unassign", request, message)


def tag_request(admin_id: str, tag_id: str) -> ConversationRequest:
    """Attach a tag: ``POST /conversations/{id}/tags`` ``{"id": <tag id>, "admin_id": ...}``.

    :param admin_id: the admin performing the action.
    :param tag_id: a tag id (resolved from a name by :func:`~._lookup.resolve_tag`).
    """
    # Tags attach as a set: tagging twice leaves one tag.
    return ConversationRequest(
        "tag",
        "POST",
        "/conversations/{id}/tags",
        {"id": validate_admin_id(tag_id, where="tag id"), "admin_id": validate_admin_id(admin_id)},
        answer="tag",
    )


def untag_request(admin_id: str, tag_id: str) -> ConversationRequest:
    """Detach a tag: ``DELETE /conversations/{id}/tags/{tag_id}`` with ``{"admin_id": ...}``.

    A conversation that does not carry the tag counts as done (skipped, ``not_tagged``): so does
    a retry after a DELETE whose answer was lost.

    :param admin_id: the admin performing the action.
    :param tag_id: a tag id.
    """
    tag = validate_admin_id(tag_id, where="tag id")
    return ConversationRequest(
        "untag",
        "DELETE",
        f"/conversations/{{id}}/tags/{tag}",
        {"admin_id": validate_admin_id(admin_id)},
        answer="tag",
        already_done={"tag_not_found": "not_tagged"},
    )
