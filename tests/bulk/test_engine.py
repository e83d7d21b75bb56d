"""The async bulk engine over real HTTP against the emulator: pacing, concurrency, faults, stops.

Windows are small (``window=1``) so that a few dozen ids cross several of them in a second or two;
the engine is told the emulator's window, as it is never inferred from the answers.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from airflow_provider_intercom.bulk import BulkOptions, BulkRun, updated_ids
from airflow_provider_intercom.client import IntercomAuthError, IntercomClient, IntercomForbiddenError, RetryPolicy
from airflow_provider_intercom.client._actions import update_request
from airflow_provider_intercom.client.facts import DEFAULT_XCOM_FIELDS
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.emulator_log import (
    AfterPuts,
    assert_nothing_sent_after,
    most_per_window,
    peak_in_flight,
    put_ids,
    puts,
)
from tests.helpers.fixtures import FAST_RETRIES, id_range, make_client

READ = {"read": True}
LOG = logging.getLogger(__name__)


def _run(
    emulator: IntercomEmulator,
    ids: list[str],
    body: dict[str, Any] = READ,
    *,
    client: IntercomClient | None = None,
    **options: Any,
) -> tuple[dict[str, Any], BulkRun]:
    options.setdefault("rate_limit_window", emulator.rate_limit[1])
    run = BulkRun(client or make_client(emulator, retry_policy=FAST_RETRIES), BulkOptions(**options), log=LOG)
    return run.run(ids, update_request(body)), run


# -- Pacing under the rate limit --------------------------------------------------------------


@pytest.mark.parametrize(
    "latency",
    [
        pytest.param(0.0, marks=pytest.mark.intercom_emulator(conversations=40, rate_limit=20, window=1)),
        pytest.param(
            0.05, marks=pytest.mark.intercom_emulator(conversations=40, rate_limit=20, window=1, latency=0.05)
        ),
        pytest.param(
            0.2,
            marks=pytest.mark.intercom_emulator(
                conversations=40, rate_limit=20, window=1, latency=0.1, latency_p95=0.3, latency_seed=7
            ),
        ),
    ],
)
def test_every_id_is_updated_in_input_order_without_exceeding_the_limit(
    intercom_emulator: IntercomEmulator, latency: float
) -> None:
    ids = id_range(40)[::-1]  # reverse order: the summary must keep it

    summary, _ = _run(intercom_emulator, ids)

    assert [c["id"] for c in summary["updated"]] == ids
    assert all(c["read"] is True for c in summary["updated"])
    assert all(set(c) == set(DEFAULT_XCOM_FIELDS) for c in summary["updated"])
    assert summary["failed"] == summary["skipped"] == []
    assert all(intercom_emulator.get(cid)["read"] for cid in ids)
    sent = puts(intercom_emulator)
    counts = summary["counts"]
    assert (counts["total"], counts["updated"], counts["requests"]) == (40, 40, len(sent))
    # 40 calls at 20 per aligned 1 s window: paced, not hammered, so no window saw more than its
    # limit (429s included) and Intercom never had to refuse one.
    assert most_per_window(sent, 1) <= 20
    assert counts["rate_limited_responses"] == 0
    assert [r.status for r in sent] == [200] * 40


@pytest.mark.intercom_emulator(conversations=90, rate_limit=30, window=1)
def test_two_runs_sharing_one_app_limit_finish_without_failures(intercom_emulator: IntercomEmulator) -> None:
    halves = [id_range(45), id_range(45, start=46)]
    results: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda part=part: results.append(_run(intercom_emulator, part)[0])) for part in halves
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(results) == 2
    for result in results:
        assert result["counts"]["failed"] == 0
        assert result["counts"]["updated"] == 45
    assert all(intercom_emulator.get(cid)["read"] for cid in id_range(90))
    sent = puts(intercom_emulator)
    refused = sum(r.status == 429 for r in sent)
    # Each run sees the other's calls only in the shared X-RateLimit-Remaining: a rare 429 at a
    # window's edge is waited out, never more than a few.
    assert refused <= max(1, len(sent) // 100) + 2
    assert most_per_window([r for r in sent if r.status != 429], 1) <= 30


# -- Concurrency follows latency ---------------------------------------------------------------


def _peak(latency: float, max_concurrency: int | None, count: int = 60) -> int:
    """Run ids at a generous limit; return the most requests the emulator held at once."""
    with IntercomEmulator(conversations=count, rate_limit=200, window=1, latency=latency) as emulator:
        options = BulkOptions(max_concurrency=max_concurrency, rate_limit_window=emulator.rate_limit[1])
        run = BulkRun(make_client(emulator, retry_policy=FAST_RETRIES), options, log=LOG)
        summary = run.run(id_range(count), update_request(READ))
        assert summary["counts"]["updated"] == count
        return peak_in_flight(puts(emulator), latency)


def test_concurrency_grows_with_latency_and_stays_under_the_cap() -> None:
    fast = _peak(0.02, None)
    slow = _peak(0.25, None)
    capped = _peak(0.25, 3, count=24)

    # Little's law: the same rate at 12x the latency needs many more requests in flight.
    assert slow >= 3 * fast, (fast, slow)
    # max_concurrency is a hard ceiling, and the engine does use it when latency calls for more.
    assert capped == 3


@pytest.mark.intercom_emulator(conversations=10, latency=0.1)
def test_the_first_request_goes_alone(intercom_emulator: IntercomEmulator) -> None:
    summary, _ = _run(intercom_emulator, id_range(10))

    assert summary["counts"]["updated"] == 10
    first, second = puts(intercom_emulator)[:2]
    # The second waited for the first answer (0.1 s of latency), as a bad token must cost one request.
    assert second.received_monotonic - first.received_monotonic >= 0.09


# -- Errors that hit every id: one request, then stop ----------------------------------------


@pytest.mark.parametrize(
    ("token", "error", "reason"),
    [
        pytest.param("wrong-token", IntercomAuthError, "unauthorized", id="401 bad token"),
        pytest.param(
            None,
            IntercomForbiddenError,
            "api_plan_restricted",
            id="403 plan restricted",
            marks=pytest.mark.intercom_emulator(plan_restricted=True),
        ),
    ],
)
def test_an_error_that_hits_every_id_costs_exactly_one_request(
    intercom_emulator: IntercomEmulator, token: str | None, error: type[Exception], reason: str
) -> None:
    client = make_client(intercom_emulator, retry_policy=FAST_RETRIES, token=token or intercom_emulator.token)
    ids = id_range(40)

    summary, run = _run(intercom_emulator, ids, client=client)

    assert len(intercom_emulator.requests) == 1
    assert isinstance(run.fatal, error)
    assert summary["counts"]["failed"] == 40
    assert summary["failed"][0]["reason"] == reason
    assert {f["reason"] for f in summary["failed"][1:]} == {"cancelled"}
    assert [f["id"] for f in summary["failed"]] == ids
    assert "wrong-token" not in repr(summary)
    assert "Bearer" not in repr(summary)


# -- Faults within a batch ---------------------------------------------------------------------


@pytest.mark.intercom_emulator(conversations=20)
def test_a_429_storm_is_waited_out_and_retried(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("rate_limit", method="PUT", times=3, reset_in=0)

    summary, _ = _run(intercom_emulator, id_range(20))

    assert summary["counts"]["updated"] == 20
    assert summary["counts"]["rate_limited_responses"] == 3
    assert len(puts(intercom_emulator)) == 23
    assert [c["id"] for c in summary["updated"]] == id_range(20)


@pytest.mark.intercom_emulator(conversations=30)
def test_each_fault_ends_its_id_as_the_fault_matrix_says(intercom_emulator: IntercomEmulator) -> None:
    emu = intercom_emulator
    emu.inject("status", path="/conversations/5", status=500, times=None)
    emu.inject("status", path="/conversations/6", status=503, times=2)
    emu.inject("reset", path="/conversations/7", times=1)
    emu.inject("reset", path="/conversations/8", times=None)
    emu.inject("status", path="/conversations/9", status=400, code="parameter_invalid", field="read", times=None)
    emu.inject("html", path="/conversations/10", times=1)
    ids = [*id_range(30), "9999"]

    summary, _ = _run(emu, ids)

    failed = {f["id"]: f for f in summary["failed"]}
    assert set(failed) == {"5", "8", "9", "9999"}
    assert (failed["5"]["reason"], failed["5"]["status"], failed["5"]["code"]) == ("server_error", 500, "server_error")
    assert failed["5"]["request_id"]
    assert (failed["8"]["reason"], failed["8"]["status"]) == ("network", None)
    assert (failed["9"]["reason"], failed["9"]["status"]) == ("parameter_invalid", 400)
    assert (failed["9999"]["reason"], failed["9999"]["status"]) == ("not_found", 404)
    assert [c["id"] for c in summary["updated"]] == [cid for cid in ids if cid not in failed]
    counts = summary["counts"]
    assert counts["updated"] + counts["skipped"] + counts["failed"] == counts["total"] == 31
    # Retried as far as the policy allows (1 + 3 retries) for what a retry can fix, once otherwise.
    sent = put_ids(emu)
    assert {cid: sent.count(cid) for cid in ("5", "6", "7", "8", "9", "10", "9999", "1")} == {
        "5": 4,
        "6": 3,
        "7": 2,
        "8": 4,
        "9": 1,
        "10": 2,
        "9999": 1,
        "1": 1,
    }
    assert counts["requests"] == len(sent)


@pytest.mark.intercom_emulator(conversations=3)
def test_the_preview_api_version_is_sent_on_every_put(intercom_emulator: IntercomEmulator) -> None:
    _run(intercom_emulator, id_range(3), client=make_client(intercom_emulator, api_version="Preview"))

    assert [(r.headers["Intercom-Version"], r.api_version) for r in puts(intercom_emulator)] == [("Preview",) * 2] * 3


@pytest.mark.intercom_emulator(conversations=3)
def test_ignore_not_found_counts_a_404_as_skipped(intercom_emulator: IntercomEmulator) -> None:
    summary, _ = _run(intercom_emulator, ["1", "404", "2"], ignore_not_found=True)

    assert [s["id"] for s in summary["skipped"]] == ["404"]
    assert summary["skipped"][0]["reason"] == "not_found"
    assert summary["failed"] == []
    assert [c["id"] for c in summary["updated"]] == ["1", "2"]


@pytest.mark.intercom_emulator(conversations=5)
def test_an_exhausted_429_budget_fails_the_id_as_rate_limited(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("rate_limit", path="/conversations/2", times=None, reset_in=0)

    # (A budget of several answers: while paced, an answer may wait up to 0.2 s to be handled.)
    summary, _ = _run(intercom_emulator, ["1", "2", "3"], rate_limit_budget=1.5)

    assert [(f["id"], f["reason"], f["status"]) for f in summary["failed"]] == [("2", "rate_limited", 429)]
    assert [c["id"] for c in summary["updated"]] == ["1", "3"]
    assert put_ids(intercom_emulator).count("2") > 1


@pytest.mark.intercom_emulator(conversations=2)
def test_xcom_fields_none_keeps_whole_conversations(intercom_emulator: IntercomEmulator) -> None:
    summary, _ = _run(intercom_emulator, ["1", "2"], xcom_fields=None)
    assert summary["updated"][0] == intercom_emulator.get("1")


@pytest.mark.intercom_emulator(conversations=2)
def test_every_entry_names_its_conversation_whatever_xcom_fields_keep(intercom_emulator: IntercomEmulator) -> None:
    summary, _ = _run(intercom_emulator, ["2", "1"], xcom_fields=("state",))
    assert summary["updated"] == [{"id": cid, "state": intercom_emulator.get(cid)["state"]} for cid in ("2", "1")]
    assert updated_ids(summary) == ["2", "1"]


@pytest.mark.intercom_emulator(conversations=1)
def test_failed_entries_stay_small(intercom_emulator: IntercomEmulator) -> None:
    summary, _ = _run(intercom_emulator, id_range(100, start=1000))
    assert summary["failed"][0]["message"] == "Resource Not Found"
    assert len(repr(summary)) < 100 * 200


@pytest.mark.intercom_emulator(conversations=3)
def test_a_bug_in_a_request_task_fails_loudly(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import airflow_provider_intercom.bulk._engine as engine_module

    def broken(*args: Any) -> Any:
        raise KeyError("boom")

    monkeypatch.setattr(engine_module, "parse_response", broken)
    run = BulkRun(make_client(intercom_emulator, retry_policy=FAST_RETRIES), BulkOptions(), log=LOG)
    with pytest.raises(KeyError, match="boom"):
        run.run(["1", "2"], update_request(READ))
    assert run.summary is not None
    assert run.summary["counts"]["total"] == 2


@pytest.mark.intercom_emulator(conversations=5)
def test_ids_an_earlier_try_confirmed_are_not_sent_again(intercom_emulator: IntercomEmulator) -> None:
    run = BulkRun(make_client(intercom_emulator, retry_policy=FAST_RETRIES), BulkOptions(), log=LOG)
    checkpoints: list[bytes] = []

    summary = run.run(id_range(5), update_request(READ), done={0, 2}, on_checkpoint=checkpoints.append)

    assert sorted(put_ids(intercom_emulator)) == ["2", "4", "5"]  # concurrent: any arrival order
    assert summary["updated"][0] == {"id": "1", "resumed": True}
    assert [c["id"] for c in summary["updated"]] == id_range(5)
    assert (summary["counts"]["resumed"], summary["counts"]["requests"]) == (2, 3)
    assert checkpoints[-1] == b"\x01" * 5


# -- Stopping ----------------------------------------------------------------------------------


@pytest.mark.intercom_emulator(conversations=300, latency=0.05)
def test_stop_from_another_thread_sends_no_put_afterwards(intercom_emulator: IntercomEmulator) -> None:
    run = BulkRun(make_client(intercom_emulator, retry_policy=FAST_RETRIES), BulkOptions(max_concurrency=4), log=LOG)
    stopper = AfterPuts(intercom_emulator, 10, run.stop)  # as Airflow's on_kill would, from another thread
    stopper.start()

    summary = run.run(id_range(300), update_request(READ))
    returned_at = time.time()
    stopper.join()

    counts = summary["counts"]
    assert_nothing_sent_after(intercom_emulator, stopper.at, accounted=counts["requests"], on_wire=4)
    assert returned_at - stopper.at < 3.0
    assert counts["total"] == 300
    assert counts["updated"] + counts["failed"] == 300
    assert 10 <= counts["requests"] < 100
    assert 0 < counts["updated"] <= counts["requests"]
    assert {f["reason"] for f in summary["failed"]} == {"cancelled"}
    assert run.summary == summary


@pytest.mark.intercom_emulator(conversations=60, latency=0.01)
def test_a_rerun_after_a_stop_finishes_the_job_idempotently(intercom_emulator: IntercomEmulator) -> None:
    ids = id_range(60)
    run = BulkRun(make_client(intercom_emulator, retry_policy=FAST_RETRIES), BulkOptions(), log=LOG)
    stopper = AfterPuts(intercom_emulator, 10, run.stop)
    stopper.start()
    first = run.run(ids, update_request(READ))
    stopper.join()
    assert first["counts"]["failed"] > 0

    again, _ = _run(intercom_emulator, ids)

    assert again["counts"]["updated"] == 60
    assert again["failed"] == []
    assert all(intercom_emulator.get(cid)["read"] for cid in ids)


@pytest.mark.intercom_emulator(conversations=5)
def test_a_stop_before_the_start_sends_nothing(intercom_emulator: IntercomEmulator) -> None:
    run = BulkRun(make_client(intercom_emulator, retry_policy=FAST_RETRIES), BulkOptions(), log=LOG)
    run.stop()
    summary = run.run(id_range(5), update_request(READ))
    assert intercom_emulator.requests == []
    assert summary["counts"]["failed"] == 5


# -- Stops that leave ids mid-flight ---------------------------------------------------------


def test_an_unreachable_intercom_costs_one_id_not_every_id() -> None:
    # A port nothing listens on: the probe gives up after its retries, and the run stops there.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = IntercomClient("not-a-real-token", base_url=f"http://127.0.0.1:{port}", retry_policy=FAST_RETRIES)
    run = BulkRun(client, BulkOptions(), log=LOG)
    summary = run.run(id_range(50), update_request(READ))
    assert run.fatal is not None
    assert run.fatal.status is None
    assert "could not connect" in str(run.fatal)
    assert summary["counts"]["requests"] == FAST_RETRIES.max_retries + 1
    assert summary["failed"][0]["reason"] == "network"
    assert {f["reason"] for f in summary["failed"][1:]} == {"cancelled"}


@pytest.mark.intercom_emulator(conversations=5)
def test_an_id_waiting_to_retry_at_a_stop_says_so_with_its_last_error(intercom_emulator: IntercomEmulator) -> None:
    # Every PUT answers 503, which is retried after a backoff: a stop lands during that wait.
    intercom_emulator.inject("status", status=503, times=None, method="PUT")
    policy = RetryPolicy(max_retries=5, backoff_base=20.0, backoff_cap=20.0)
    run = BulkRun(make_client(intercom_emulator, retry_policy=policy), BulkOptions(), log=LOG)
    threading.Timer(1.0, run.stop).start()
    summary = run.run(id_range(1), update_request(READ))
    (entry,) = summary["failed"]
    assert (entry["reason"], entry["status"]) == ("cancelled", 503)
    assert entry["message"].startswith("the run was stopped while waiting to retry after:")
