"""The resume bitmap as one byte per id: decoded without a Python int per id, and read back exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.bulk import _checkpoint as ck


@given(st.lists(st.integers(0, 255), max_size=300))
def test_the_done_bitmap_round_trips_as_one_byte_per_id(confirmed: list[int]) -> None:
    flags = ck.decode_done(ck.encode_bitmap(bytes(confirmed)), len(confirmed))
    assert flags == bytes(1 if byte else 0 for byte in confirmed)
    assert ck.decode_bitmap(ck.encode_bitmap(bytes(confirmed)), len(confirmed)) == {
        index for index, byte in enumerate(confirmed) if byte
    }


@pytest.mark.parametrize(
    ("text", "total"), [("not base64!", 8), (ck.encode_bitmap(b"\x01" * 16), 8), (ck.encode_bitmap(b"\x01" * 9), 8)]
)
def test_a_bad_bitmap_is_refused(text: str, total: int) -> None:
    with pytest.raises(ck.CheckpointError):
        ck.decode_done(text, total)


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [
        (b"", 3, b"\x00\x00\x00"),  # nothing confirmed
        (b"\x00\x07\x01", 3, b"\x00\x01\x01"),  # any non-zero byte is confirmed
        (bytearray(b"\x01\x00"), 2, b"\x01\x00"),
        (frozenset({0, 2}), 3, b"\x01\x00\x01"),  # indexes, as older callers give them
        ((), 2, b"\x00\x00"),
    ],
)
def test_done_flags_take_a_bitmap_or_indexes(done: bytes | frozenset[int], total: int, expected: bytes) -> None:
    assert ck.done_flags(done, total) == expected


@pytest.mark.parametrize(("done", "total"), [(b"\x01\x00", 3), (frozenset({3}), 3), (frozenset({-1}), 3)])
def test_done_flags_refuse_another_runs_record(done: bytes | frozenset[int], total: int) -> None:
    with pytest.raises(ValueError):
        ck.done_flags(done, total)
