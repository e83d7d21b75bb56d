"""The workspace around the conversations: its admins, teams and tags.

Shapes follow ``components/schemas/admin``, ``team`` and ``tag`` of Intercom's API 2.16 and the
examples of ``GET /admins``, ``GET /teams`` and ``GET /tags``. The seeded tags include a pair of
names that differ only in case (``vip``, ``VIP``) and one whose only spelling is mixed-case
(``Needs-Review``), so that clients resolving tags by name meet both cases.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

__all__ = [
    "CONVERSATION_TAGS",
    "DEFAULT_ADMIN",
    "SEED_ADMINS",
    "SEED_TEAMS",
    "WORKSPACE_TAGS",
    "Workspace",
]

#: ``(id, name, email)`` of the seeded admins; the first owns the default token (``GET /me``).
SEED_ADMINS: tuple[tuple[int, str, str], ...] = (
    (991267459, "Ciaran Lee", "admin@emulator.example.com"),
    (991267653, "Aoife Byrne", "aoife@emulator.example.com"),
    (991267715, "Tomasz Nowak", "tomasz@emulator.example.com"),
    (991267801, "Priya Raman", "priya@emulator.example.com"),
    (991267877, "Mateo Silva", "mateo@emulator.example.com"),
)
DEFAULT_ADMIN: dict[str, str] = {"id": str(SEED_ADMINS[0][0]), "name": SEED_ADMINS[0][1], "email": SEED_ADMINS[0][2]}
#: ``(id, name, member admin ids)`` of the seeded teams.
SEED_TEAMS: tuple[tuple[int, str, tuple[int, ...]], ...] = (
    (5017691, "Support", (991267459, 991267653, 991267715)),
    (5017692, "Billing", (991267801,)),
    (5017693, "Escalations", (991267459, 991267877)),
)
#: ``(id, name)`` of the tags the seeded conversations carry.
CONVERSATION_TAGS: tuple[tuple[str, str], ...] = (
    ("81", "billing"),
    ("82", "bug"),
    ("83", "feature-request"),
    ("84", "vip"),
    ("85", "churn-risk"),
)
#: Every seeded tag of the workspace: the conversations' ones, plus a case variant and a mixed-case name.
WORKSPACE_TAGS: tuple[tuple[str, str], ...] = (*CONVERSATION_TAGS, ("86", "VIP"), ("87", "Needs-Review"))


def _admin(admin_id: int, name: str, email: str) -> dict[str, Any]:
    return {
        "type": "admin",
        "email": email,
        "id": str(admin_id),
        "name": name,
        "away_mode_enabled": False,
        "away_mode_reassign": False,
        "has_inbox_seat": True,
        "team_ids": [team_id for team_id, _, members in SEED_TEAMS if admin_id in members],
    }


class Workspace:
    """Admins, teams and tags, looked up by id; thread-safe (tags can be added at runtime).

    :param admin_id: id of the admin that owns the token; added to the seeded admins when new.
    :param admin_name: that admin's name.
    :param admin_email: that admin's email.
    """

    def __init__(self, admin_id: str, admin_name: str, admin_email: str) -> None:
        self._lock = threading.Lock()
        self._admins = {str(a[0]): _admin(*a) for a in SEED_ADMINS}
        if admin_id not in self._admins and admin_id.isdigit():
            self._admins = {admin_id: _admin(int(admin_id), admin_name, admin_email), **self._admins}
        self._teams = {
            str(team_id): {"type": "team", "id": str(team_id), "name": name, "admin_ids": list(members)}
            for team_id, name, members in SEED_TEAMS
        }
        self._tags = {tag_id: {"type": "tag", "id": tag_id, "name": name} for tag_id, name in WORKSPACE_TAGS}

    def admin(self, admin_id: str) -> dict[str, Any] | None:
        """An admin, or ``None`` when there is none with that id.

        :param admin_id: its id.
        """
        with self._lock:
            found = self._admins.get(admin_id)
            return None if found is None else copy.deepcopy(found)

    def team(self, team_id: str) -> dict[str, Any] | None:
        """A team, or ``None`` when there is none with that id.

        :param team_id: its id.
        """
        with self._lock:
            found = self._teams.get(team_id)
            return None if found is None else copy.deepcopy(found)

    def tag(self, tag_id: str) -> dict[str, Any] | None:
        """A tag (``type``, ``id``, ``name``), or ``None`` when there is none with that id.

        :param tag_id: its id.
        """
        with self._lock:
            found = self._tags.get(tag_id)
            return None if found is None else dict(found)

    def admins(self) -> list[dict[str, Any]]:
        """Every admin, the token's own first when it is not a seeded one."""
        with self._lock:
            return copy.deepcopy(list(self._admins.values()))

    def teams(self) -> list[dict[str, Any]]:
        """Every team."""
        with self._lock:
            return copy.deepcopy(list(self._teams.values()))

    def tags(self) -> list[dict[str, Any]]:
        """Every tag, in the order created."""
        with self._lock:
            return [dict(tag) for tag in self._tags.values()]

    def add_tag(self, name: str, tag_id: str | None = None) -> dict[str, Any]:
        """Create a tag.

        :param name: its name; names may repeat in another case, as Intercom allows.
        :param tag_id: its id; the next free number when ``None``.
        :raises ValueError: when the id is taken or not a number.
        """
        with self._lock:
            chosen = tag_id if tag_id is not None else str(max(int(key) for key in self._tags) + 1)
            if not chosen.isdigit() or chosen in self._tags:
                raise ValueError(f"tag id {chosen!r} is taken or not a number")
            self._tags[chosen] = {"type": "tag", "id": chosen, "name": name}
            return dict(self._tags[chosen])

    def resolve_tag(self, tag: str) -> dict[str, Any]:
        """A tag given by id or by exact name (for tests setting state up, not for requests).

        :param tag: an id or a name.
        :raises KeyError: when no tag has that id or name.
        """
        with self._lock:
            found = self._tags.get(tag) or next((t for t in self._tags.values() if t["name"] == tag), None)
            if found is None:
                raise KeyError(f"no tag with id or name {tag!r}")
            return dict(found)
