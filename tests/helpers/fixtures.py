"""Shared fixtures: emulator-backed hooks and settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_intercom.connection import IntercomConnectionSettings
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.retry import RetryPolicy
from airflow_provider_intercom.testing.emulator import IntercomEmulator

#: Retries without real waiting, so fault tests stay fast; the delays themselves are unit-tested.
FAST_RETRIES = RetryPolicy(
    max_retries=3, max_retry_time=30.0, backoff_base=0.01, backoff_cap=0.05, rate_limit_jitter=0.01, rate_limit_cap=0.3
)


def make_hook(
    emulator: IntercomEmulator, *, policy: RetryPolicy | None = FAST_RETRIES, **settings: Any
) -> IntercomHook:
    """A hook on the emulator, built from settings rather than an Airflow connection."""
    values: dict[str, Any] = {"conn_id": "intercom_test", "token": emulator.token, "base_url": emulator.url}
    values.update(settings)
    return IntercomHook("intercom_test", settings=IntercomConnectionSettings(**values), retry_policy=policy)


@pytest.fixture
def emulator() -> Iterator[IntercomEmulator]:
    """An emulator with 50 conversations and Intercom's default rate limit."""
    with IntercomEmulator(conversations=50) as emu:
        yield emu


@pytest.fixture
def hook(emulator: IntercomEmulator) -> IntercomHook:
    """A hook on ``emulator`` with fast retries."""
    return make_hook(emulator)
