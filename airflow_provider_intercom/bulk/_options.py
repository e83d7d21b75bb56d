"""How a bulk run behaves: the options every bulk operator passes to the engine."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from airflow_provider_intercom.client._validation import validate_positive_number, validate_summary_mode
from airflow_provider_intercom.client.facts import (
    APP_RATE_LIMIT_PER_WINDOW,
    DEFAULT_PROGRESS_INTERVAL,
    DEFAULT_RATE_LIMIT_BUDGET,
    DEFAULT_XCOM_FIELDS,
    RATE_LIMIT_WINDOW_SECONDS,
    WRITE_AHEAD_SECONDS,
)

__all__ = ["BulkOptions", "write_ahead_batch"]


@dataclass(frozen=True)
class BulkOptions:
    """How a bulk run behaves.

    :param max_concurrency: requests in flight at most; None lets latency decide, up to
        :data:`~airflow_provider_intercom.client.facts.MAX_CONCURRENCY_LIMIT`.
    :param max_requests_per_minute: an optional ceiling below Intercom's limit.
    :param ignore_not_found: count a missing conversation (404 ``not_found``) as skipped instead of failed.
    :param xcom_fields: keys kept of each updated conversation; None keeps whole objects.
    :param rate_limit_budget: seconds one id may spend waiting out 429s before it fails.
    :param progress_interval: seconds between progress lines.
    :param rate_limit_window: the rate-limit window's length in seconds: Intercom's documented
        one; only a test server with shorter windows needs another.
    :param summary: ``"auto"`` lists updated ids one by one while they fit
        :data:`~airflow_provider_intercom.client.facts.FULL_SUMMARY_BYTES`, else as ranges;
        ``"full"`` always lists them one by one (and keeps each answer in memory until the end).
    """

    max_concurrency: int | None = None
    max_requests_per_minute: float | None = None
    ignore_not_found: bool = False
    xcom_fields: tuple[str, ...] | None = DEFAULT_XCOM_FIELDS
    rate_limit_budget: float = DEFAULT_RATE_LIMIT_BUDGET
    progress_interval: float = DEFAULT_PROGRESS_INTERVAL
    rate_limit_window: float = RATE_LIMIT_WINDOW_SECONDS
    summary: Literal["auto", "full"] = "auto"

    def __post_init__(self) -> None:
        validate_summary_mode(self.summary, where="BulkOptions")
        if self.max_requests_per_minute is not None:
            validate_positive_number(self.max_requests_per_minute, name="max_requests_per_minute", where="BulkOptions")
        validate_positive_number(self.progress_interval, name="progress_interval", where="BulkOptions")


def write_ahead_batch(max_requests_per_minute: float | None) -> int:
    """How many ids one write-ahead record of a message run covers: about one second of sends.

    Bounded by time, so that a killed task leaves at most that many ids to read back, and one
    record per batch, not per message, so that the store is not written for every send.

    :param max_requests_per_minute: the run's ceiling, if any.
    """
    per_second = APP_RATE_LIMIT_PER_WINDOW / RATE_LIMIT_WINDOW_SECONDS
    if max_requests_per_minute is not None:
        per_second = min(per_second, max_requests_per_minute / 60.0)
    return max(1, math.ceil(per_second * WRITE_AHEAD_SECONDS))
