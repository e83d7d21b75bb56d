"""A bulk run's progress on a store: the write-ahead record of messages, and a store that fails."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from airflow_provider_intercom.bulk._progress import META_KEY, Progress, StoreError, open_progress


class Store:
    """A store in memory that fails every write once ``broken`` is set."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.retention: dict[str, timedelta | None] = {}
        self.broken = False

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any, *, retention: timedelta | None = None) -> None:
        if self.broken:
            raise StoreError("the store refused the write")
        self.values[key], self.retention[key] = value, retention


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: Any, /, *args: Any) -> None:
        self.lines.append(str(msg) % args)

    warning = info


def _open(store: Store, try_number: int = 1, **options: Any) -> Progress:
    return open_progress(
        store, enabled=True, ids=["1", "2", "3"], query=None, body={"b": 1}, try_number=try_number, log=Log(),
        messages=True, **options,
    )  # fmt: skip


def test_the_write_ahead_record_only_grows_and_a_retry_reads_back_below_it() -> None:
    store = Store()
    progress = _open(store)
    assert progress.start(2)
    assert progress.start(1)  # an older bound never lowers the record
    progress.save(b"\x01\x00\x00")
    assert store.values[META_KEY]["started"] == 2

    retry = _open(store, try_number=2)

    assert (retry.resumed, retry.read_below, retry.done(3)) == (True, 2, frozenset({0}))
    assert retry.read_after == store.values[META_KEY]["first_sent"]


def test_a_write_ahead_record_that_cannot_be_written_says_so() -> None:
    store = Store()
    progress = _open(store)
    store.broken = True
    assert not progress.start(2)


def test_a_message_run_that_succeeded_keeps_its_record_and_a_clear_sends_nothing_again() -> None:
    store = Store()
    progress = _open(store)
    progress.start(3)
    progress.keep(b"\x01\x01\x01")
    assert store.values[META_KEY]["complete"] is True
    assert store.retention[META_KEY] == timedelta(days=30)

    cleared = _open(store, try_number=2)

    assert cleared.done(3) == frozenset({0, 1, 2})


def test_a_record_that_cannot_be_marked_complete_is_reported() -> None:
    store, log = Store(), Log()
    progress = Progress(store, fingerprint="f", log=log, total=3)
    progress.save(b"\x01\x00\x00")
    store.broken = True
    progress.keep(b"\x01\x00\x00")
    assert any("could not mark the record" in line.lower() for line in log.lines)


def test_a_million_ids_resume_exactly_with_every_value_in_the_stores_limit() -> None:
    rng = random.Random(19)
    ids = [str(number) for number in rng.sample(range(10**11, 10**12), 1_000_000)]  # incompressible-ish
    confirmed = bytes(rng.getrandbits(1) for _ in ids)
    store = Store()
    first = open_progress(
        store, enabled=True, ids=ids, query=None, body={"read": True}, try_number=1, log=Log(), messages=True
    )
    first.start(len(ids))
    first.save(confirmed)

    retry = open_progress(
        store, enabled=True, ids=ids, query=None, body={"read": True}, try_number=2, log=Log(), messages=True
    )

    # Airflow's store refuses values over [state_store] max_value_storage_bytes, 65,535 by default.
    assert max(len(json.dumps(value)) for value in store.values.values()) <= 65_535
    assert retry.done(len(ids)) == {index for index, flag in enumerate(confirmed) if flag}
