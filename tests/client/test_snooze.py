"""snoozed_until: every accepted form becomes future UNIX seconds; naive or past times are refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._snooze import parse_snoozed_until

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (pendulum.datetime(2027, 1, 15, 9, 0, 0, tz="UTC"), 1_800_003_600),
        (datetime(2027, 1, 15, 10, 0, tzinfo=timezone(timedelta(hours=1))), 1_800_003_600),
        (pendulum.datetime(2027, 1, 15, 10, 0, 0, tz="Europe/Paris"), 1_800_003_600),
        (timedelta(hours=1), 1_800_003_600),
        (1_800_003_600, 1_800_003_600),
        (1_800_003_599.2, 1_800_003_600),
        ("1800003600", 1_800_003_600),
        ("2027-01-15T10:00:00+01:00", 1_800_003_600),
        ("2027-01-15T09:00:00Z", 1_800_003_600),
    ],
)
def test_accepted_forms(value: Any, expected: int) -> None:
    assert parse_snoozed_until(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (datetime(2027, 1, 16, 9, 0), "naive datetime"),
        (pendulum.naive(2027, 1, 16, 9), "naive datetime"),
        ("2027-01-16T09:00:00", "no UTC offset"),
        ("2027-01-16", "no UTC offset"),
        ("tomorrow", "not a time"),
        (True, "boolean"),
        ([1], "cannot be a list"),
        (NOW - 60, "must be in the future"),
        (NOW, "must be in the future"),
        (timedelta(minutes=-5), "must be in the future"),
        (timedelta(0), "must be in the future"),
        (float("nan"), "must be in the future"),
        (float("inf"), "must be in the future"),
        ("2020-01-01T00:00:00+00:00", "must be in the future"),
    ],
)
def test_refused_forms_say_what_to_give(value: Any, message: str) -> None:
    with pytest.raises(IntercomValidationError, match=message):
        parse_snoozed_until(value, now=NOW)


@given(st.floats(min_value=1, max_value=10 * 365 * 86400))
def test_any_future_delta_lands_in_the_future(seconds: float) -> None:
    result = parse_snoozed_until(timedelta(seconds=seconds), now=NOW)
    assert NOW < result <= NOW + seconds + 1
