"""The resume bitmap as one byte per id: decoded without a Python int per id, and read back exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.bulk import _checkpoint as ck


@given(st.lists(st.integers(0, 255), max_size=300))
def test_the_done_bitmap_round_trips_as_one_byte_per_id(confirmed: list[int]) -> None:
    text, total = ck.encode_bitmap(bytes(confirmed)), len(confirmed)
    expected = {index for index, byte in enumerate(confirmed) if byte}
    done = ck.decode_done(text, total)
    assert done.flags == bytes(1 if byte else 0 for byte in confirmed)
    assert done == expected  # compares as a set of indexes, at a byte per id
    assert len(done) == len(expected)
    assert set(done) == expected


@pytest.mark.parametrize(
    ("text", "total"), [("not base64!", 8), (ck.encode_bitmap(b"\x01" * 16), 8), (ck.encode_bitmap(b"\x01" * 9), 8)]
)
def test_a_bad_bitmap_is_refused(text: str, total: int) -> None:
    with pytest.raises(ck.CheckpointError):
        ck.decode_done(text, total)
