"""``snoozed_until``: when a snoozed conversation reopens, as the UNIX seconds Intercom takes.

A DAG author writes it the way the DAG knows it: an aware datetime (pendulum's or the standard
library's), a timedelta counted from when the task runs, UNIX seconds, or -- once templated -- an
ISO-8601 string with an offset. A naive time is refused: whose midnight it means is a guess, and a
wrong guess snoozes thousands of conversations for hours too long or too short.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._validation import _describe as describe

__all__ = ["parse_snoozed_until"]

_EXAMPLES = (
    "Give an aware datetime (pendulum.datetime(2027, 1, 5, 9, tz='Europe/Paris')), a timedelta from when the "
    "task runs (timedelta(days=3)), UNIX seconds, or an ISO-8601 string with an offset ('2027-01-05T09:00:00+01:00')."
)


def parse_snoozed_until(value: Any, *, now: float, where: str = "snoozed_until") -> int:
    """Return ``value`` as whole UNIX seconds in the future.

    :param value: an aware datetime, a timedelta from ``now``, UNIX seconds (a number or a string
        of digits), or an ISO-8601 string with an offset.
    :param now: the current time in UNIX seconds (when the task runs).
    :param where: how messages name the value.
    :raises IntercomValidationError: for a naive time, an unreadable value, or a time not after ``now``.
    """
    seconds = _to_seconds(value, now=now, where=where)
    if not math.isfinite(seconds) or seconds <= now:
        raise IntercomValidationError(
            f"{where} must be in the future when the task runs; got {describe(value)}, which is "
            f"{_ago(now - seconds)}. Compute it from the run (a timedelta, or a template on data_interval_end)."
        )
    # Rounded up: a snooze that ends a fraction of a second early would be in the past at Intercom.
    return math.ceil(seconds)


def _to_seconds(value: Any, *, now: float, where: str) -> float:
    if isinstance(value, bool):
        raise IntercomValidationError(f"{where} cannot be a boolean ({value!r}). {_EXAMPLES}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, timedelta):
        return now + value.total_seconds()
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise IntercomValidationError(
                f"{where} is a naive datetime ({value.isoformat()}): say which time zone it is in. {_EXAMPLES}"
            )
        return value.timestamp()
    if isinstance(value, str):
        return _parse_text(value.strip(), where=where)
    raise IntercomValidationError(f"{where} cannot be a {type(value).__name__} ({describe(value)}). {_EXAMPLES}")


def _parse_text(text: str, *, where: str) -> float:
    if text.isascii() and text.isdigit():
        return float(text)  # a templated UNIX timestamp
    import pendulum
    from pendulum.parsing.exceptions import ParserError

    try:
        parsed = pendulum.parse(text, tz=None, strict=True)
    except (ParserError, ValueError):
        raise IntercomValidationError(f"{where} {text!r} is not a time Intercom can be given. {_EXAMPLES}") from None
    if not isinstance(parsed, datetime):
        raise IntercomValidationError(f"{where} {text!r} is not a point in time (a date and a time). {_EXAMPLES}")
    if parsed.tzinfo is None:
        raise IntercomValidationError(
            f"{where} {text!r} has no UTC offset: say which time zone it is in (e.g. '{text}+00:00'). {_EXAMPLES}"
        )
    return parsed.timestamp()


def _ago(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "not a finite time"
    if seconds < 1:
        return "now, not later"
    minutes = seconds / 60
    if minutes < 120:
        return f"{minutes:.0f} minutes ago" if minutes >= 1 else f"{seconds:.0f} seconds ago"
    return f"{minutes / 60:.1f} hours ago"
