"""What happened to each id of a bulk run, in memory that does not grow with successes.

An updated id costs one byte: its flag in :attr:`Outcomes.confirmed`, the same one-byte-per-id
record that checkpoints save. Only the ids that need attention, the failed and the skipped, keep
an entry. The per-id entries of updated ids (the trimmed answer, ``{"id", "verified": true}``,
``{"id", "resumed": true}``) are kept only while they fit the full summary's budget
(:data:`~airflow_provider_intercom.client.facts.FULL_SUMMARY_BYTES`); past it they are dropped,
and the summary lists updated ids as ranges of input positions instead (:mod:`._summary`).
State is changed from the engine's event loop only.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from airflow_provider_intercom.bulk._bitmap import done_flags, indexes

__all__ = ["Outcomes"]


def entry_size(entry: dict[str, Any]) -> int:
    """About the bytes an entry adds to a JSON list: its JSON and the separator.

    :param entry: a summary entry.
    """
    return len(json.dumps(entry, default=str)) + 2


class Outcomes:
    """Each id's outcome: confirmed (a byte), failed or skipped (an entry), or not finished.

    :param conversation_ids: the run's ids.
    :param done: what an earlier try confirmed (see :func:`~._bitmap.done_flags`).
    :param budget: bytes of updated entries to keep; None keeps every one (``summary="full"``).
    """

    def __init__(
        self,
        conversation_ids: Sequence[str],
        done: bytes | bytearray | Collection[int] = b"",
        *,
        budget: int | None = None,
    ) -> None:
        self.total = len(conversation_ids)
        #: One byte per id: 1 once Intercom confirmed it (or an earlier try did).
        self.confirmed = done_flags(done, self.total)
        #: Ids confirmed by an earlier try.
        self.resumed = self.total - self.confirmed.count(0)
        #: Messages found posted by a read-back after their answer was lost.
        self.verified = 0
        #: The failed and skipped ids, by index: ("failed" | "skipped", entry).
        self.problems: dict[int, tuple[str, dict[str, Any]]] = {}
        self._budget = budget
        self._size = 0
        #: The entries of updated ids by index, while they fit the budget; None once they do not.
        self.entries: dict[int, dict[str, Any]] | None = {}
        for index in indexes(self.confirmed, 1):
            if self.entries is None:
                break
            self._keep(index, {"id": conversation_ids[index], "resumed": True})

    @property
    def keeping(self) -> bool:
        """Whether the entries of updated ids are still kept (the summary will be in full)."""
        return self.entries is not None

    def updated(self, index: int, entry: dict[str, Any] | None, *, verified: bool = False) -> None:
        """Intercom confirmed the id.

        :param index: the id's index.
        :param entry: its summary entry; needed only while :attr:`keeping`.
        :param verified: a read-back found the message posted.
        """
        self.confirmed[index] = 1
        self.verified += verified
        if entry is not None:
            self._keep(index, entry)

    def ended(self, index: int, kind: str, entry: dict[str, Any], *, confirmed: bool = False) -> None:
        """The id failed or was skipped.

        :param index: the id's index.
        :param kind: ``"failed"`` or ``"skipped"``.
        :param entry: its summary entry.
        :param confirmed: the action is in effect (already done), so a retry need not send it.
        """
        self.problems[index] = (kind, entry)
        if confirmed:
            self.confirmed[index] = 1

    def settled(self, index: int) -> bool:
        """Whether the id has an outcome (confirmed, failed or skipped).

        :param index: the id's position in the run.
        """
        return bool(self.confirmed[index]) or index in self.problems

    def updated_flags(self) -> bytearray:
        """One byte per id, 1 when it counts as updated: confirmed, and not skipped."""
        flags = bytearray(self.confirmed)
        for index in self.problems:
            flags[index] = 0
        return flags

    def updated_indexes(self) -> Iterator[int]:
        """The indexes of the updated ids, in input order."""
        return indexes(self.updated_flags(), 1)

    def attention(self) -> Iterator[tuple[int, str, dict[str, Any] | None]]:
        """The ids that are not updated, in input order: (index, kind, entry or None if never finished)."""
        for index in indexes(self.updated_flags(), 0):
            kind, entry = self.problems.get(index, ("failed", None))
            yield index, kind, entry

    def _keep(self, index: int, entry: dict[str, Any]) -> None:
        if self.entries is None:
            return
        if self._budget is not None:
            self._size += entry_size(entry)
            if self._size > self._budget:
                self.entries = None  # the summary will hold ranges: let every entry go
                return
        self.entries[index] = entry
