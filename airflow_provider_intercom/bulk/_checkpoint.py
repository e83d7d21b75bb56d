"""The pure half of durable bulk runs: fingerprints, compact encodings, and the resume decision.

Nothing here talks to Airflow; :mod:`airflow_provider_intercom.operators._resume` reads and writes
the task state store with these functions. What is stored is ids, indexes and hashes only::

    "intercom_bulk"               -> meta: {"format", "fingerprint", "total", "ids", "done"}
    "intercom_bulk/ids/<i>"       -> part i of zlib+base64 of the ids, one per line (search runs)
    "intercom_bulk/done/<g>/<i>"  -> part i of zlib+base64 of the done-bitmap, generation g (0 or 1)

The done record alternates between two generations, and the meta (written last) names the one to
read, so a try killed between two writes leaves the previous, consistent record in place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_intercom.bulk._bitmap import Bitmap

__all__ = [
    "FORMAT",
    "PART_CHARS",
    "Bitmap",
    "CheckpointError",
    "Decision",
    "decide",
    "decode_done",
    "decode_ids",
    "digest",
    "encode_bitmap",
    "encode_ids",
    "fingerprint",
    "join_parts",
    "split_parts",
]

#: Version of the stored layout; a record of another format is not resumed.
FORMAT = 1
#: Characters per stored part: under the store's default 65,535-byte limit with room to spare.
PART_CHARS = 60_000

_TO_BITS = bytes.maketrans(bytes(range(256)), b"0" + b"1" * 255)
_FROM_BITS = bytes.maketrans(b"01", b"\x00\x01")


class CheckpointError(ValueError):
    """A stored record that cannot be decoded, or does not match what it claims to be."""


def fingerprint(ids: Sequence[str] | None, query: Mapping[str, Any] | None, body: Mapping[str, Any]) -> str:
    """The sha256 of a run's input: the given ids, or the search query, plus the update body.

    :param ids: the given ids, or None for a search-driven run.
    :param query: the search query of a search-driven run.
    :param body: the update body.
    """
    source: dict[str, Any] = {"format": FORMAT, "body": body}
    if ids is not None:
        source["ids"] = list(ids)
    else:
        source["query"] = query
    canonical = json.dumps(source, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def digest(text: str) -> str:
    """A short sha256 of an encoded record, kept in the meta to check the parts read back.

    :param text: the encoded record.
    """
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _pack(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data, 9)).decode("ascii")


def _unpack(text: str) -> bytes:
    try:
        return zlib.decompress(base64.b64decode(text.encode("ascii"), validate=True))
    except (binascii.Error, zlib.error, UnicodeError, ValueError) as err:
        raise CheckpointError(f"cannot decode the record ({err})") from err


def encode_bitmap(confirmed: bytes) -> str:
    """One bit per id (1 = confirmed), zlib-compressed and base64-encoded.

    :param confirmed: one byte per id, non-zero when confirmed.
    """
    bits = confirmed.translate(_TO_BITS)
    bits += b"0" * (-len(bits) % 8)
    packed = int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""
    return _pack(packed)


def decode_done(text: str, total: int) -> Bitmap:
    """The confirmed indexes of :func:`encode_bitmap`'s output, held as one byte per id.

    A read-only set, so that resuming a million ids costs a megabyte rather than a Python int per
    id; :meth:`~airflow_provider_intercom.bulk.BulkRun.run` takes it as ``done``.

    :param text: the encoded bitmap.
    :param total: how many ids the run has.
    :raises CheckpointError: undecodable, of the wrong length, or with bits past ``total``.
    """
    packed = _unpack(text)
    if len(packed) != (total + 7) // 8:
        raise CheckpointError(f"the done-bitmap covers {len(packed) * 8} ids, expected {total}")
    if not packed:
        return Bitmap()
    bits = format(int.from_bytes(packed, "big"), f"0{len(packed) * 8}b").encode("ascii")
    if b"1" in bits[total:]:
        raise CheckpointError("the done-bitmap marks ids past the end of the run")
    return Bitmap(bits[:total].translate(_FROM_BITS))


def encode_ids(ids: Sequence[str]) -> str:
    """The ids, one per line, zlib-compressed and base64-encoded.

    :param ids: validated conversation ids (no newlines).
    """
    return _pack("\n".join(ids).encode())


def decode_ids(text: str, total: int) -> list[str]:
    """The ids of :func:`encode_ids`'s output.

    :param text: the encoded ids.
    :param total: how many ids the meta says there are.
    :raises CheckpointError: undecodable or of the wrong length.
    """
    try:
        raw = _unpack(text).decode()
    except UnicodeError as err:
        raise CheckpointError(f"cannot decode the ids ({err})") from err
    ids = raw.split("\n") if raw else []
    if len(ids) != total:
        raise CheckpointError(f"the record holds {len(ids)} ids, expected {total}")
    return ids


def split_parts(text: str, size: int = PART_CHARS) -> list[str]:
    """``text`` in parts of at most ``size`` characters (at least one part).

    :param text: an encoded record.
    :param size: characters per part.
    """
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def join_parts(parts: Sequence[Any], expected_digest: str) -> str:
    """The record the parts make up, checked against the digest the meta holds.

    :param parts: the stored values, in order.
    :param expected_digest: :func:`digest` of the whole record.
    :raises CheckpointError: a part is missing or not text, or the digest differs.
    """
    if not all(isinstance(part, str) for part in parts):
        raise CheckpointError("a part of the record is missing")
    text = "".join(parts)
    if digest(text) != expected_digest:
        raise CheckpointError("the parts of the record do not match its digest")
    return text


@dataclass(frozen=True)
class Decision:
    """Whether a try resumes from the stored record, and the reason to log when it does not.

    :param resume: read the done record (and the ids of a search run) and skip what is done.
    :param reason: why not, for the log; empty when resuming or when there is nothing to say.
    """

    resume: bool
    reason: str = ""


def decide(meta: Any, fingerprint: str, try_number: int, *, messages: bool = False) -> Decision:
    """Resume only a retry whose stored meta matches this input and is not a tombstone.

    :param meta: the stored meta value (None when there is none).
    :param fingerprint: this try's :func:`fingerprint`.
    :param try_number: this try's number (1 for the first).
    :param messages: the run posts messages: the record of a run that succeeded (``complete``
        with its done record) is resumed too, so that clearing the task posts nothing twice.
    """
    if meta is None:
        return Decision(False, "no checkpoint from an earlier try" if try_number > 1 else "")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        return Decision(False, "the checkpoint is unreadable (unknown format)")
    if meta.get("complete") and not (messages and isinstance(meta.get("done"), dict)):
        return Decision(False, "the last run completed; a complete run is never resumed")
    if try_number <= 1:
        return Decision(False, "this is the first try; a checkpoint is only resumed by a retry")
    if meta.get("fingerprint") != fingerprint:
        return Decision(False, "the input changed since the checkpoint (different ids, query or update body)")
    total, done = meta.get("total"), meta.get("done")
    if not isinstance(total, int) or total < 0 or (done is not None and not isinstance(done, dict)):
        return Decision(False, "the checkpoint is inconsistent (bad total or done record)")
    started = meta.get("started", 0)
    if messages and (not isinstance(started, int) or isinstance(started, bool) or not 0 <= started <= total):
        return Decision(False, "the write-ahead record is inconsistent")
    # Every id confirmed but the task not succeeded (stopped before it could finish): resuming
    # sends nothing, which is right. A succeeded run leaves no record (or a tombstone) behind.
    return Decision(True)
