"""Paging through ``POST /conversations/search``: one page at a time, cursors checked.

Intercom's search pages hold at most 150 conversations and are linked by an opaque
``pages.next.starting_after`` cursor. A page is fetched only when the previous one has been
consumed, so a caller that keeps only ids never holds more than one page of conversations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_intercom.client._error import IntercomResponseError

JSON = dict[str, Any]
SEARCH_PATH = "/conversations/search"


def search_pages(
    request: Callable[..., JSON], query: JSON, per_page: int, *, conn_id: str | None = None
) -> Iterator[JSON]:
    """Yield each page of a search, whose ``conversations`` is a list.

    :param request: the client's ``request`` (method, path, ``json=``), retrying as it does.
    :param query: a validated search query.
    :param per_page: a validated page size.
    :param conn_id: the connection, named in errors.
    :raises IntercomResponseError: if a page has no conversation list, or a cursor repeats.
    """
    cursor: str | None = None
    seen_cursors: set[str] = set()
    while True:
        pagination: dict[str, Any] = {"per_page": per_page}
        if cursor:
            pagination["starting_after"] = cursor
        # A search only reads, so it is as safe to retry as a GET.
        page = request("POST", SEARCH_PATH, json={"query": query, "pagination": pagination})
        if not isinstance(page.get("conversations"), list):
            raise _error("answered a search without a 'conversations' list", conn_id)
        yield page
        next_page = (page.get("pages") or {}).get("next") or {}
        cursor = next_page.get("starting_after") if isinstance(next_page, dict) else None
        if not cursor:
            return
        if cursor in seen_cursors:
            raise _error(f"returned the search cursor {cursor!r} twice; stopping rather than looping forever", conn_id)
        seen_cursors.add(cursor)


def _error(message: str, conn_id: str | None) -> IntercomResponseError:
    return IntercomResponseError(message, method="POST", path=SEARCH_PATH, conn_id=conn_id)
