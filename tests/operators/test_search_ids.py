"""Collecting a search's matches keeps ids only: a million matches must not mean a million dicts."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from airflow_provider_intercom.operators._search import search_ids

PAGES, PER_PAGE = 60, 150


class _Quiet:
    def info(self, msg: Any, /, *args: Any) -> None:
        pass


def _pages(query: Any) -> Iterator[dict[str, Any]]:
    # Built one page at a time, as the client fetches them: each conversation about 4 KB.
    for page in range(PAGES):
        conversations = [
            {
                "type": "conversation",
                "id": str(10**9 + page * PER_PAGE + i),
                "source": {"body": f"{page}.{i} " + "x" * 4_000},
            }
            for i in range(PER_PAGE)
        ]
        yield {"conversations": conversations, "total_count": PAGES * PER_PAGE}


def test_a_search_keeps_ids_not_conversations() -> None:
    hook: Any = SimpleNamespace(client=SimpleNamespace(search_pages=_pages))
    gc.collect()
    tracemalloc.start()
    try:
        ids = search_ids(hook, {"field": "state", "operator": "=", "value": "open"}, log=_Quiet(), progress_interval=60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert ids == [str(10**9 + n) for n in range(PAGES * PER_PAGE)]
    assert all(type(cid) is str for cid in ids)
    # A page or two of conversations at a time, never all 60 (40 MB when each page is kept).
    assert peak < 10 * PER_PAGE * 4_500, peak
