"""The progress of a bulk run, kept in a key-value store so that a later try can continue it.

One concept serves every action: which ids an earlier try confirmed (a resume checkpoint), and,
for messages, which ids it may have started to send (a write-ahead record, see
:mod:`airflow_provider_intercom.client._message`). :func:`open_progress` reads the store once at
the start of a try and decides whether to continue (:func:`._checkpoint.decide`); the returned
:class:`Progress` then records progress from the runner's main thread. Encodings, fingerprints and
the decision are pure functions in :mod:`._checkpoint`.

The store is a small protocol (:class:`StateStore`); nothing here imports Airflow.
:mod:`airflow_provider_intercom.operators._resume` adapts Airflow's task state store to it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import timedelta
from typing import Any, Protocol

from airflow_provider_intercom.bulk import _checkpoint as ck
from airflow_provider_intercom.client.facts import MESSAGE_RECORD_RETENTION_DAYS

__all__ = ["META_KEY", "Progress", "StateStore", "StoreError", "forget", "open_progress"]

#: The store key of the meta record; the parts live under ``META_KEY + "/..."``.
META_KEY = "intercom_bulk"
#: Retention of a tombstone, on a store that cannot delete keys.
TOMBSTONE_RETENTION = timedelta(hours=1)
#: Retention of the record a message run that succeeded keeps of what it posted.
MESSAGE_RECORD_RETENTION = timedelta(days=MESSAGE_RECORD_RETENTION_DAYS)


class StoreError(Exception):
    """The store could not be read or written (what its adapter raises for any failure of it)."""


#: What reading a record can raise: the store's failure, and a malformed record's (a missing key,
#: a wrong type, an undecodable part). Anything else is a bug, and fails the task.
_READ_ERRORS: tuple[type[Exception], ...] = (StoreError, ck.CheckpointError, KeyError, TypeError, ValueError)


class _Log(Protocol):
    def info(self, msg: Any, /, *args: Any) -> Any: ...

    def warning(self, msg: Any, /, *args: Any) -> Any: ...


class StateStore(Protocol):
    """A key-value store scoped to one task instance, kept across its tries.

    Every method raises :class:`StoreError` when the store fails; ``delete`` is optional.
    """

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any, *, retention: timedelta | None = None) -> None: ...


def _ids_key(index: int) -> str:
    return f"{META_KEY}/ids/{index}"


def _done_key(generation: int, index: int) -> str:
    return f"{META_KEY}/done/{generation}/{index}"


def _part_keys(meta: Mapping[str, Any]) -> list[str]:
    """Every key a meta record points at, for deletion."""
    keys: list[str] = []
    ids, done = meta.get("ids"), meta.get("done")
    if isinstance(ids, dict) and isinstance(ids.get("parts"), int):
        keys += [_ids_key(i) for i in range(ids["parts"])]
    if isinstance(done, dict) and isinstance(done.get("max_parts"), int):
        # Both generations: the one not in use holds the record before the last.
        keys += [_done_key(gen, i) for gen in (0, 1) for i in range(done["max_parts"])]
    return keys


class Progress:
    """What a bulk run reads and writes of its progress. Without a store it keeps nothing.

    :param store: the store, or None to keep nothing.
    :param fingerprint: :func:`~airflow_provider_intercom.bulk._checkpoint.fingerprint` of the input.
    :param ids: the ids of the run, if known (given, or read back from the checkpoint).
    :param done: indexes confirmed by an earlier try.
    :param meta: the meta record in the store that this run continues, if any.
    :param log: where warnings about the store go.
    :param total: how many ids the run has, if known; a snapshot of another length is not saved.
    """

    def __init__(
        self,
        store: StateStore | None = None,
        *,
        fingerprint: str = "",
        ids: list[str] | None = None,
        done: AbstractSet[int] = frozenset(),
        meta: dict[str, Any] | None = None,
        log: _Log | None = None,
        total: int | None = None,
    ) -> None:
        self._store = store
        self._fingerprint = fingerprint
        #: The ids of a search-driven run read back from the checkpoint; None when unknown.
        self.ids = ids
        self._done = done
        self._meta = meta
        self._log = log
        self._total = total
        self._last: bytes | None = None
        #: How many values this checkpoint wrote to the store (for tests and bounded-rate checks).
        self.writes = 0
        #: Messages: ids with a lower index may have been sent by an earlier try, and are read
        #: back before their send; :attr:`read_all` reads back every id.
        self.read_below = 0
        self.read_all = False
        #: Messages: UNIX seconds from which an earlier try may have sent them.
        self.read_after = 0.0
        #: Whether this continues the record of an earlier try.
        self.resumed = False

    def record_ids(self, ids: Sequence[str]) -> None:
        """Remember the ids a search resolved to, at once, so that a retry does not search again.

        :param ids: the validated ids of the search.
        """
        self.ids = list(ids)
        if self._store is None:
            return
        text = ck.encode_ids(self.ids)
        parts = ck.split_parts(text)
        meta: dict[str, Any] = {
            "format": ck.FORMAT,
            "fingerprint": self._fingerprint,
            "total": len(self.ids),
            "ids": {"parts": len(parts), "sha256": ck.digest(text)},
            "done": None,
        }
        self._write([*((_ids_key(i), part) for i, part in enumerate(parts)), (META_KEY, meta)])
        self._meta = meta

    def done(self, total: int) -> AbstractSet[int]:
        """Indexes an earlier try confirmed.

        :param total: how many ids the run has (checked against the record).
        """
        return self._done if all(index < total for index in self._done) else frozenset()

    def save(self, confirmed: bytes) -> None:
        """Record the confirmed ids (one byte per id); nothing is written when nothing changed.

        :param confirmed: one byte per id, non-zero once Intercom confirmed it.
        """
        if self._store is None or confirmed == self._last:
            return
        expected = self._expected_total()
        if expected is not None and len(confirmed) != expected:
            # A snapshot of another run's size (a bug upstream) would overwrite the record of this
            # one, and a retry would resume from it: keep the consistent record instead.
            if self._log is not None:
                self._log.warning(
                    "Not saving the resume checkpoint: the snapshot covers %d ids, the run has %d.",
                    len(confirmed),
                    expected,
                )
            return
        if self._last is None and not any(confirmed) and self._meta is None:
            self._last = confirmed
            return  # nothing done yet and nothing stored: an empty record tells a retry nothing
        text = ck.encode_bitmap(confirmed)
        parts = ck.split_parts(text)
        previous = (self._meta or {}).get("done")
        generation = 1 - previous["gen"] if isinstance(previous, dict) and previous.get("gen") in (0, 1) else 0
        meta = dict(self._meta or {"format": ck.FORMAT, "fingerprint": self._fingerprint, "ids": None})
        meta["total"] = len(confirmed)
        meta["done"] = {
            "gen": generation,
            "parts": len(parts),
            "sha256": ck.digest(text),
            "count": sum(1 for byte in confirmed if byte),
            "max_parts": max(len(parts), previous.get("max_parts", 1) if isinstance(previous, dict) else 1),
        }
        if self._write([*((_done_key(generation, i), part) for i, part in enumerate(parts)), (META_KEY, meta)]):
            self._meta = meta
            self._last = confirmed

    def start(self, upto: int) -> bool:
        """Write-ahead: record that ids with an index below ``upto`` may be sent from now on.

        :param upto: the bound.
        :return: whether the record was written (always True without a store).
        """
        if self._store is None:
            return True
        meta = dict(self._meta or {"format": ck.FORMAT, "fingerprint": self._fingerprint, "ids": None, "done": None})
        meta.setdefault("total", self._expected_total())
        meta["started"] = max(int(meta.get("started") or 0), upto)
        meta.setdefault("first_sent", time.time())
        if self._write([(META_KEY, meta)]):
            self._meta = meta
            return True
        return False

    def keep(self, confirmed: bytes) -> None:
        """A message run succeeded: keep what it posted, with a retention, instead of forgetting it.

        :param confirmed: one byte per id, non-zero once posted (or found posted).
        """
        if self._store is None:
            return
        self.save(confirmed)
        if self._meta is None or self._meta.get("done") is None:
            return  # not one id posted: nothing to keep
        meta = {**self._meta, "complete": True}
        try:
            self._store.set(META_KEY, meta, retention=MESSAGE_RECORD_RETENTION)
        except StoreError as err:
            if self._log is not None:  # the record stays, unmarked: a clear reads back instead of resuming
                self._log.warning("Could not mark the record of what was posted as complete: %s", err)
            return
        self._meta = meta

    def _expected_total(self) -> int | None:
        """How many ids a snapshot must cover: the stored record's, else the known ids'."""
        total = (self._meta or {}).get("total")
        if isinstance(total, int) and not isinstance(total, bool):
            return total
        return len(self.ids) if self.ids is not None else self._total

    def clear(self) -> None:
        """Forget the checkpoint: the run succeeded, and a later run must send everything again."""
        if self._store is None:
            return
        forget(self._store, self._meta, self._log)
        self._meta = None

    def _write(self, items: Sequence[tuple[str, Any]]) -> bool:
        assert self._store is not None
        try:
            for key, value in items:
                self._store.set(key, value)
                self.writes += 1
        except StoreError as err:  # a lost checkpoint only costs re-sends
            if self._log is not None:
                self._log.warning("Could not write the resume checkpoint (a retry may re-send more): %s", err)
            return False
        return True


def forget(store: StateStore, meta: Mapping[str, Any] | None, log: _Log | None) -> None:
    """Delete a checkpoint (the meta first, so nothing resumes from a half-deleted one).

    On a store without ``delete``, the meta is overwritten with a short-lived tombstone instead.

    :param store: the store.
    :param meta: the stored meta record, whose parts are deleted too; None deletes the meta only.
    :param log: where a failure is reported.
    """
    delete = getattr(store, "delete", None)
    try:
        if delete is None:
            store.set(META_KEY, {"format": ck.FORMAT, "complete": True}, retention=TOMBSTONE_RETENTION)
            return
        delete(META_KEY)
        for key in _part_keys(meta or {}):
            delete(key)
    except StoreError as err:
        if log is not None:
            log.warning("Could not delete the resume checkpoint: %s", err)
        with contextlib.suppress(StoreError):
            store.set(META_KEY, {"format": ck.FORMAT, "complete": True}, retention=TOMBSTONE_RETENTION)


def open_progress(
    store: StateStore,
    *,
    enabled: bool,
    ids: Sequence[str] | None,
    query: Mapping[str, Any] | None,
    body: Mapping[str, Any],
    try_number: int,
    log: _Log,
    messages: bool = False,
    no_record_note: str = "",
) -> Progress:
    """The progress of this try: continued from an earlier try's record when that is safe.

    Logs one line when a try resumes, or starts over from a record it cannot use.

    :param store: the store.
    :param enabled: whether to keep progress; False also discards a stored record.
    :param ids: the given ids, or None for a search-driven run.
    :param query: the search query of a search-driven run.
    :param body: what identifies the request (:attr:`.ConversationRequest.identity`).
    :param try_number: this try's number (1 for the first).
    :param log: where to say whether the run resumes.
    :param messages: the run posts messages: a record kept after success is continued too, and the
        write-ahead record tells which ids to read back (:attr:`Progress.read_below`).
    :param no_record_note: added to the log line of a retry that finds no record (why it may be gone).
    """
    try:
        meta = store.get(META_KEY)
    except StoreError as err:  # an unreadable store means starting over
        log.warning("Starting over: the resume checkpoint could not be read (%s).", err)
        return Progress(store, fingerprint=ck.fingerprint(ids, query, body), log=log) if enabled else Progress()
    if not enabled:
        if meta is not None:
            forget(store, meta if isinstance(meta, dict) else None, log)
            log.info("resume=False: discarded the stored checkpoint; every id is sent.")
        return Progress()
    fingerprint = ck.fingerprint(ids, query, body)
    decision = ck.decide(meta, fingerprint, try_number, messages=messages)
    if decision.resume:
        try:
            return _resume(store, meta, fingerprint, ids, log, messages=messages)
        except _READ_ERRORS as err:  # undecodable, inconsistent or unreadable: send again
            decision = ck.Decision(False, f"the checkpoint is inconsistent or unreadable ({err!r})")
    if meta is not None:
        forget(store, meta if isinstance(meta, dict) else None, log)
    if decision.reason:
        note = no_record_note if meta is None else ""
        then = "; what an earlier try may have posted is read back first" if messages else "; every id is sent"
        log.info("Try %d starts over: %s%s%s.", try_number, decision.reason, note, then)
    return Progress(store, fingerprint=fingerprint, log=log, total=len(ids) if ids is not None else None)


def _resume(
    store: StateStore, meta: dict[str, Any], fingerprint: str, ids: Sequence[str] | None, log: _Log, *, messages: bool
) -> Progress:
    """Read back the ids (search runs) and the done record that ``meta`` points at."""
    total: int = meta["total"]
    found = list(ids) if ids is not None else None
    if found is None:
        stored_ids = meta.get("ids")
        if not isinstance(stored_ids, dict):
            raise ck.CheckpointError("a search-driven checkpoint without its ids")
        text = ck.join_parts([store.get(_ids_key(i)) for i in range(int(stored_ids["parts"]))], stored_ids["sha256"])
        found = ck.decode_ids(text, total)
    elif len(found) != total:
        raise ck.CheckpointError(f"{total} ids in the checkpoint, {len(found)} given")
    done_meta = meta.get("done")
    done: AbstractSet[int] = frozenset()
    if isinstance(done_meta, dict):
        parts = [store.get(_done_key(done_meta["gen"], i)) for i in range(int(done_meta["parts"]))]
        done = ck.decode_done(ck.join_parts(parts, done_meta["sha256"]), total)
        if len(done) != done_meta.get("count"):
            raise ck.CheckpointError("the done count does not match the bitmap")
    log.info(
        "Resuming from the checkpoint of an earlier try: %d of %d conversations were done before, %d remain.",
        len(done),
        total,
        total - len(done),
    )
    progress = Progress(
        store, fingerprint=fingerprint, ids=found if ids is None else None, done=done, meta=meta, log=log
    )
    progress.resumed = True
    if messages:
        progress.read_below = int(meta.get("started") or 0)
        progress.read_after = float(meta.get("first_sent") or 0.0)
    return progress
