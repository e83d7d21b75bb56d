"""Rate-limit headers as facts to check, not orders: each value is used only inside its domain.

A proxy in front of Intercom can answer with rate-limit headers of its own: a reset in
milliseconds, as a number of seconds to wait (``"10"``), days ahead or long past; a negative or
non-numeric count. Trusted, any of these stalls a run. So a count must be a number >= 0, and a
reset UNIX seconds within one window of now (plus :data:`RESET_SLACK` ahead); any other value is
read as absent, and :class:`HeaderWarnings` says so once per run. :func:`max_wait` bounds every
wait that pacing or a 429 may ask for.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

#: Seconds a reset may lie beyond one window ahead, and a wait last beyond one window: room for
#: a clock that differs a little from Intercom's, and for the answer's time on the wire.
RESET_SLACK = 1.0

LIMIT_HEADER = "X-RateLimit-Limit"
REMAINING_HEADER = "X-RateLimit-Remaining"
RESET_HEADER = "X-RateLimit-Reset"


def max_wait(window: float) -> float:
    """The longest wait any rate-limit header may cause: one window plus :data:`RESET_SLACK`.

    :param window: the rate-limit window's length in seconds.
    """
    return window + RESET_SLACK


def header_number(headers: Mapping[str, str], name: str) -> float | None:
    """A finite number from a response header, or None when it is missing or not a number.

    :param headers: the response headers.
    :param name: the header, e.g. ``X-RateLimit-Reset``.
    """
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    # "nan" and "inf" parse as floats, but would stall or crash the limiter.
    return number if math.isfinite(number) else None


def count_problem(value: float | None) -> str | None:
    """Why a count (``Limit``, ``Remaining``) is unusable, or None when it is a count.

    :param value: the header as :func:`header_number` read it (None: missing or not a number).
    """
    if value is None:
        return "is not a number"
    return "is negative" if value < 0 else None


def reset_problem(value: float | None, *, now: float, window: float) -> str | None:
    """Why a reset is unusable, or None when it is UNIX seconds within one window of ``now``.

    :param value: the header as :func:`header_number` read it (None: missing or not a number).
    :param now: this clock's time in UNIX seconds.
    :param window: the rate-limit window's length in seconds.
    """
    if value is None:
        return "is not a number"
    if value > now + max_wait(window):
        return f"lies more than one window ({window:g} s) ahead"
    if value < now - window:
        return f"lies more than one window ({window:g} s) in the past"
    return None


def usable_reset(value: float | None, *, now: float, window: float) -> float | None:
    """``value`` if it is a usable reset (see :func:`reset_problem`), else None.

    :param value: a reset in UNIX seconds, if any.
    :param now: this clock's time in UNIX seconds.
    :param window: the rate-limit window's length in seconds.
    """
    return value if value is not None and reset_problem(value, now=now, window=window) is None else None


@dataclass(frozen=True)
class RateLimitReading:
    """The usable rate-limit headers of one answer; a value outside its domain is None.

    :param limit: ``X-RateLimit-Limit``.
    :param remaining: ``X-RateLimit-Remaining``.
    :param reset_at: ``X-RateLimit-Reset``, in UNIX seconds.
    :param rejected: ``(header, raw value, why)`` for each header present but unusable.
    """

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    rejected: tuple[tuple[str, str, str], ...] = ()


def read_rate_limit_headers(headers: Mapping[str, str], *, now: float, window: float) -> RateLimitReading:
    """Read an answer's ``X-RateLimit-*`` headers, keeping only values inside their domains.

    :param headers: the response headers.
    :param now: this clock's time in UNIX seconds (the reset must lie within a window of it).
    :param window: the rate-limit window's length in seconds.
    """
    rejected: list[tuple[str, str, str]] = []

    def checked(name: str, problem: str | None, value: float | None) -> float | None:
        if problem is None:
            return value
        if name in headers:  # a missing header is no problem to report
            rejected.append((name, headers[name], problem))
        return None

    limit = header_number(headers, LIMIT_HEADER)
    remaining = header_number(headers, REMAINING_HEADER)
    reset = header_number(headers, RESET_HEADER)
    limit = checked(LIMIT_HEADER, count_problem(limit), limit)
    remaining = checked(REMAINING_HEADER, count_problem(remaining), remaining)
    reset = checked(RESET_HEADER, reset_problem(reset, now=now, window=window), reset)
    return RateLimitReading(
        limit=None if limit is None else int(limit),
        remaining=None if remaining is None else int(remaining),
        reset_at=reset,
        rejected=tuple(rejected),
    )


class WarningLogger(Protocol):
    """Where unusable headers are reported: a ``logging.Logger``, or an Airflow task's ``self.log``."""

    def warning(self, msg: Any, /, *args: Any) -> Any:
        """Log a warning."""


class HeaderWarnings:
    """Logs each kind of unusable header once: a proxy that sends them sends them on every answer.

    :param logger: where the warnings go; None logs nothing.
    """

    def __init__(self, logger: WarningLogger | None) -> None:
        self._logger = logger
        self._seen: set[tuple[str, str]] = set()

    def report(self, rejected: tuple[tuple[str, str, str], ...]) -> None:
        """Log what is new in ``rejected`` (see :attr:`RateLimitReading.rejected`).

        :param rejected: ``(header, raw value, why)`` triples.
        """
        for name, raw, why in rejected:
            if (name, why) in self._seen:
                continue
            self._seen.add((name, why))
            if self._logger is not None:
                self._logger.warning(
                    "Ignoring %s: %r %s; a proxy may be sending rate-limit headers of its own. Pacing goes on "
                    "as if it were absent (each kind of value is reported once per run).",
                    name,
                    raw[:40],
                    why,
                )
