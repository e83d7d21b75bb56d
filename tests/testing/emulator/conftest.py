"""Fixtures of the emulator's tests: a small emulator per test, a larger read-only one per module."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.testing.emulator._contract import Contract, make_ref_nullable
from tests.testing.emulator._support import session_for


@pytest.fixture
def intercom_emulator_options() -> dict[str, Any]:
    """A small emulator per test, through the package's own ``intercom_emulator`` fixture."""
    return {"conversations": 30, "seed": 3}


@pytest.fixture
def emu(intercom_emulator: IntercomEmulator) -> IntercomEmulator:
    return intercom_emulator


@pytest.fixture
def client(emu: IntercomEmulator) -> Iterator[requests.Session]:
    with session_for(emu) as session:
        yield session


@pytest.fixture(scope="module")
def search_emu() -> Iterator[IntercomEmulator]:
    """Read-only data for the search tests (never modified by them)."""
    with IntercomEmulator(conversations=200, seed=11) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def search_client(search_emu: IntercomEmulator) -> Iterator[requests.Session]:
    with session_for(search_emu) as session:
        yield session


@pytest.fixture(scope="session")
def contract(full_spec: dict[str, Any]) -> Contract:
    """Validators of the full 2.16 description, with ``nullable`` beside ``$ref`` honoured."""
    return Contract(make_ref_nullable(copy.deepcopy(full_spec)))
