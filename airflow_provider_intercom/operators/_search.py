"""Collecting a search's ids, with progress in the task log while it pages.

Intercom's search is eventually consistent, so the bulk operators collect every id first and then
act: what was matched is what gets acted on. Only ids are kept, never whole conversations.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from airflow_provider_intercom.client._validation import validate_conversation_ids
from airflow_provider_intercom.hooks.intercom import IntercomHook


class _Log(Protocol):
    def info(self, msg: Any, /, *args: Any) -> Any: ...


def search_ids(
    hook: IntercomHook,
    query: Mapping[str, Any],
    *,
    log: _Log,
    progress_interval: float,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """Every id a search matches, in Intercom's order, logging progress while it pages.

    :param hook: the task's hook.
    :param query: a validated search query.
    :param log: where progress goes.
    :param progress_interval: seconds between progress lines.
    :param clock: monotonic seconds.
    :raises IntercomValidationError: if Intercom answered an id that is not one.
    """
    started = clock()
    next_line = started + progress_interval
    found: list[Any] = []
    total: Any = None
    for page in hook.client.search_pages(query):
        found.extend(conversation.get("id") for conversation in page["conversations"])
        total = page.get("total_count", total)
        if clock() >= next_line:
            log.info(
                "Intercom search: %d of %s matches collected so far (%.0fs).", len(found), total, clock() - started
            )
            next_line = clock() + progress_interval
    log.info("Intercom search matched %d conversations in %.1fs.", len(found), clock() - started)
    return validate_conversation_ids(found, where="search result") if found else []
