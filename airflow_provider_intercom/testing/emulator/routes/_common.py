"""What every endpoint module shares: its context, and the errors and parsing they have in common."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from airflow_provider_intercom.testing.emulator.messages import ApiError
from airflow_provider_intercom.testing.emulator.store import ConversationStore
from airflow_provider_intercom.testing.emulator.workspace import Workspace

__all__ = ["AppProfile", "Context", "Request", "allow", "last", "not_found"]


class AppProfile(Protocol):
    """The workspace, app and admin that ``GET /me`` describes."""

    region: str
    app_id_code: str
    app_name: str
    admin_id: str
    admin_name: str
    admin_email: str


@dataclass(frozen=True)
class Context:
    """What the endpoints answer from.

    :param store: the conversations.
    :param workspace: admins, teams and tags.
    :param profile: what ``GET /me`` reports.
    :param clock: UNIX time now (injected, so tests can move it).
    """

    store: ConversationStore
    workspace: Workspace
    profile: AppProfile
    clock: Callable[[], float]


@dataclass(frozen=True)
class Request:
    """One request, as the endpoints see it.

    :param method: the HTTP method.
    :param path: the path, without query string.
    :param query: the parsed query string.
    :param raw: the raw body.
    :param body: the body parsed as JSON, the text when it is not JSON, ``None`` when empty.
    :param match: the path's match, whose groups are the ids in it.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    raw: bytes
    body: Any
    match: re.Match[str]


def not_found(message: str = "Resource Not Found") -> ApiError:
    """404 ``not_found``, worded as the description's examples of the endpoint.

    :param message: the message.
    """
    return ApiError(404, "not_found", message)


def last(query: dict[str, list[str]], name: str) -> str | None:
    """The last value of a query parameter, ``None`` when absent.

    :param query: the parsed query string.
    :param name: the parameter.
    """
    values = query.get(name)
    return values[-1] if values else None


def allow(request: Request, *allowed: str) -> None:
    """Refuse a method the endpoint does not support, as Intercom does: 404 ``not_found``.

    :param request: the request.
    :param allowed: the methods it supports.
    """
    if request.method not in allowed:
        raise ApiError(404, "not_found", f"{request.method} is not supported on {request.path}")
