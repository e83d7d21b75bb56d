"""Durable bulk runs without Airflow: the pure encodings and decision, and the checkpoint on a fake store."""

from __future__ import annotations

import base64
import json
import random
import zlib
from datetime import timedelta
from typing import Any

import pytest

from airflow_provider_intercom.bulk import BulkOptions, BulkRun
from airflow_provider_intercom.bulk import _checkpoint as ck
from airflow_provider_intercom.bulk._progress import Progress, StoreError
from airflow_provider_intercom.client._actions import update_request
from airflow_provider_intercom.operators._resume import META_KEY, TaskStateStore, open_checkpoint
from airflow_provider_intercom.operators.bulk import IntercomMarkConversationsReadOperator
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import FakeTaskInstance, make_client

BODY = {"read": True}
QUERY = {"field": "read", "operator": "=", "value": False}
IDS = [str(n) for n in range(1, 101)]


class FakeStore:
    """Airflow's task state store in memory; ``with_delete=False`` is a store without ``delete``."""

    def __init__(self, *, with_delete: bool = True) -> None:
        self.values: dict[str, Any] = {}
        self.retention: dict[str, timedelta | None] = {}
        self.sets = 0
        if with_delete:
            self.delete = self._delete  # type: ignore[method-assign]

    def _delete(self, key: str) -> None:
        self.values.pop(key, None)  # a no-op for a missing key, as in Airflow

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any, *, retention: timedelta | None = None) -> None:
        self.values[key] = json.loads(json.dumps(value))
        self.retention[key] = retention
        self.sets += 1


class FakeLog:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: Any, /, *args: Any) -> None:
        self.lines.append(str(msg) % args)

    warning = info


def _open(
    store: FakeStore | None, try_number: int, *, ids: list[str] | None = IDS, **kw: Any
) -> tuple[Progress, FakeLog]:
    log = FakeLog()
    context: dict[str, Any] = {"ti": FakeTaskInstance(try_number)}
    if store is not None:
        context["task_state_store"] = store
    options: dict[str, Any] = {"enabled": True, "ids": ids, "query": None if ids is not None else QUERY, "body": BODY}
    options.update(kw)
    return open_checkpoint(context, log=log, **options), log  # type: ignore[arg-type]


def _confirmed(total: int, done: set[int]) -> bytes:
    return bytes(1 if index in done else 0 for index in range(total))


# ------------------------------------------------------------------ pure functions


def test_fingerprint_covers_ids_order_query_and_body() -> None:
    base = ck.fingerprint(IDS, None, BODY)
    assert base == ck.fingerprint(list(IDS), None, {"read": True})
    assert base != ck.fingerprint(IDS[::-1], None, BODY)
    assert base != ck.fingerprint(IDS, None, {"read": False})
    assert ck.fingerprint(None, QUERY, BODY) != ck.fingerprint(None, {**QUERY, "value": True}, BODY)
    assert len(base) == 64


def test_ids_round_trip_and_parts_are_checked() -> None:
    text = ck.encode_ids(IDS)
    assert ck.decode_ids(ck.join_parts(ck.split_parts(text, 10), ck.digest(text)), len(IDS)) == IDS
    with pytest.raises(ck.CheckpointError):
        ck.decode_ids(text, len(IDS) + 1)
    with pytest.raises(ck.CheckpointError):
        ck.join_parts([*ck.split_parts(text, 10)[:-1], None], ck.digest(text))
    with pytest.raises(ck.CheckpointError):
        ck.join_parts(["x", *ck.split_parts(text, 10)[1:]], ck.digest(text))


@pytest.mark.parametrize(
    ("meta", "try_number", "resume", "reason"),
    [
        (None, 1, False, ""),
        (None, 2, False, "no checkpoint"),
        ({"format": 99}, 2, False, "unknown format"),
        ({"format": ck.FORMAT, "complete": True}, 2, False, "never resumed"),
        ({"format": ck.FORMAT, "fingerprint": "f", "total": 3, "done": None}, 1, False, "first try"),
        ({"format": ck.FORMAT, "fingerprint": "g", "total": 3, "done": None}, 2, False, "input changed"),
        ({"format": ck.FORMAT, "fingerprint": "f", "total": "3", "done": None}, 2, False, "inconsistent"),
        ({"format": ck.FORMAT, "fingerprint": "f", "total": 3, "done": None}, 2, True, ""),
    ],
)
def test_decide(meta: Any, try_number: int, resume: bool, reason: str) -> None:
    decision = ck.decide(meta, "f", try_number)
    assert decision.resume is resume
    assert reason in decision.reason
    assert bool(reason) == bool(decision.reason)


_DONE = {"gen": 0, "parts": 1, "sha256": "x", "count": 3, "max_parts": 1}


@pytest.mark.parametrize(
    ("meta", "resume", "reason"),
    [
        # A message run that succeeded keeps its record: clearing the task resumes from it.
        ({"format": ck.FORMAT, "fingerprint": "f", "total": 3, "done": _DONE, "complete": True}, True, ""),
        ({"format": ck.FORMAT, "complete": True}, False, "never resumed"),  # a tombstone
        ({"format": ck.FORMAT, "fingerprint": "f", "total": 3, "done": None, "started": 2}, True, ""),
        ({"format": ck.FORMAT, "fingerprint": "f", "total": 3, "done": None, "started": 4}, False, "write-ahead"),
        ({"format": ck.FORMAT, "fingerprint": "f", "total": 3, "done": None, "started": "2"}, False, "write-ahead"),
    ],
    ids=["kept after success", "tombstone", "started", "started past the end", "started not a number"],
)
def test_decide_for_messages(meta: Any, resume: bool, reason: str) -> None:
    decision = ck.decide(meta, "f", 2, messages=True)
    assert decision.resume is resume
    assert reason in decision.reason


# ------------------------------------------------------------------ the checkpoint on a fake store


def test_a_retry_resumes_with_one_line_and_a_changed_input_starts_over() -> None:
    store = FakeStore()
    first, _ = _open(store, 1)
    first.save(_confirmed(100, set(range(40))))

    resumed, log = _open(store, 2)
    assert resumed.done(100) == frozenset(range(40))
    assert log.lines == [
        "Resuming from the checkpoint of an earlier try: 40 of 100 conversations were done before, 60 remain."
    ]

    changed, log = _open(store, 3, body={"read": False})
    assert changed.done(100) == frozenset()
    assert log.lines == [
        "Try 3 starts over: the input changed since the checkpoint (different ids, query or update body); "
        "every id is sent."
    ]
    assert store.values == {}, "the stale checkpoint is discarded"


def test_a_search_run_reads_its_ids_back_and_never_searches_again() -> None:
    store = FakeStore()
    first, _ = _open(store, 1, ids=None)
    assert first.ids is None
    first.record_ids(IDS)
    assert store.get(META_KEY)["total"] == 100  # written at once, before any PUT

    resumed, _ = _open(store, 2, ids=None)
    assert resumed.ids == IDS
    assert resumed.done(100) == frozenset()


@pytest.mark.parametrize("damage", ["ids", "done", "meta"])
def test_a_damaged_checkpoint_means_sending_again(damage: str) -> None:
    store = FakeStore()
    first, _ = _open(store, 1, ids=None)
    first.record_ids(IDS)
    first.save(_confirmed(100, {1, 2, 3}))
    key = {"ids": f"{META_KEY}/ids/0", "done": f"{META_KEY}/done/0/0", "meta": META_KEY}[damage]
    store.values[key] = "garbage" if damage != "meta" else {**store.values[key], "total": 99}

    again, log = _open(store, 2, ids=None)
    assert again.ids is None
    assert again.done(100) == frozenset()
    assert "starts over" in log.lines[0]
    assert "inconsistent" in log.lines[0]


@pytest.mark.parametrize("with_delete", [True, False])
def test_success_deletes_the_checkpoint_so_a_cleared_task_sends_everything(with_delete: bool) -> None:
    store = FakeStore(with_delete=with_delete)
    first, _ = _open(store, 1, ids=None)
    first.record_ids(IDS)
    for count in (10, 50, 100):
        first.save(_confirmed(100, set(range(count))))
    first.clear()
    if with_delete:
        assert store.values == {}
    else:
        assert store.values[META_KEY] == {"format": ck.FORMAT, "complete": True}
        assert store.retention[META_KEY] == timedelta(hours=1)

    cleared, _log = _open(store, 2, ids=None)
    assert cleared.ids is None
    assert cleared.done(100) == frozenset()


def test_resume_off_discards_and_keeps_nothing() -> None:
    store = FakeStore()
    first, _ = _open(store, 1)
    first.save(_confirmed(100, {5}))

    off, log = _open(store, 2, enabled=False)
    off.save(_confirmed(100, {5, 6}))
    assert off.done(100) == frozenset()
    assert store.values == {}
    assert log.lines == ["resume=False: discarded the stored checkpoint; every id is sent."]


def test_without_a_store_one_line_says_resume_is_unavailable() -> None:
    checkpoint, log = _open(None, 2)
    checkpoint.save(_confirmed(100, {1}))
    assert checkpoint.done(100) == frozenset()
    assert len(log.lines) == 1
    assert "needs Airflow 3.3+" in log.lines[0]


def test_large_runs_stay_under_the_value_limit() -> None:
    ids = [str(10**11 + n * 7919) for n in range(50_000)]
    store = FakeStore()
    checkpoint, _ = _open(store, 1, ids=None)
    checkpoint.record_ids(ids)
    checkpoint.save(bytes(random.Random(1).choice((0, 1)) for _ in ids))  # worst case: no runs to compress
    assert len(store.values) > 3, "the ids are split across keys"
    assert max(len(json.dumps(value)) for value in store.values.values()) < 65_535

    resumed, _ = _open(store, 2, ids=None)
    assert resumed.ids == ids


@pytest.mark.parametrize("saved_before", [True, False])
def test_a_snapshot_of_the_wrong_length_is_refused_with_a_warning(saved_before: bool) -> None:
    store = FakeStore()
    checkpoint, log = _open(store, 1)
    if saved_before:
        checkpoint.save(_confirmed(100, set(range(40))))
    before = dict(store.values)

    checkpoint.save(b"\x01" * 7)

    assert store.values == before, "the resume record is left as it was"
    assert log.lines[-1] == "Not saving the resume checkpoint: the snapshot covers 7 ids, the run has 100."
    resumed, _ = _open(store, 2)
    assert resumed.done(100) == (frozenset(range(40)) if saved_before else frozenset())


def test_writes_are_skipped_when_nothing_changed() -> None:
    store = FakeStore()
    checkpoint, _ = _open(store, 1)
    for _ in range(1000):
        checkpoint.save(bytes(100))  # nothing done yet: nothing to write
    assert store.sets == 0
    for _ in range(1000):
        checkpoint.save(_confirmed(100, {1}))
    assert store.sets == 2  # one done part, one meta


@pytest.mark.intercom_emulator(conversations=100, rate_limit=20, window=1)
def test_checkpoint_writes_are_bounded_in_a_long_run(intercom_emulator: IntercomEmulator) -> None:
    # A fake clock that advances 1 s per look (10 looks a second): 100 ids at 20/s are a long run on it.
    now = [0.0]

    def clock() -> float:
        now[0] += 1.0
        return now[0]

    store = FakeStore()
    ids = [str(n) for n in range(1, 101)]
    checkpoint, _ = _open(store, 1, ids=ids)
    with make_client(intercom_emulator) as client:
        run = BulkRun(client, BulkOptions(), log=FakeLog(), clock=clock)
        run.run(ids, update_request({"read": True}), on_checkpoint=checkpoint.save, checkpoint_interval=5)
    done_writes = store.sets // 2  # each write is one done part and the meta
    assert now[0] > 30, "a long run on the fake clock"
    assert done_writes <= now[0] / 5 + 2
    assert store.get(META_KEY)["done"]["count"] == 100


def _decoded_parts(store: FakeStore) -> dict[str, str]:
    """Each record the store holds in compressed parts, joined and decoded, by its key prefix."""
    records: dict[str, list[tuple[int, str]]] = {}
    for key, value in store.values.items():
        prefix, _, index = key.rpartition("/")
        if isinstance(value, str) and index.isdigit():
            records.setdefault(prefix, []).append((int(index), value))
    return {
        prefix: zlib.decompress(base64.b64decode("".join(part for _, part in sorted(parts)))).decode("latin-1")
        for prefix, parts in records.items()
    }


@pytest.mark.intercom_emulator(conversations=20)
def test_the_checkpoint_holds_no_token_and_a_retry_resends_only_the_failed(intercom_emulator: IntercomEmulator) -> None:
    emu = intercom_emulator
    store = FakeStore()
    op = IntercomMarkConversationsReadOperator(task_id="bulk", conversation_ids=[*emu.conversation_ids(), "424242"])
    with pytest.raises(Exception, match="could not be updated"):
        op.execute({"ti": FakeTaskInstance(1), "task_state_store": store})  # type: ignore[typeddict-item]
    decoded = _decoded_parts(store)
    assert any(prefix.startswith("intercom_bulk/done/") for prefix in decoded), "the done record was decoded"
    stored = "\n".join([json.dumps(store.values), *decoded.values()])
    assert emu.token not in stored
    assert "Bearer" not in stored
    emu.clear_requests()

    with pytest.raises(Exception, match="could not be updated"):
        op.execute({"ti": FakeTaskInstance(2), "task_state_store": store})  # type: ignore[typeddict-item]
    assert [r.path for r in emu.requests if r.method == "PUT"] == ["/conversations/424242"]


@pytest.mark.intercom_emulator(conversations=20)
def test_without_a_store_a_retry_sends_everything_again(intercom_emulator: IntercomEmulator) -> None:
    emu = intercom_emulator
    op = IntercomMarkConversationsReadOperator(task_id="bulk", conversation_ids=[*emu.conversation_ids(), "424242"])
    for try_number in (1, 2):
        with pytest.raises(Exception, match="could not be updated"):
            op.execute({"ti": FakeTaskInstance(try_number)})  # type: ignore[typeddict-item]
    assert len([r for r in emu.requests if r.method == "PUT"]) == 2 * 21


class AirflowLikeStore:
    def get(self, key: str) -> Any:
        raise OSError("the API server is unreachable")

    def set(self, key: str, value: Any, *, retention: timedelta | None = None) -> None:
        raise TypeError("value is not JSON serializable")


@pytest.mark.parametrize("call", [lambda s: s.get("k"), lambda s: s.set("k", object())], ids=["get", "set"])
def test_airflows_store_failures_become_store_errors(call: Any) -> None:
    with pytest.raises(StoreError, match=r"OSError|TypeError"):
        call(TaskStateStore(AirflowLikeStore()))
