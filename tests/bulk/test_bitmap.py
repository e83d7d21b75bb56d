"""One byte per id: runs of flags, the Bitmap set view, and what a resumed try starts from."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.bulk._bitmap import Bitmap, done_flags, indexes, runs


@pytest.mark.parametrize(
    ("flags", "value", "expected"),
    [
        (b"", 1, []),
        (b"\x00\x00", 1, []),
        (b"\x01\x01\x01", 1, [(0, 3)]),
        (b"\x01\x00\x01\x01\x00", 1, [(0, 1), (2, 4)]),
        (b"\x01\x00\x01\x01\x00", 0, [(1, 2), (4, 5)]),
        (b"\x00\x01", 0, [(0, 1)]),
    ],
)
def test_runs_are_half_open_ranges_in_order(flags: bytes, value: int, expected: list[tuple[int, int]]) -> None:
    assert list(runs(flags, value)) == expected


@given(st.lists(st.sampled_from([0, 1]), max_size=200))
def test_indexes_match_a_plain_scan(bits: list[int]) -> None:
    flags = bytes(bits)
    for value in (0, 1):
        assert list(indexes(flags, value)) == [i for i, bit in enumerate(bits) if bit == value]


@given(st.lists(st.integers(0, 255), max_size=100), st.integers(-2, 102))
def test_a_bitmap_is_the_set_of_its_non_zero_bytes(flags: list[int], probe: int) -> None:
    expected = frozenset(index for index, byte in enumerate(flags) if byte)
    bitmap = Bitmap(bytes(flags))
    assert bitmap == expected
    assert expected == bitmap
    assert list(bitmap) == sorted(expected)
    assert len(bitmap) == len(expected)
    assert (probe in bitmap) == (probe in expected)


@pytest.mark.parametrize(
    ("done", "total", "expected"),
    [
        (b"", 3, b"\x00\x00\x00"),  # nothing confirmed
        (b"\x00\x07\x01", 3, b"\x00\x01\x01"),  # any non-zero byte is confirmed
        (bytearray(b"\x01\x00"), 2, b"\x01\x00"),
        (Bitmap(b"\x00\x09\x01"), 3, b"\x00\x01\x01"),
        (frozenset({0, 2}), 3, b"\x01\x00\x01"),  # indexes, as older callers give them
        ((), 2, b"\x00\x00"),
    ],
)
def test_done_flags_take_a_bitmap_or_indexes(done: bytes | frozenset[int], total: int, expected: bytes) -> None:
    assert done_flags(done, total) == expected


@pytest.mark.parametrize(
    ("done", "total"), [(b"\x01\x00", 3), (Bitmap(b"\x01"), 3), (frozenset({3}), 3), (frozenset({-1}), 3)]
)
def test_done_flags_refuse_another_runs_record(done: bytes | frozenset[int], total: int) -> None:
    with pytest.raises(ValueError):
        done_flags(done, total)
