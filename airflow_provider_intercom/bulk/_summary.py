"""The bulk summary: what happened to every id, in one JSON-safe schema.

The operators push it as their XCom ``return_value``. ``counts`` comes first, because the Airflow
UI shows XCom top down (on a PostgreSQL metadata DB, JSONB orders keys itself, so key order is
best-effort there)::

    {"counts":  {"total", "updated", "skipped", "failed", "resumed", "verified", "requests",
                 "rate_limited_responses", "read_backs", "elapsed_seconds"},
     "updated_form": "full" | "ranges",
     "updated": [{"id", "read", "state", "updated_at"} | {"id", "resumed": true}
                 | {"id", "verified": true}, ...]  # "full": input order
              | [[first, last], ...],               # "ranges": input positions, both ends included
     "skipped": [{"id", "reason", "status", "code", "message", "request_id"}, ...],
     "failed":  [{"id", "reason", "status", "code", "message", "request_id"}, ...]}

Its size grows with what needs attention, not with the total: ``skipped`` and ``failed`` are
always listed in full, and ``updated`` too while its entries fit
:data:`~airflow_provider_intercom.client.facts.FULL_SUMMARY_BYTES` (or always, with
``summary="full"``). Past that, ``updated`` holds ranges of positions in the run's de-duplicated
input, and :func:`updated_ids` turns either form back into ids.

An id confirmed by an earlier try of the task (durable runs) is listed as ``{"id", "resumed":
true}``: only its id is known now, not the fields its answer carried. A message found posted by a
read-back after its answer was lost (:mod:`airflow_provider_intercom.client._message`) is listed as
``{"id", "verified": true}``; ``read_backs`` counts those reads (``requests`` includes them).
``counts.resumed`` and ``counts.verified`` count both kinds in either form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from airflow_provider_intercom.bulk._bitmap import indexes, runs
from airflow_provider_intercom.bulk._outcomes import Outcomes
from airflow_provider_intercom.client._error import IntercomError
from airflow_provider_intercom.client._validation import validate_conversation_ids

#: How a summary lists updated ids: one entry per id, or ranges of input positions.
SummaryForm = Literal["full", "ranges"]


def error_entry(conversation_id: str, error: IntercomError | None) -> dict[str, Any]:
    """The summary entry of an id that was skipped or failed.

    :param conversation_id: the id.
    :param error: what it failed with; None if it was never sent because the run stopped first.
    """
    if error is None:
        return {
            "id": conversation_id,
            "reason": "cancelled",
            "status": None,
            "code": None,
            "message": "not sent: the run was stopped first",
            "request_id": None,
        }
    # Intercom's own message, without the hint: 50,000 copies of the same advice would bloat XCom.
    return {
        "id": conversation_id,
        "reason": error.failure_reason,
        "status": error.status,
        "code": error.code,
        "message": error.message,
        "request_id": error.request_id,
    }


def trim(conversation: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    """What the summary keeps of an updated conversation.

    :param conversation: Intercom's answer.
    :param fields: the keys to keep; None keeps the whole object.
    """
    if fields is None:
        return conversation
    return {key: conversation.get(key) for key in fields}


def build_summary(
    conversation_ids: Sequence[str],
    outcomes: Outcomes,
    *,
    requests: int,
    rate_limited: int,
    elapsed: float,
    read_backs: int = 0,
) -> dict[str, Any]:
    """Account for every id, in input order.

    :param conversation_ids: the run's ids.
    :param outcomes: what happened to them; an id with no outcome is listed as cancelled.
    :param requests: requests answered (or failed) in this try.
    :param rate_limited: how many of those were 429s.
    :param elapsed: seconds the run took.
    :param read_backs: how many of those read a conversation back to find a message.
    """
    buckets: dict[str, list[dict[str, Any]]] = {"skipped": [], "failed": []}
    for index, kind, entry in outcomes.attention():
        buckets[kind].append(entry if entry is not None else error_entry(conversation_ids[index], None))
    flags = outcomes.updated_flags()
    form: SummaryForm = "full" if outcomes.entries is not None else "ranges"
    if outcomes.entries is not None:
        entries = outcomes.entries
        updated: list[Any] = [entries.get(index) or {"id": conversation_ids[index]} for index in indexes(flags, 1)]
    else:
        updated = [[start, stop - 1] for start, stop in runs(flags, 1)]
    counts = {
        "total": outcomes.total,
        "updated": outcomes.total - flags.count(0),
        "skipped": len(buckets["skipped"]),
        "failed": len(buckets["failed"]),
        "resumed": outcomes.resumed,
        "verified": outcomes.verified,
        "requests": requests,
        "rate_limited_responses": rate_limited,
        "read_backs": read_backs,
        "elapsed_seconds": round(elapsed, 3),
    }
    return {"counts": counts, "updated_form": form, "updated": updated, **buckets}


def updated_ids(summary: Mapping[str, Any], conversation_ids: Iterable[Any] | None = None) -> list[str]:
    """Every updated id of a bulk summary, in input order, whichever form it holds.

    :param summary: a bulk operator's XCom ``return_value``.
    :param conversation_ids: the ids the operator was given, as given (duplicates are dropped as
        the operator drops them; a mapping gives its keys, as a reply ``body`` does); needed for the
        ``"ranges"`` form only.
    :raises ValueError: a ``"ranges"`` summary without the run's ids, or with other ids.
    """
    form = summary.get("updated_form", "full")
    if form == "full":
        return [entry["id"] for entry in summary["updated"]]
    if form != "ranges":
        raise ValueError(f"unknown updated_form {form!r}: expected 'full' or 'ranges'")
    if conversation_ids is None:
        raise ValueError(
            "This summary lists updated ids as ranges of input positions, because there were too many for "
            "the full form: pass the run's conversation_ids too, or run the operator with summary='full' or "
            "updated_ids_path (a search-driven run) to get the ids themselves."
        )
    # A mapping gives its keys, as the reply operator's ``body`` does.
    ids = validate_conversation_ids(
        list(conversation_ids) if isinstance(conversation_ids, Mapping) else conversation_ids
    )
    total = summary["counts"]["total"]
    if len(ids) != total:
        raise ValueError(f"{len(ids)} conversation_ids given, the run had {total}: pass the ids the operator got")
    return [ids[index] for first, last in summary["updated"] for index in range(first, last + 1)]


def progress_line(done: int, total: int, elapsed: float, rate_limited: int, in_flight: int, resumed: int = 0) -> str:
    """One progress line for the task log; the rate and ETA count this try's work only.

    :param done: ids finished so far, those an earlier try confirmed included.
    :param total: ids in the run.
    :param elapsed: seconds since this try's start.
    :param rate_limited: 429 answers so far.
    :param in_flight: requests on the wire now.
    :param resumed: ids an earlier try confirmed (done before this try started).
    """
    rate = (done - resumed) / elapsed if elapsed > 0 else 0.0
    eta = f"{(total - done) / rate:.0f}s" if rate > 0 else "unknown"
    percent = 100.0 * done / total if total else 100.0
    return (
        f"Intercom bulk update: {done}/{total} done ({percent:.0f}%), {rate:.1f}/s, {in_flight} in flight, "
        f"{rate_limited} rate-limited (429) answers, ETA {eta}"
    )


def stopped_waiting(conversation_id: str, error: IntercomError | None, *, reading_back: bool = False) -> dict[str, Any]:
    """The entry of an id the run stopped while it waited to retry, or to read a message back.

    :param conversation_id: the id.
    :param error: the last failure, which may have been applied (a 5xx, a timeout), so the id is
        not confirmed; None for a message an earlier try may have sent.
    :param reading_back: a message was waiting to be read back.
    """
    entry = error_entry(conversation_id, error)
    if reading_back:
        message = (
            "the run was stopped before this message could be read back: it may have been posted, and a "
            "retry of the task reads it back before sending anything"
        )
    else:
        message = f"the run was stopped while waiting to retry after: {error.message if error else 'a failure'}"
    entry.update(reason="cancelled", message=message)
    return entry


def cancelled_in_flight(conversation_id: str) -> dict[str, Any]:
    """The entry of an id whose request was on the wire when the run stopped.

    :param conversation_id: the id.
    """
    return {
        "id": conversation_id,
        "reason": "cancelled",
        "status": None,
        "code": None,
        "message": "the run was stopped while this request was on the wire; it may have been applied",
        "request_id": None,
    }


def unverified(conversation_id: str, why: str, error: IntercomError | None = None) -> dict[str, Any]:
    """The entry of a message whose fate is unknown and could not be read back: it is not re-sent.

    :param conversation_id: the id.
    :param why: what kept the read-back from deciding.
    :param error: the error of the last read-back, if one failed.
    """
    entry = error_entry(conversation_id, error) if error is not None else error_entry(conversation_id, None)
    entry.update(
        reason="unverified",
        message=f"the message may have been posted, and was not sent again: {why}. Check the conversation in Intercom.",
    )
    return entry
