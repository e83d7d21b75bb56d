"""Shared test helpers: clients and hooks on the emulator, a recording sleep, a fake task instance.

There is one emulator fixture: the package's own pytest plugin's ``intercom_emulator`` (50
conversations, Intercom's default rate limit, ``AIRFLOW_CONN_INTERCOM_DEFAULT`` pointing at it).
Tune it per test or module with ``@pytest.mark.intercom_emulator(...)``.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_intercom.client import IntercomClient, RetryPolicy
from airflow_provider_intercom.connection import IntercomConnectionSettings
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.testing.emulator import IntercomEmulator

#: Retries with short real waits, for hooks (which do not take an injected sleep); the delays
#: themselves are unit-tested in tests/client/test_retry.py.
FAST_RETRIES = RetryPolicy(
    max_retries=3, max_retry_time=30.0, backoff_base=0.01, backoff_cap=0.05, rate_limit_jitter=0.01, rate_limit_cap=0.3
)
#: The connection id clients and hooks on the emulator report in their messages.
CONN_ID = "intercom_test"


class Sleeps(list[float]):
    """The client's injectable ``sleep``: records every wait and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class FakeTaskInstance:
    """Stands in for ``context["ti"]``: records what a task pushes to XCom.

    :param try_number: which try of the task this is (resume reads it).
    """

    def __init__(self, try_number: int = 1) -> None:
        self.pushed: dict[str, Any] = {}
        self.try_number = try_number

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def everything_shown(error: BaseException | None, *objects: Any) -> str:
    """All a user could see of an error and some objects: str, repr, traceback, the error's attributes."""
    parts = [repr(o) for o in objects] + [str(o) for o in objects]
    if error is not None:
        parts += [str(error), repr(error), "".join(traceback.format_exception(error))]
        parts += [repr(v) for v in vars(error).values()]
    return "\n".join(parts)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Wait for something another thread does; a guard against hanging, not a timing assertion."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"still not {what}"
        time.sleep(0.01)


def make_client(emulator: IntercomEmulator, **options: Any) -> IntercomClient:
    """A client on the emulator that never really waits (``sleep`` records, unless one is given).

    :param emulator: anything with the ``url`` and ``token`` to use.
    :param options: :class:`IntercomClient` arguments; ``token`` overrides the emulator's.
    """
    values: dict[str, Any] = {
        "base_url": emulator.url,
        "conn_id": CONN_ID,
        "retry_policy": RetryPolicy(max_retries=3),
        "sleep": Sleeps(),
    }
    values.update(options)
    return IntercomClient(values.pop("token", emulator.token), **values)


def make_hook(
    emulator: IntercomEmulator, *, policy: RetryPolicy | None = FAST_RETRIES, **settings: Any
) -> IntercomHook:
    """A hook on the emulator, built from settings rather than an Airflow connection."""
    values: dict[str, Any] = {"conn_id": CONN_ID, "token": emulator.token, "base_url": emulator.url}
    values.update(settings)
    return IntercomHook(CONN_ID, settings=IntercomConnectionSettings(**values), retry_policy=policy)


@pytest.fixture
def sleeps() -> Sleeps:
    """The waits of the ``client`` fixture."""
    return Sleeps()


@pytest.fixture
def client(intercom_emulator: IntercomEmulator, sleeps: Sleeps) -> Iterator[IntercomClient]:
    """A client on ``intercom_emulator``, 3 retries, its waits recorded in ``sleeps``."""
    with make_client(intercom_emulator, sleep=sleeps) as result:
        yield result


@pytest.fixture
def hook(intercom_emulator: IntercomEmulator) -> IntercomHook:
    """A hook on ``intercom_emulator`` with fast retries."""
    return make_hook(intercom_emulator)


def use_token(monkeypatch: pytest.MonkeyPatch, emulator: IntercomEmulator, token: str, **extra: Any) -> None:
    """Point ``intercom_default`` at the emulator with another access token (a wrong one, say)."""
    conn = json.loads(emulator.airflow_conn_json(**extra))
    conn["password"] = token
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", json.dumps(conn))


def id_range(count: int, start: int = 1) -> list[str]:
    """``count`` conversation ids from ``start`` on, as strings: ``id_range(3) == ["1", "2", "3"]``."""
    return [str(i) for i in range(start, start + count)]


def execute(op: Any, ti: FakeTaskInstance | None = None) -> Any:
    """Run an operator's ``execute`` with a context holding only ``ti`` (a fresh fake by default)."""
    return op.execute({"ti": ti or FakeTaskInstance()})
