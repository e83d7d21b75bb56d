"""One byte per id: how a bulk run holds which ids are confirmed, without a Python object per id.

The engine's confirmed flags, the checkpoint's snapshots and what a resumed try starts from are
all this one form: a ``bytes``/``bytearray`` with one byte per id of the run, 1 when confirmed.
:class:`Bitmap` shows such flags as a set of indexes, for code that thinks in indexes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from collections.abc import Set as AbstractSet

__all__ = ["Bitmap", "done_flags", "indexes", "runs"]

#: Any non-zero byte becomes 1.
_TO_FLAGS = bytes.maketrans(bytes(range(256)), b"\x00" + b"\x01" * 255)


def runs(flags: bytes | bytearray, value: int) -> Iterator[tuple[int, int]]:
    """The runs of ``value`` in ``flags``, as ``(start, stop)`` half-open ranges, in order.

    :param flags: one byte per id, each 0 or 1.
    :param value: 0 or 1.
    """
    start = flags.find(value)
    while start != -1:
        stop = flags.find(1 - value, start)
        if stop == -1:
            stop = len(flags)
        yield start, stop
        start = flags.find(value, stop)


def indexes(flags: bytes | bytearray, value: int) -> Iterator[int]:
    """The indexes of ``value`` in ``flags``, in order.

    :param flags: one byte per id, each 0 or 1.
    :param value: 0 or 1.
    """
    for start, stop in runs(flags, value):
        yield from range(start, stop)


class Bitmap(AbstractSet[int]):
    """The confirmed indexes of a run as a read-only set, held as one byte per id.

    It compares, counts and iterates like a ``frozenset`` of indexes (``len`` is how many are
    confirmed), at a byte per id rather than a Python int per confirmed id.

    :param flags: one byte per id, non-zero when confirmed.
    """

    __slots__ = ("_count", "flags")

    def __init__(self, flags: bytes | bytearray = b"") -> None:
        #: One byte per id, 0 or 1.
        self.flags = bytes(flags).translate(_TO_FLAGS)
        self._count = len(self.flags) - self.flags.count(0)

    def __len__(self) -> int:
        return self._count

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and 0 <= index < len(self.flags) and self.flags[index] == 1

    def __iter__(self) -> Iterator[int]:
        return indexes(self.flags, 1)

    def __repr__(self) -> str:
        return f"Bitmap({self._count} of {len(self.flags)} ids)"


def done_flags(done: bytes | bytearray | Collection[int], total: int) -> bytearray:
    """What an earlier try confirmed, as one byte per id (1 = confirmed), for the engine to update.

    :param done: a :class:`Bitmap`; or one byte per id, non-zero when confirmed (empty when
        nothing was); or else a collection of confirmed indexes.
    :param total: how many ids the run has.
    :raises ValueError: flags of another length, or an index outside the run.
    """
    if isinstance(done, Bitmap):
        done = done.flags
    if isinstance(done, bytes | bytearray):
        if done and len(done) != total:
            raise ValueError(f"the done-bitmap covers {len(done)} ids, the run has {total}")
        return bytearray(done).translate(_TO_FLAGS) if done else bytearray(total)
    flags = bytearray(total)
    for index in done:
        if not 0 <= index < total:
            raise ValueError(f"done index {index} is outside the run's {total} ids")
        flags[index] = 1
    return flags
