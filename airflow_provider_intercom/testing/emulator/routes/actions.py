"""The conversation actions: ``POST /conversations/{id}/parts``, ``.../reply``, ``.../tags`` and
``DELETE /conversations/{id}/tags/{tag_id}``.

A missing conversation is 404 ``not_found``, worded as each operation's example ("Resource Not
Found" for parts and reply, "Conversation not found" for the tag endpoints), and is checked before
the body, as ``PUT`` does. :mod:`..actions` validates bodies, :mod:`..mutations` applies them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from airflow_provider_intercom.testing.emulator.actions import parse_admin_only, parse_manage, parse_reply, parse_tag
from airflow_provider_intercom.testing.emulator.messages import Response, json_response
from airflow_provider_intercom.testing.emulator.mutations import apply_manage, apply_reply, attach_tag, detach_tag
from airflow_provider_intercom.testing.emulator.routes._common import Context, Request, allow, not_found
from airflow_provider_intercom.testing.emulator.store import Conversation, PartIds

__all__ = ["manage", "reply", "tag", "untag"]

_TAG_NOT_FOUND = "Conversation not found"
A = TypeVar("A")


def _existing(ctx: Context, conversation_id: str, message: str) -> None:
    if not ctx.store.exists(conversation_id):
        raise not_found(message)


def _add_part(
    ctx: Context,
    request: Request,
    parse: Callable[[float], A],
    apply: Callable[[Conversation, A, str, int], None],
) -> Response:
    """Validate, apply under the store's lock, and answer the Conversation as it is then."""
    allow(request, "POST")
    conversation_id = request.match.group(1)
    _existing(ctx, conversation_id, "Resource Not Found")
    now = ctx.clock()
    action = parse(now)

    def change(conversation: Conversation, part_ids: PartIds) -> None:
        apply(conversation, action, part_ids(), int(now))

    try:
        _, encoded = ctx.store.apply(conversation_id, change, encode=True)
    except KeyError:  # deleted since it was checked
        raise not_found("Resource Not Found") from None
    assert encoded is not None
    return Response(200, encoded)


def manage(ctx: Context, request: Request) -> Response:
    """``POST /conversations/{id}/parts``: close, snooze, open or assign; answers the Conversation.

    :param ctx: the store and workspace.
    :param request: the request; group 1 of its match is the conversation id.
    :raises ApiError: for every error answer.
    """
    return _add_part(
        ctx, request, lambda now: parse_manage(request.raw, request.body, ctx.workspace, now), apply_manage
    )


def reply(ctx: Context, request: Request) -> Response:
    """``POST /conversations/{id}/reply``: an admin's comment or note; answers the Conversation.

    :param ctx: the store and workspace.
    :param request: the request; group 1 of its match is the conversation id.
    :raises ApiError: for every error answer.
    """
    return _add_part(ctx, request, lambda _now: parse_reply(request.raw, request.body, ctx.workspace), apply_reply)


def tag(ctx: Context, request: Request) -> Response:
    """``POST /conversations/{id}/tags`` ``{id, admin_id}``: attach a tag; answers the tag.

    :param ctx: the store and workspace.
    :param request: the request; group 1 of its match is the conversation id.
    :raises ApiError: for every error answer.
    """
    allow(request, "POST")
    conversation_id = request.match.group(1)
    _existing(ctx, conversation_id, _TAG_NOT_FOUND)
    found, admin = parse_tag(request.raw, request.body, ctx.workspace)
    now = int(ctx.clock())
    try:
        applied, _ = ctx.store.apply(conversation_id, lambda c, _ids: attach_tag(c, found, admin["id"], now))
    except KeyError:
        raise not_found(_TAG_NOT_FOUND) from None
    return json_response(200, applied)


def untag(ctx: Context, request: Request) -> Response:
    """``DELETE /conversations/{id}/tags/{tag_id}`` ``{admin_id}``: detach a tag; answers the tag.

    :param ctx: the store and workspace.
    :param request: the request; groups 1 and 2 of its match are the conversation and tag ids.
    :raises ApiError: for every error answer; 404 ``tag_not_found`` when the tag is not attached.
    """
    allow(request, "DELETE")
    conversation_id, tag_id = request.match.group(1), request.match.group(2)
    _existing(ctx, conversation_id, _TAG_NOT_FOUND)
    parse_admin_only(request.raw, request.body, ctx.workspace)
    now = int(ctx.clock())
    try:
        removed, _ = ctx.store.apply(conversation_id, lambda c, _ids: detach_tag(c, tag_id, now))
    except KeyError:
        raise not_found(_TAG_NOT_FOUND) from None
    return json_response(200, removed)
