"""Rate-limit headers from a proxy are facts to check: a bulk run over loopback survives each of them.

Each scenario once stalled a 100-id run (1 id done, then nothing until ``execution_timeout``; 19
ids in 87 s; a stall after 26 ids). The bound of 60 s is the issue's; a run that has not finished
by then is stopped, so a regression fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from airflow_provider_intercom.bulk import BulkOptions, BulkRun
from airflow_provider_intercom.client import IntercomClient
from airflow_provider_intercom.client._actions import update_request
from tests.helpers.dagrun import run_dag
from tests.helpers.fixtures import CONN_ID, id_range
from tests.helpers.hostile_server import (
    Scenario,
    every_answer,
    hostile_server,
    intercom_like,
    rate_headers,
    rate_limited_every,
)

DAYS_30 = 30 * 86400
SCENARIOS: dict[str, Scenario] = {
    "reset in milliseconds": every_answer(lambda now: rate_headers(1667, 1000, int(now * 1000))),
    "reset 30 days ahead": every_answer(lambda now: rate_headers(1667, 1000, int(now) + DAYS_30)),
    "reset in the past": every_answer(lambda now: rate_headers(1667, 0, int(now) - 3600)),
    'reset of "10"': every_answer(lambda now: rate_headers(1667, 5, 10)),
    "remaining -5": every_answer(lambda now: {**intercom_like(now), "X-RateLimit-Remaining": "-5"}),
    "non-numeric headers": every_answer(lambda now: rate_headers("lots", "many", "soon")),
    'a 429 with reset "10" on every 40th request': rate_limited_every(40, "10"),
}
#: The issue's bound for 100 ids.
WITHIN = 60.0


class Warnings:
    """A logger that keeps its warnings."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: Any, /, *args: Any) -> None:
        pass

    def warning(self, msg: Any, /, *args: Any) -> None:
        self.lines.append(str(msg) % args)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_bulk_run_of_100_ids_finishes_whatever_the_headers_say(name: str) -> None:
    log = Warnings()
    with hostile_server(SCENARIOS[name]) as server:
        client = IntercomClient(server.token, base_url=server.url, conn_id=CONN_ID)
        run = BulkRun(client, BulkOptions(), log=log)
        guard = threading.Timer(WITHIN, run.stop)  # a stalled run is stopped, not waited for
        guard.start()
        started = time.monotonic()
        try:
            summary = run.run(id_range(100), update_request({"read": True}))
        finally:
            guard.cancel()
        elapsed = time.monotonic() - started

    assert summary["counts"]["updated"] == 100, summary["counts"]
    assert server.updated == set(id_range(100))
    assert elapsed < WITHIN
    # Every answer carried the bad value, yet each kind of problem is reported once.
    assert 1 <= len(log.lines) <= 3, log.lines
    assert all("Ignoring X-RateLimit-" in line for line in log.lines)


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_the_bulk_operator_rides_out_429s_whose_reset_is_delta_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    with hostile_server(rate_limited_every(40, "10")) as server:
        conn = {"conn_type": "intercom", "host": server.url, "password": server.token, "extra": {}}
        monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", json.dumps(conn))
        started = time.monotonic()
        result = run_dag("test_intercom_bulk_hostile_headers")
        elapsed = time.monotonic() - started

    assert result.state == "success"
    assert result.xcom("bulk")["counts"]["updated"] == 100
    assert server.updated == set(id_range(100))
    assert server.rate_limited >= 2
    assert elapsed < WITHIN
