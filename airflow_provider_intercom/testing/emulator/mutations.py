"""What the conversation actions do to a stored conversation: state, assignees, tags and parts.

Every function here runs under the store's lock on the stored dict itself. The effects follow
Intercom's 2.16 description and its examples of ``manageConversation`` and ``replyConversation``:

* ``close``: ``state`` closed, ``open`` false, the snooze cleared; a ``close`` part, whose body
  is the optional message.
* ``open``: ``state`` open, the snooze cleared; an ``open`` part.
* ``snoozed``: ``state`` snoozed (``open`` stays true, as in the example) with ``snoozed_until``;
  a ``snoozed`` part.
* ``assignment``: sets ``admin_assignee_id`` or ``team_assignee_id``; ``"0"`` clears it (to
  ``0``: "If it's not assigned to an admin it will return 0", the schema says). Assigning a
  closed conversation reopens it (Intercom-OpenAPI PR #645), and its part is then
  ``assign_and_reopen``, as in the description's example; otherwise ``assignment``. The part's
  ``assigned_to`` names the assignee, or ``{"type": "nobody_admin", "id": null}`` when
  unassigning (an assumption: the description shows no unassignment).
* an admin ``comment`` or ``note`` wakes a snoozed conversation (2.16; the Preview's
  ``skip_unsnooze`` is not in 2.16); a closed one stays closed, as in the note example.
* tags attach as a set; detaching one that is not attached is 404 ``tag_not_found``.

Every action moves ``updated_at`` to now (never backwards), so it moves in search order too.
"""

from __future__ import annotations

import posixpath
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_intercom.client.facts import MAX_RETURNED_PARTS
from airflow_provider_intercom.testing.emulator.actions import Manage, Reply
from airflow_provider_intercom.testing.emulator.markup import to_html
from airflow_provider_intercom.testing.emulator.messages import ApiError

__all__ = [
    "MAX_RETURNED_PARTS",
    "admin_part",
    "append_part",
    "apply_manage",
    "apply_reply",
    "attach_tag",
    "detach_tag",
    "newest_parts",
    "set_assignee",
    "set_state",
    "touch",
]


Conversation = dict[str, Any]
_NOBODY = {"type": "nobody_admin", "id": None}


def admin_part(
    part_id: str,
    part_type: str,
    admin: dict[str, Any],
    created_at: int,
    body: str | None = None,
    assigned_to: dict[str, Any] | None = None,
    attachment_urls: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A conversation part written by an admin, shaped like the description's examples.

    :param part_id: its id.
    :param part_type: e.g. ``close``, ``note``.
    :param admin: the author (``id``, ``name``, ``email``).
    :param created_at: UNIX seconds.
    :param body: the body as sent; stored as Intercom returns it (:func:`~.markup.to_html`).
    :param assigned_to: the assignee of an assignment part.
    :param attachment_urls: URLs of attached images.
    """
    attachments = [
        {"type": "upload", "name": posixpath.basename(urlsplit(url).path) or url, "url": url} for url in attachment_urls
    ]
    return {
        "type": "conversation_part",
        "id": part_id,
        "part_type": part_type,
        "body": None if body is None else to_html(body),
        "created_at": created_at,
        "updated_at": created_at,
        "notified_at": created_at,
        "assigned_to": assigned_to,
        "author": {"id": admin["id"], "type": "admin", "name": admin["name"], "email": admin["email"]},
        "attachments": attachments,
        "external_id": None,
        "redacted": False,
        "metadata": {},
        "email_message_metadata": None,
        "app_package_code": None,
    }


def append_part(conversation: Conversation, part: dict[str, Any], now: int) -> None:
    """Add a part at the end and move ``updated_at`` to ``now``.

    :param conversation: the stored conversation.
    :param part: the part.
    :param now: UNIX seconds.
    """
    parts = conversation["conversation_parts"]
    parts["conversation_parts"].append(part)
    parts["total_count"] = len(parts["conversation_parts"])
    touch(conversation, now)


def touch(conversation: Conversation, now: int) -> None:
    """Move ``updated_at`` to ``now``, never backwards.

    :param conversation: the stored conversation.
    :param now: UNIX seconds.
    """
    conversation["updated_at"] = max(now, conversation["updated_at"])


def set_state(conversation: Conversation, state: str, snoozed_until: int | None = None) -> None:
    """Put a conversation in a state: ``open``, ``closed`` or ``snoozed`` (with ``snoozed_until``).

    :param conversation: the stored conversation.
    :param state: the new state.
    :param snoozed_until: UNIX seconds, for ``snoozed``.
    :raises ValueError: for an unknown state, or a snooze without its end.
    """
    if state not in ("open", "closed", "snoozed"):
        raise ValueError(f"state must be open, closed or snoozed, not {state!r}")
    if (state == "snoozed") != (snoozed_until is not None):
        raise ValueError("snoozed_until goes with state 'snoozed', and only with it")
    conversation["state"] = state
    conversation["open"] = state != "closed"
    conversation["snoozed_until"] = snoozed_until
    if state == "closed":
        conversation["waiting_since"] = None


def set_assignee(conversation: Conversation, assignee_type: str, assignee_id: str | None) -> None:
    """Assign a conversation to an admin or a team, or unassign it (``None``).

    :param conversation: the stored conversation.
    :param assignee_type: ``"admin"`` or ``"team"``.
    :param assignee_id: the assignee's id; ``None`` unassigns.
    """
    conversation[f"{assignee_type}_assignee_id"] = 0 if assignee_id is None else int(assignee_id)


def apply_manage(conversation: Conversation, action: Manage, part_id: str, now: int) -> None:
    """Apply a close, open, snooze or assignment, and append its part.

    :param conversation: the stored conversation.
    :param action: the validated request.
    :param part_id: the new part's id.
    :param now: UNIX seconds.
    """
    assigned_to: dict[str, Any] | None = None
    part_type: str = action.kind
    if action.kind == "close":
        set_state(conversation, "closed")
    elif action.kind == "open":
        set_state(conversation, "open")
    elif action.kind == "snoozed":
        set_state(conversation, "snoozed", action.snoozed_until)
    else:
        assert action.assignee_type is not None
        set_assignee(conversation, action.assignee_type, action.assignee_id)
        assigned_to = (
            _NOBODY if action.assignee_id is None else {"type": action.assignee_type, "id": action.assignee_id}
        )
        if conversation["state"] == "closed":
            set_state(conversation, "open")
            part_type = "assign_and_reopen"
    append_part(conversation, admin_part(part_id, part_type, action.admin, now, action.body, assigned_to), now)


def apply_reply(conversation: Conversation, action: Reply, part_id: str, now: int) -> None:
    """Append an admin's comment or note; it wakes a snoozed conversation.

    :param conversation: the stored conversation.
    :param action: the validated request.
    :param part_id: the new part's id.
    :param now: UNIX seconds.
    """
    if conversation["state"] == "snoozed":
        set_state(conversation, "open")
    if action.message_type == "comment":
        conversation["waiting_since"] = None
    created_at = now if action.created_at is None else action.created_at
    part = admin_part(part_id, action.message_type, action.admin, created_at, action.body, None, action.attachment_urls)
    append_part(conversation, part, now)


def attach_tag(conversation: Conversation, tag: dict[str, Any], admin_id: str, now: int) -> dict[str, Any]:
    """Attach a tag unless it is attached already (tags are a set).

    :param conversation: the stored conversation.
    :param tag: the tag (``type``, ``id``, ``name``).
    :param admin_id: who applies it.
    :param now: UNIX seconds.
    :return: the tag as attached, with ``applied_at`` and ``applied_by``.
    """
    tags = conversation["tags"]["tags"]
    for attached in tags:
        if attached["id"] == tag["id"]:
            return dict(attached)
    applied = {**tag, "applied_at": now, "applied_by": {"type": "admin", "id": admin_id}}
    tags.append(applied)
    touch(conversation, now)
    return dict(applied)


def detach_tag(conversation: Conversation, tag_id: str, now: int) -> dict[str, Any]:
    """Detach a tag.

    :param conversation: the stored conversation.
    :param tag_id: the tag's id.
    :param now: UNIX seconds.
    :return: the tag as it was attached.
    :raises ApiError: 404 ``tag_not_found`` when the tag is not attached, as documented.
    """
    tags = conversation["tags"]["tags"]
    for index, attached in enumerate(tags):
        if attached["id"] == tag_id:
            del tags[index]
            touch(conversation, now)
            return dict(attached)
    raise ApiError(404, "tag_not_found", "Tag not found")


def newest_parts(conversation: Conversation) -> Conversation:
    """A shallow view of a conversation holding at most its :data:`MAX_RETURNED_PARTS` newest parts.

    ``total_count`` keeps counting every part.

    :param conversation: the stored conversation.
    """
    parts = conversation.get("conversation_parts")
    if not isinstance(parts, dict) or len(parts.get("conversation_parts") or ()) <= MAX_RETURNED_PARTS:
        return conversation
    every = parts["conversation_parts"]
    trimmed = {**parts, "conversation_parts": every[-MAX_RETURNED_PARTS:], "total_count": len(every)}
    return {**conversation, "conversation_parts": trimmed}
