"""Helpers shared by the emulator's tests."""

from __future__ import annotations

import math
import time
from typing import Any

import requests

from airflow_provider_intercom.testing.emulator import IntercomEmulator


def session_for(emu: IntercomEmulator, token: str | None = None) -> requests.Session:
    """A session that authenticates as one of the emulator's apps (the first by default)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {emu.token if token is None else token}"
    return session


def at_window_start(window: int, offset: float = 0.02) -> None:
    """Sleep until ``offset`` seconds after the next aligned window starts."""
    now = time.time()
    time.sleep(math.floor(now / window) * window + window - now + offset)


def window_of(moment: float, window: int) -> int:
    """The start of the aligned window holding a UNIX time."""
    return math.floor(moment / window) * window


def search_all(
    client: requests.Session, url: str, query: Any, per_page: int = 150, starting_after: str | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Page through a search; return the ids in the order served, and every page's body."""
    ids: list[str] = []
    bodies: list[dict[str, Any]] = []
    pagination: dict[str, Any] = {"per_page": per_page}
    if starting_after is not None:
        pagination["starting_after"] = starting_after
    while True:
        response = client.post(f"{url}/conversations/search", json={"query": query, "pagination": pagination})
        assert response.status_code == 200, response.text
        body = response.json()
        bodies.append(body)
        ids.extend(item["id"] for item in body["conversations"])
        following = body["pages"].get("next")
        if following is None:
            return ids, bodies
        pagination = {"per_page": per_page, "starting_after": following["starting_after"]}


def search_order(emu: IntercomEmulator, ids: list[str] | None = None) -> list[str]:
    """Ids in the emulator's search order: ``updated_at``, then numeric id."""
    chosen = emu.conversation_ids() if ids is None else ids
    return sorted(chosen, key=lambda i: (emu.get(i)["updated_at"], int(i)))
