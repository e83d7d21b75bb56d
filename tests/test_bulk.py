"""The bulk engine over real HTTP against the emulator, with small rate-limit windows."""

from __future__ import annotations

import threading
import time

import pytest

from airflow_provider_intercom.bulk import BulkMarkRead
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import make_hook


def _puts(emu: IntercomEmulator) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in emu.requests if r.method == "PUT"]


def test_everything_succeeds_in_order_under_the_limit() -> None:
    with IntercomEmulator(conversations=160, rate_limit=50, window=1) as emu:
        ids = [str(i) for i in range(160, 0, -1)]  # reverse order: the summary must keep it
        engine = BulkMarkRead(make_hook(emu), max_workers=8)

        started = time.time()
        summary = engine.run(ids)
        elapsed = time.time() - started

        assert [c["id"] for c in summary["updated"]] == ids
        assert all(c["read"] is True for c in summary["updated"])
        assert set(summary["updated"][0]) == {"id", "read", "state", "updated_at"}
        assert summary["failed"] == summary["skipped"] == []
        assert summary["counts"]["updated"] == 160
        assert all(emu.get(i)["read"] for i in ids)
        # 160 calls at 50 per aligned 1 s window need at least 3 full windows...
        assert elapsed >= 2.0
        # ...and a rate limiter that paces rather than hammers sees (almost) no 429s.
        assert summary["counts"]["rate_limited_responses"] <= 3
        assert len(_puts(emu)) == 160 + summary["counts"]["rate_limited_responses"]


def test_429s_are_waited_out_and_retried() -> None:
    with IntercomEmulator(conversations=20) as emu:
        emu.inject("rate_limit", method="PUT", times=5, reset_in=0)
        summary = BulkMarkRead(make_hook(emu), max_workers=4).run([str(i) for i in range(1, 21)])
        assert summary["counts"]["updated"] == 20
        assert summary["counts"]["rate_limited_responses"] == 5
        assert len(_puts(emu)) == 25


def test_partial_failures_every_id_is_accounted_for() -> None:
    with IntercomEmulator(conversations=30) as emu:
        emu.inject("status", path="/conversations/5", status=500, times=None)
        emu.inject("status", path="/conversations/6", status=400, code="parameter_invalid", field="read", times=None)
        ids = [str(i) for i in range(1, 31)] + ["9999"]
        summary = BulkMarkRead(make_hook(emu), max_workers=4).run(ids)

        failed = {f["id"]: f for f in summary["failed"]}
        assert set(failed) == {"5", "6", "9999"}
        assert failed["5"]["reason"] == "server_error"
        assert failed["5"]["status"] == 500
        assert failed["5"]["request_id"]
        assert (failed["6"]["reason"], failed["6"]["status"]) == ("parameter_invalid", 400)
        assert failed["9999"]["reason"] == "not_found"
        assert len(summary["updated"]) == 28
        counts = summary["counts"]
        assert counts["updated"] + counts["skipped"] + counts["failed"] == counts["total"] == 31
        # No PUT more often than its retries allow: 500 gets 1 + 3 retries, 400 and 404 one each.
        per_id = {i: _puts(emu).count(i) for i in ("5", "6", "9999", "1")}
        assert per_id == {"5": 4, "6": 1, "9999": 1, "1": 1}


def test_ignore_not_found_counts_a_404_as_skipped() -> None:
    with IntercomEmulator(conversations=3) as emu:
        summary = BulkMarkRead(make_hook(emu), ignore_not_found=True).run(["1", "404", "2"])
        assert [s["id"] for s in summary["skipped"]] == ["404"]
        assert summary["skipped"][0]["reason"] == "not_found"
        assert summary["failed"] == []


def test_an_exhausted_429_budget_fails_the_id_as_rate_limited() -> None:
    with IntercomEmulator(conversations=5) as emu:
        emu.inject("rate_limit", path="/conversations/2", times=None, reset_in=0)
        summary = BulkMarkRead(make_hook(emu), rate_limit_budget=0.5).run(["1", "2", "3"])
        assert [f["id"] for f in summary["failed"]] == ["2"]
        assert summary["failed"][0]["reason"] == "rate_limited"
        assert summary["failed"][0]["status"] == 429
        assert [c["id"] for c in summary["updated"]] == ["1", "3"]


def test_xcom_fields_none_keeps_whole_conversations() -> None:
    with IntercomEmulator(conversations=2) as emu:
        summary = BulkMarkRead(make_hook(emu), xcom_fields=None).run(["1", "2"])
        assert summary["updated"][0] == emu.get("1")


def test_stop_mid_run_sends_no_put_afterwards() -> None:
    with IntercomEmulator(conversations=400, latency=0.02) as emu:
        engine = BulkMarkRead(make_hook(emu), max_workers=4)
        result: dict[str, object] = {}
        runner = threading.Thread(target=lambda: result.update(engine.run([str(i) for i in range(1, 401)])))
        runner.start()
        while len(_puts(emu)) < 20:
            time.sleep(0.005)
        engine.stop()
        stopped_at = len(_puts(emu))
        runner.join(timeout=10)
        assert not runner.is_alive()
        # Requests already on the wire when stop() was called may still arrive (at most one per
        # worker); nothing new is started after that.
        after_join = len(_puts(emu))
        assert after_join - stopped_at <= 4
        time.sleep(0.2)
        assert len(_puts(emu)) == after_join
        counts = result["counts"]
        assert isinstance(counts, dict)
        assert counts["total"] == 400
        assert counts["updated"] + counts["failed"] == 400
        assert counts["failed"] >= 300
        cancelled = [f for f in result["failed"] if f["reason"] == "cancelled"]  # type: ignore[union-attr]
        assert len(cancelled) == counts["failed"]


def test_rerun_after_a_stop_finishes_the_job_idempotently() -> None:
    with IntercomEmulator(conversations=60, latency=0.01) as emu:
        ids = [str(i) for i in range(1, 61)]
        engine = BulkMarkRead(make_hook(emu), max_workers=2)
        runner = threading.Thread(target=engine.run, args=(ids,))
        runner.start()
        while len(_puts(emu)) < 10:
            time.sleep(0.005)
        engine.stop()
        runner.join()
        again = BulkMarkRead(make_hook(emu), max_workers=4).run(ids)
        assert again["counts"]["updated"] == 60
        assert again["failed"] == []
        assert all(emu.get(i)["read"] for i in ids)


def test_a_bug_in_a_worker_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    with IntercomEmulator(conversations=3) as emu:
        hook = make_hook(emu)
        monkeypatch.setattr(
            type(hook), "mark_conversation_read", lambda self, cid: (_ for _ in ()).throw(KeyError("boom"))
        )
        with pytest.raises(KeyError, match="boom"):
            BulkMarkRead(hook).run(["1", "2"])


def test_two_parallel_runs_share_one_limit_without_failures() -> None:
    with IntercomEmulator(conversations=4000, rate_limit=500, window=1) as emu:
        ids = [str(i) for i in range(1, 4001)]
        halves = [ids[:2000], ids[2000:]]
        results: list[dict[str, object]] = []
        threads = [
            threading.Thread(
                target=lambda part=part: results.append(BulkMarkRead(make_hook(emu), max_workers=6).run(part))
            )
            for part in halves
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(results) == 2
        for result in results:
            counts = result["counts"]
            assert isinstance(counts, dict)
            assert counts["failed"] == 0
            assert counts["updated"] == 2000
        assert all(emu.get(i)["read"] for i in ids)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"status": 401, "code": "unauthorized", "message": "Access Token Invalid"}, "unauthorized"),
        (
            {"status": 403, "code": "api_plan_restricted", "message": "Active subscription needed."},
            "api_plan_restricted",
        ),
    ],
)
def test_an_error_that_hits_every_id_stops_the_run(fault: dict[str, object], reason: str) -> None:
    with IntercomEmulator(conversations=300) as emu:
        emu.inject("status", method="PUT", times=None, **fault)  # type: ignore[arg-type]
        summary = BulkMarkRead(make_hook(emu), max_workers=4).run([str(i) for i in range(1, 301)])

        # At most the requests already on their way when the first answer came back.
        assert len(_puts(emu)) <= 4 * 2
        reasons = {f["reason"] for f in summary["failed"]}
        assert reasons == {reason, "cancelled"}
        assert summary["counts"]["failed"] == 300
        assert all("Bearer" not in str(f) for f in summary["failed"])


def test_failed_entries_stay_small() -> None:
    with IntercomEmulator(conversations=1) as emu:
        summary = BulkMarkRead(make_hook(emu)).run([str(i) for i in range(1000, 1100)])
        assert summary["failed"][0]["message"] == "Resource Not Found"
        assert len(repr(summary)) < 100 * 200
