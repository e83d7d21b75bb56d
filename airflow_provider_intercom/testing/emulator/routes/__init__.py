"""Request dispatch: which endpoint module answers which path.

One module per resource: :mod:`.conversations` (``GET``/``PUT``/``DELETE /conversations/{id}``,
``POST /conversations/search``), :mod:`.actions` (``POST /conversations/{id}/parts``,
``/reply``, ``/tags``, ``DELETE /conversations/{id}/tags/{tag_id}``) and :mod:`.workspace`
(``GET /me``, ``/admins``, ``/teams``, ``/tags``). Anything else is 404 ``not_found``, a known
path with another method included: Intercom's reference page "HTTP responses" says that a method
an endpoint does not support also returns 404.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from airflow_provider_intercom.testing.emulator.messages import Response
from airflow_provider_intercom.testing.emulator.routes import actions, conversations, workspace
from airflow_provider_intercom.testing.emulator.routes._common import AppProfile, Context, Request, not_found
from airflow_provider_intercom.testing.emulator.store import ConversationStore
from airflow_provider_intercom.testing.emulator.workspace import Workspace

__all__ = ["AppProfile", "Router"]

_Handler = Callable[[Context, Request], Response]
# Conversation ids are numbers (the description declares some of these path parameters integers,
# others strings; a path whose id is not a number names nothing, and falls through to 404).
_ROUTES: list[tuple[re.Pattern[str], _Handler]] = [
    (re.compile(r"/me"), workspace.me),
    (re.compile(r"/admins"), workspace.admins),
    (re.compile(r"/teams"), workspace.teams),
    (re.compile(r"/tags"), workspace.tags),
    (re.compile(r"/conversations/search"), conversations.search),
    (re.compile(r"/conversations/(\d+)"), conversations.conversation),
    (re.compile(r"/conversations/(\d+)/parts"), actions.manage),
    (re.compile(r"/conversations/(\d+)/reply"), actions.reply),
    (re.compile(r"/conversations/(\d+)/tags"), actions.tag),
    (re.compile(r"/conversations/(\d+)/tags/([^/]+)"), actions.untag),
]


class Router:
    """Answers authenticated, admitted requests.

    :param store: the conversations.
    :param workspace: admins, teams and tags.
    :param profile: what ``GET /me`` reports.
    :param clock: UNIX time now.
    """

    def __init__(
        self,
        store: ConversationStore,
        workspace: Workspace,
        profile: AppProfile,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._context = Context(store, workspace, profile, clock)

    def route(self, method: str, path: str, query: dict[str, list[str]], raw: bytes, body: Any) -> Response:
        """Answer one request.

        :param method: the HTTP method.
        :param path: the path, without query string.
        :param query: the parsed query string.
        :param raw: the raw body.
        :param body: the body parsed as JSON, the text when it is not JSON, ``None`` when empty.
        :raises ApiError: for every error answer.
        """
        for pattern, handler in _ROUTES:
            match = pattern.fullmatch(path)
            if match is not None:
                return handler(self._context, Request(method, path, query, raw, body, match))
        raise not_found()
