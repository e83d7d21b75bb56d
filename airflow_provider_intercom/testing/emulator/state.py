"""The state API of :class:`~.core.IntercomEmulator`: what tests use to set data up and read it back.

These methods act on the store directly: no request, no rate limit, no fault, no latency. They are
defined here (a mixin) to keep :mod:`.core` about the server's settings and lifecycle, and are
used as ``emu.set_conversation(...)``, ``emu.parts(...)`` and so on.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_intercom.testing.emulator.mutations import (
    admin_part,
    append_part,
    set_assignee,
    set_state,
)
from airflow_provider_intercom.testing.emulator.search import compile_query
from airflow_provider_intercom.testing.emulator.store import Conversation, ConversationStore, PartIds
from airflow_provider_intercom.testing.emulator.workspace import Workspace

__all__ = ["ConversationState"]


def _parts(conversation: Conversation) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = conversation["conversation_parts"]["conversation_parts"]
    return parts


class ConversationState:
    """Set up and read the emulator's conversations and workspace (mixed into the emulator)."""

    _store: ConversationStore
    _workspace: Workspace
    admin_id: str

    # ----------------------------------------------------------------- reading

    def conversation_ids(self, query: Mapping[str, Any] | None = None) -> list[str]:
        """Ids of the stored (not deleted) conversations, in ascending numeric order.

        :param query: only those matching this search query, in the language of
            ``POST /conversations/search`` (e.g. ``{"field": "state", "operator": "=", "value":
            "open"}``, or an ``AND``/``OR`` group); matched against the data as it is now.
        :raises ApiError: when the query is invalid, as the endpoint would answer 400.
        """
        if query is None:
            return self._store.ids()
        return self._store.select(compile_query(dict(query)))

    def get(self, conversation_id: str | int) -> dict[str, Any]:
        """A deep copy of a stored conversation, with every part (``GET`` shows the newest 500).

        :param conversation_id: the conversation's id.
        :raises KeyError: when there is no such conversation.
        """
        return self._store.get(str(conversation_id))

    def parts(
        self, conversation_id: str | int, part_type: str | None = None, *, author_id: str | None = None
    ) -> list[dict[str, Any]]:
        """A conversation's parts, oldest first (every one, beyond the 500 that ``GET`` shows).

        :param conversation_id: the conversation's id.
        :param part_type: only parts of this ``part_type`` (``"note"``, ``"close"``, ...).
        :param author_id: only parts by this author.
        :raises KeyError: when there is no such conversation.
        """
        return [
            part
            for part in _parts(self.get(conversation_id))
            if (part_type is None or part["part_type"] == part_type)
            and (author_id is None or part["author"]["id"] == author_id)
        ]

    def count_parts(
        self, conversation_id: str | int, part_type: str | None = None, *, author_id: str | None = None
    ) -> int:
        """How many parts a conversation has, of a type and by an author if given.

        :param conversation_id: the conversation's id.
        :param part_type: only parts of this ``part_type``.
        :param author_id: only parts by this author.
        :raises KeyError: when there is no such conversation.
        """
        return len(self.parts(conversation_id, part_type, author_id=author_id))

    def admins(self) -> list[dict[str, Any]]:
        """The workspace's admins, as ``GET /admins`` lists them."""
        return self._workspace.admins()

    def teams(self) -> list[dict[str, Any]]:
        """The workspace's teams, as ``GET /teams`` lists them."""
        return self._workspace.teams()

    def tags(self) -> list[dict[str, Any]]:
        """The workspace's tags, as ``GET /tags`` lists them."""
        return self._workspace.tags()

    # ----------------------------------------------------------------- setting up

    def add_tag(self, name: str, tag_id: str | None = None) -> dict[str, Any]:
        """Create a tag in the workspace.

        :param name: its name (another tag may have the same name in another case).
        :param tag_id: its id; the next free number when ``None``.
        :return: the tag.
        :raises ValueError: when the id is taken.
        """
        return self._workspace.add_tag(name, tag_id)

    def set_conversation(
        self,
        conversation_id: str | int,
        *,
        state: str | None = None,
        snoozed_until: int | None = None,
        admin_assignee_id: str | int | None = None,
        team_assignee_id: str | int | None = None,
        tags: Sequence[str] | None = None,
        read: bool | None = None,
        updated_at: int | None = None,
    ) -> dict[str, Any]:
        """Put a conversation in a given state before a run, without adding any part.

        Arguments left ``None`` are unchanged.

        :param conversation_id: the conversation's id.
        :param state: ``"open"``, ``"closed"`` or ``"snoozed"``; closing or opening clears the snooze.
        :param snoozed_until: UNIX seconds; implies ``state="snoozed"``, which needs it.
        :param admin_assignee_id: the assigned admin; ``"0"`` (or 0) unassigns, as in the API.
        :param team_assignee_id: the assigned team; ``"0"`` (or 0) unassigns.
        :param tags: the tags it carries from now on, by id or exact name (replacing the others),
            applied by the token's admin.
        :param read: whether it is read.
        :param updated_at: UNIX seconds (e.g. to make it look untouched for a while).
        :return: a deep copy of the conversation afterwards.
        :raises KeyError: when there is no such conversation, or no such tag.
        :raises ValueError: for an unknown state, or a snooze without its end.
        """
        now = int(time.time())
        resolved = None if tags is None else [self._workspace.resolve_tag(tag) for tag in tags]
        if snoozed_until is not None and state is None:
            state = "snoozed"

        def change(conversation: Conversation, _ids: PartIds) -> None:
            if state is not None:
                set_state(conversation, state, snoozed_until)
            for kind, assignee in (("admin", admin_assignee_id), ("team", team_assignee_id)):
                if assignee is not None:
                    set_assignee(conversation, kind, None if str(assignee) == "0" else str(assignee))
            if resolved is not None:
                applied_by = {"type": "admin", "id": self.admin_id}
                conversation["tags"]["tags"] = [{**t, "applied_at": now, "applied_by": applied_by} for t in resolved]
            if read is not None:
                conversation["read"] = read
            if updated_at is not None:
                conversation["updated_at"] = updated_at

        self._store.apply(str(conversation_id), change)
        return self.get(conversation_id)

    def add_parts(
        self,
        conversation_id: str | int,
        count: int,
        *,
        part_type: str = "comment",
        body: str = "Filler",
        admin_id: str | None = None,
        created_at: int | None = None,
    ) -> None:
        """Append admin parts, e.g. to push a conversation past the 500 parts ``GET`` shows.

        :param conversation_id: the conversation's id.
        :param count: how many.
        :param part_type: their ``part_type``.
        :param body: their body as sent (stored as Intercom would, e.g. ``<p>Filler</p>``).
        :param admin_id: their author; the token's admin when ``None``.
        :param created_at: their ``created_at``; now when ``None``.
        :raises KeyError: when there is no such conversation or admin.
        """
        author = self._workspace.admin(self.admin_id if admin_id is None else admin_id)
        if author is None:
            raise KeyError(f"no admin {admin_id!r}")
        at = int(time.time()) if created_at is None else created_at

        def change(conversation: Conversation, part_ids: PartIds) -> None:
            for _ in range(count):
                append_part(conversation, admin_part(part_ids(), part_type, copy.copy(author), at, body), at)

        self._store.apply(str(conversation_id), change)
