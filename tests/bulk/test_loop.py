"""The paced event loop: polls at least an interval apart while paced, as asyncio's otherwise."""

from __future__ import annotations

import asyncio
import gc
import selectors
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.bulk._loop import CoalescingSelector, heap_frozen, hold_off, paced_event_loop


@pytest.mark.parametrize(
    ("now", "last_wake", "interval", "timeout", "expected"),
    [
        pytest.param(10.0, 9.97, 0.1, None, pytest.approx(0.07), id="woke 30 ms ago: the rest of the interval"),
        pytest.param(10.0, 9.97, 0.1, 0.05, pytest.approx(0.05), id="a timer due sooner: no longer than it"),
        pytest.param(10.0, 9.97, 0.1, 0.0, 0.0, id="callbacks ready: at once"),
        pytest.param(10.0, 9.8, 0.1, None, 0.0, id="the interval is over: at once"),
        pytest.param(10.0, 9.97, 0.0, None, 0.0, id="not paced: at once"),
        pytest.param(10.0, float("-inf"), 0.1, None, 0.0, id="first poll: at once"),
    ],
)
def test_a_poll_is_held_off_until_the_interval_since_the_last_one_is_over(
    now: float, last_wake: float, interval: float, timeout: float | None, expected: float
) -> None:
    assert hold_off(now=now, last_wake=last_wake, interval=interval, timeout=timeout) == expected


@given(
    now=st.floats(0, 1e6),
    since=st.floats(0, 10),
    interval=st.floats(-1, 1),
    timeout=st.none() | st.floats(-1, 100),
)
def test_a_hold_never_exceeds_the_interval_nor_the_loops_own_timeout(
    now: float, since: float, interval: float, timeout: float | None
) -> None:
    hold = hold_off(now=now, last_wake=now - since, interval=interval, timeout=timeout)
    assert 0.0 <= hold <= max(interval, 0.0)
    if timeout is not None:
        assert hold <= max(timeout, 0.0)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    left, right = socket.socketpair()
    yield left, right
    left.close()
    right.close()


def test_events_that_arrive_within_the_interval_are_returned_by_one_poll(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    sleeps: list[float] = []
    # Polled at 100.0; asked again at 100.02, held until 100.1.
    clock = iter([100.0, 100.0, 100.02, 100.02, 100.1, 100.1]).__next__
    selector = CoalescingSelector(lambda: 0.1, clock=clock, sleep=sleeps.append)
    reader, writer = pair
    selector.register(reader, selectors.EVENT_READ)
    writer.send(b"a")
    assert len(selector.select(1.0)) == 1
    reader.recv(1)

    writer.send(b"b")
    events = selector.select(1.0)

    assert sleeps == [pytest.approx(0.08)]  # the rest of the interval, then the poll
    assert [key.fileobj for key, _ in events] == [reader]
    selector.close()


def test_with_no_interval_the_loop_runs_as_asyncios_default() -> None:
    loop = paced_event_loop(lambda: 0.0)
    try:
        started = time.monotonic()
        assert loop.run_until_complete(asyncio.sleep(0.01, result="done")) == "done"
        assert time.monotonic() - started < 0.5
    finally:
        loop.close()


def test_a_paced_loop_reads_what_arrived_during_the_interval_in_one_wake_up(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    reader, writer = pair

    def trickle() -> None:  # an answer every 5 ms, as a paced run's answers come in
        for _ in range(100):
            writer.send(b"x")
            time.sleep(0.005)
        writer.shutdown(socket.SHUT_WR)

    class Counting(asyncio.Protocol):
        def __init__(self) -> None:
            self.reads: list[bytes] = []
            self.done = asyncio.get_running_loop().create_future()

        def data_received(self, data: bytes) -> None:
            self.reads.append(data)

        def eof_received(self) -> None:
            self.done.set_result(None)

    async def read_all() -> list[bytes]:
        _, protocol = await asyncio.get_running_loop().connect_accepted_socket(Counting, reader)
        await protocol.done
        return protocol.reads

    loop = paced_event_loop(lambda: 0.1)
    sender = threading.Thread(target=trickle)
    try:
        sender.start()
        reads = loop.run_until_complete(read_all())
    finally:
        sender.join()
        loop.close()
    assert b"".join(reads) == b"x" * 100
    assert len(reads) <= 12  # about 0.5 s at one poll per 100 ms, not one wake-up per byte


def test_the_heap_is_frozen_for_the_run_and_unfrozen_after() -> None:
    gc.unfreeze()  # whatever an earlier test left: nothing frozen
    kept = [object() for _ in range(3)]
    with heap_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    del kept


def test_objects_frozen_before_the_run_stay_frozen() -> None:
    # Airflow's forking executors freeze the heap before they fork a task's process.
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with heap_frozen():
            pass
        assert gc.get_freeze_count() >= before
    finally:
        gc.unfreeze()


def test_a_callback_from_another_thread_ends_a_hold_at_once() -> None:
    # A stop, or a write-ahead record that lets the next sends go, must not wait out a hold.
    loop = paced_event_loop(lambda: 5.0)
    ran: list[float] = []

    async def wait_for_the_callback() -> None:
        await asyncio.sleep(0)  # one poll: the next one is held off for 5 s
        done = asyncio.get_running_loop().create_future()
        threading.Timer(0.1, lambda: loop.call_soon_threadsafe(done.set_result, time.monotonic())).start()
        ran.append(await done)

    try:
        started = time.monotonic()
        loop.run_until_complete(wait_for_the_callback())
    finally:
        loop.close()
    assert time.monotonic() - started < 1.5
