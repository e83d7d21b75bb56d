"""Durable bulk runs: where a retried task finds what the last try confirmed.

PLACEHOLDER: resume is not implemented yet; every run starts over (updates are idempotent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from airflow_provider_intercom._compat import Context


class _Log(Protocol):
    def info(self, msg: Any, /, *args: Any) -> Any: ...


class Checkpoint:
    """What a bulk run reads and writes of its progress; this one keeps nothing."""

    ids: list[str] | None = None

    def record_ids(self, ids: Sequence[str]) -> None:
        """Remember the ids a search resolved to, so that a retry does not search again."""

    def done(self, total: int) -> frozenset[int]:
        """Indexes an earlier try confirmed."""
        return frozenset()

    def save(self, confirmed: bytes) -> None:
        """Record the confirmed ids (one byte per id)."""

    def clear(self) -> None:
        """Forget the checkpoint: the run succeeded."""


def open_checkpoint(
    context: Context,
    *,
    enabled: bool,
    ids: Sequence[str] | None,
    query: Mapping[str, Any] | None,
    body: Mapping[str, Any],
    log: _Log,
) -> Checkpoint:
    """The checkpoint of this task's run.

    :param context: the Airflow task context.
    :param enabled: the operator's ``resume``.
    :param ids: the given ids, or None for a search-driven run.
    :param query: the search query of a search-driven run.
    :param body: the update body.
    :param log: where to say whether the run resumes.
    """
    return Checkpoint()
