"""``GET /me``, ``GET /admins``, ``GET /teams`` and ``GET /tags``."""

from __future__ import annotations

from typing import Any

from airflow_provider_intercom.testing.emulator.data import ANCHOR_TIME
from airflow_provider_intercom.testing.emulator.messages import Response, json_response
from airflow_provider_intercom.testing.emulator.routes._common import Context, Request, allow

__all__ = ["admins", "me", "tags", "teams"]


def me(ctx: Context, request: Request) -> Response:
    """``GET /me``: the admin owning the token, and its app.

    :param ctx: the profile.
    :param request: the request.
    """
    allow(request, "GET")
    profile = ctx.profile
    body: dict[str, Any] = {
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
    return json_response(200, body)


def admins(ctx: Context, request: Request) -> Response:
    """``GET /admins``: ``admin.list`` (``display_avatar`` is accepted and changes nothing).

    :param ctx: the workspace.
    :param request: the request.
    """
    allow(request, "GET")
    return json_response(200, {"type": "admin.list", "admins": ctx.workspace.admins()})


def teams(ctx: Context, request: Request) -> Response:
    """``GET /teams``: ``team.list``.

    :param ctx: the workspace.
    :param request: the request.
    """
    allow(request, "GET")
    return json_response(200, {"type": "team.list", "teams": ctx.workspace.teams()})


def tags(ctx: Context, request: Request) -> Response:
    """``GET /tags``: every tag of the workspace, as the description's ``tag_list``.

    :param ctx: the workspace.
    :param request: the request.
    """
    allow(request, "GET")
    return json_response(200, {"type": "list", "data": ctx.workspace.tags()})
