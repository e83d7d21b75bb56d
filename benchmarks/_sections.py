"""The measures of ``make bench``, one function each; every one returns its raw figures and table rows."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _clients import PeakRss, bare_mark_read, bare_session, make_hook, sdk_available, sdk_client, sdk_version
from _emulator import UNLIMITED, EmulatorProcess

from airflow_provider_intercom.bulk import DEFAULT_MAX_WORKERS, BulkMarkRead

BENCH_DIR = Path(__file__).resolve().parent
MB = 1024 * 1024

# Targets, in one place so the table, the JSON and the code agree.
EFFICIENCY_TARGET = 0.95
RATE_LIMITED_MAX_FRACTION = 0.01
OVERHEAD_RATIO_TARGET = 1.15
OVERHEAD_US_TARGET = 150.0
IMPORT_MS_TARGET = 10.0
MEMORY_MB_TARGET = 50.0
EMULATOR_PUTS_TARGET = 800.0


@dataclass
class Row:
    """One line of the results table. ``status`` is PASS, FAIL, info, skipped or ERROR."""

    measure: str
    result: str
    target: str
    status: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


# -- 1. Bulk efficiency at Intercom's real limit ------------------------------------------------------


def _wait_for_window_start(window: int) -> float:
    """Sleep until just after the emulator's next window starts; return the seconds slept.

    The emulator's windows are aligned to multiples of ``window`` in UNIX time. Starting mid-window
    would hand the run a full window's budget for a fraction of the time and flatter the result; a
    run that starts on a boundary has exactly ``limit`` calls per ``window`` seconds available.
    """
    now = time.time()
    pause = window - (now % window) + 0.01
    time.sleep(pause)
    return pause


class _QuietLog:
    """The engine's log, silenced: the bench prints its own progress, and Airflow's logging setup
    would otherwise interleave the engine's lines with the bench's output."""

    def info(self, event: Any, *args: Any) -> None:
        pass


def _sample_progress(
    limiter: Any, started: float, stop: threading.Event, out: list[tuple[float, int, int]], window: int
) -> None:
    # A progress timeline (answers so far, 429s so far) shows where a shortfall is lost: stalls at
    # window boundaries look different from a steady under-pace.
    next_print = float(window)
    while not stop.wait(0.5):
        at = time.monotonic() - started
        out.append((round(at, 2), limiter.sent, limiter.rate_limited))
        if at >= next_print:
            print(f"    {at:5.1f} s: {limiter.sent:,} answers, {limiter.rate_limited} x 429", flush=True)
            next_print += window


def bulk_efficiency(conversations: int, limit: int = 1667, window: int = 10, latency: float = 0.1) -> dict[str, Any]:
    """The bulk engine against Intercom's default limit, over ``conversations / limit`` windows."""
    ceiling = limit / window
    with EmulatorProcess(conversations=conversations, rate_limit=f"{limit}/{window}s", latency=latency) as emu:
        hook = make_hook(emu.url, emu.token)
        ids = [str(i) for i in range(1, conversations + 1)]
        engine = BulkMarkRead(hook, log=_QuietLog())
        print(
            f"  {conversations} ids, limit {limit}/{window}s, latency {latency * 1000:.0f} ms: "
            f"about {conversations / ceiling:.0f} s after the next window starts ...",
            flush=True,
        )
        waited = _wait_for_window_start(window)
        timeline: list[tuple[float, int, int]] = []
        stop = threading.Event()
        cpu_before, emu_cpu_before = time.process_time(), emu.cpu_seconds()
        started = time.monotonic()
        sampler = threading.Thread(
            target=_sample_progress, args=(engine.limiter, started, stop, timeline, window), daemon=True
        )
        sampler.start()
        try:
            with PeakRss() as probe:
                summary = engine.run(ids)
        finally:
            stop.set()
            sampler.join()
        client_cpu = time.process_time() - cpu_before
        emulator_cpu = emu.cpu_seconds() - emu_cpu_before
    counts = summary["counts"]
    elapsed = counts["elapsed_seconds"]
    calls_per_s = counts["updated"] / elapsed if elapsed else 0.0
    efficiency = calls_per_s / ceiling
    requests_sent = counts["requests"]
    rate_limited = counts["rate_limited_responses"]
    rate_limited_fraction = rate_limited / requests_sent if requests_sent else 0.0
    growth_mb = probe.growth_bytes / MB
    reasons: dict[str, int] = {}
    for entry in summary["failed"]:
        reasons[entry["reason"]] = reasons.get(entry["reason"], 0) + 1
    per_window = _per_window(timeline, window)
    result = {
        "conversations": conversations,
        "limit": limit,
        "window_s": window,
        "latency_s": latency,
        "max_workers": DEFAULT_MAX_WORKERS,
        "waited_for_window_s": round(waited, 3),
        "counts": counts,
        "calls_per_s": calls_per_s,
        "ceiling_calls_per_s": ceiling,
        "efficiency": efficiency,
        "rate_limited_fraction": rate_limited_fraction,
        "failure_reasons": reasons,
        "client_cpu_s": client_cpu,
        "client_cpu_ms_per_call": 1000 * client_cpu / requests_sent if requests_sent else None,
        "emulator_cpu_s": emulator_cpu,
        "peak_rss_growth_bytes": probe.growth_bytes,
        "answers_per_window": per_window,
        "timeline": timeline,
    }
    label = f"{conversations:,} calls at {limit:,}/{window} s, {latency * 1000:.0f} ms latency"
    result["rows"] = [
        Row(
            f"Bulk efficiency ({label})",
            f"{efficiency:.3f} ({calls_per_s:.1f} calls/s of {ceiling:.1f}; {elapsed:.1f} s)",
            f">= {EFFICIENCY_TARGET}",
            verdict(efficiency >= EFFICIENCY_TARGET),
        ),
        Row(
            "Bulk failures",
            f"{counts['failed']} of {counts['total']:,}" + (f" {reasons}" if reasons else ""),
            "0",
            verdict(counts["failed"] == 0),
        ),
        Row(
            "Bulk 429 answers",
            f"{rate_limited} ({100 * rate_limited_fraction:.2f} % of {requests_sent:,} requests)",
            f"<= {100 * RATE_LIMITED_MAX_FRACTION:g} %",
            verdict(rate_limited_fraction <= RATE_LIMITED_MAX_FRACTION),
        ),
        Row("Bulk run, bench process peak RSS growth", f"{growth_mb:.1f} MB", "-", "info"),
    ]
    return result


def _per_window(timeline: list[tuple[float, int, int]], window: int) -> list[int]:
    # Answers per window of the run, from the 0.5 s progress samples (the run starts on a boundary).
    counts: list[int] = []
    previous = 0
    for at, sent, _ in timeline:
        index = int(at // window)
        while len(counts) <= index:
            counts.append(0)
        counts[index] += sent - previous
        previous = sent
    return counts


# -- 2. Side by side: sequential loop, SDK, bulk engine ------------------------------------------------


def side_by_side(calls: int, latency: float = 0.1) -> dict[str, Any]:
    """The same ``calls`` PUTs three ways, against one emulator whose limit never interferes."""
    result: dict[str, Any] = {"calls": calls, "latency_s": latency, "sdk_version": sdk_version()}
    rows: list[Row] = []
    spare = 3 * calls + 1  # warm-up ids, outside the measured ranges
    with EmulatorProcess(conversations=3 * calls + 3, rate_limit=UNLIMITED, latency=latency) as emu:
        session = bare_session(emu.token)
        bare_mark_read(session, emu.url, str(spare))  # connect and warm up before the clock starts
        started = time.perf_counter()
        for i in range(1, calls + 1):
            bare_mark_read(session, emu.url, str(i))
        result["requests_loop"] = _timing(calls, time.perf_counter() - started)
        session.close()
        rows.append(_speed_row(f"Sequential requests.Session loop, {calls} calls", result["requests_loop"]))

        if sdk_available():
            client = sdk_client(emu.url, emu.token)
            client.conversations.update(conversation_id=str(spare + 1), read=True)
            started = time.perf_counter()
            for i in range(calls + 1, 2 * calls + 1):
                client.conversations.update(conversation_id=str(i), read=True)
            result["sdk_loop"] = _timing(calls, time.perf_counter() - started)
            rows.append(
                _speed_row(
                    f"Sequential python-intercom {result['sdk_version']} loop, {calls} calls", result["sdk_loop"]
                )
            )
        else:
            result["sdk_loop"] = None
            rows.append(Row(f"Sequential python-intercom loop, {calls} calls", "not installed", "-", "skipped"))

        hook = make_hook(emu.url, emu.token)
        hook.mark_conversation_read(str(spare + 2))
        ids = [str(i) for i in range(2 * calls + 1, 3 * calls + 1)]
        summary = BulkMarkRead(hook, log=_QuietLog()).run(ids)
        counts = summary["counts"]
        result["bulk_engine"] = {**_timing(counts["updated"], counts["elapsed_seconds"]), "counts": counts}
        rows.append(
            _speed_row(f"Bulk engine (max_workers={DEFAULT_MAX_WORKERS}), {calls} calls", result["bulk_engine"])
        )
    loop_rate = result["requests_loop"]["calls_per_s"]
    if loop_rate:
        result["bulk_speedup_vs_loop"] = result["bulk_engine"]["calls_per_s"] / loop_rate
        rows[-1].result += f", {result['bulk_speedup_vs_loop']:.1f}x the loop"
    result["rows"] = rows
    return result


def _timing(calls: int, seconds: float) -> dict[str, Any]:
    return {"calls": calls, "seconds": seconds, "calls_per_s": calls / seconds if seconds else 0.0}


def _speed_row(measure: str, timing: dict[str, Any]) -> Row:
    return Row(measure, f"{timing['seconds']:.2f} s, {timing['calls_per_s']:.1f} calls/s", "-", "info")


# -- 3. Per-call overhead of the hook (and the SDK) over a bare session --------------------------------


def per_call_overhead(emu: EmulatorProcess, rounds: int = 25, per_block: int = 50) -> dict[str, Any]:
    """Client CPU per call: hook vs SDK vs bare session, in interleaved blocks against a zero-latency emulator.

    Client CPU (``time.process_time``) rather than wall time: the wall time of a loopback call is
    mostly the emulator's work and the scheduler's, which the hook neither adds nor saves.
    Interleaving blocks, with the order rotated each round, spreads drifts in machine load (the
    machine is shared) evenly over the clients instead of charging them to whichever ran last.
    """
    hook = make_hook(emu.url, emu.token)
    session = bare_session(emu.token)
    clients: dict[str, Callable[[str], Any]] = {
        "hook": hook.mark_conversation_read,
        "bare": lambda cid: bare_mark_read(session, emu.url, cid),
    }
    if sdk_available():
        sdk = sdk_client(emu.url, emu.token)
        clients["sdk"] = lambda cid: sdk.conversations.update(conversation_id=cid, read=True)
    ids = [str(1 + i % emu.conversations) for i in range(per_block)]
    for call in clients.values():  # warm-up: connections, lazy imports, cached properties
        for cid in ids:
            call(cid)
    cpu: dict[str, list[float]] = {name: [] for name in clients}
    wall: dict[str, list[float]] = {name: [] for name in clients}
    names = list(clients)
    for round_no in range(rounds):
        shift = round_no % len(names)
        for name in names[shift:] + names[:shift]:
            call = clients[name]
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for cid in ids:
                call(cid)
            cpu[name].append((time.process_time() - cpu0) / per_block)
            wall[name].append((time.perf_counter() - wall0) / per_block)
    session.close()
    hook.session.close()
    result: dict[str, Any] = {
        "rounds": rounds,
        "calls_per_block": per_block,
        "cpu_us_per_call_median": {name: 1e6 * statistics.median(values) for name, values in cpu.items()},
        "wall_us_per_call_median": {name: 1e6 * statistics.median(values) for name, values in wall.items()},
    }
    rows: list[Row] = []
    for name in names:
        if name == "bare":
            continue
        ratios = [c / b for c, b in zip(cpu[name], cpu["bare"], strict=True)]
        overheads = [1e6 * (c - b) for c, b in zip(cpu[name], cpu["bare"], strict=True)]
        q1, ratio, q3 = _quartiles(ratios)
        overhead_us = statistics.median(overheads)
        result[name] = {
            "ratio_median": ratio,
            "ratio_iqr": [q1, q3],
            "overhead_us_median": overhead_us,
            "ratios": ratios,
        }
        text = (
            f"{ratio:.2f}x bare (IQR {q1:.2f}-{q3:.2f}), {overhead_us:+.0f} us/call "
            f"({1e6 * statistics.median(cpu[name]):.0f} vs {1e6 * statistics.median(cpu['bare']):.0f} us CPU)"
        )
        if name == "hook":
            ok = ratio <= OVERHEAD_RATIO_TARGET or overhead_us <= OVERHEAD_US_TARGET
            target = f"<= {OVERHEAD_RATIO_TARGET}x or <= {OVERHEAD_US_TARGET:.0f} us"
            rows.append(
                Row("Per-call client CPU, hook.mark_conversation_read vs bare session", text, target, verdict(ok))
            )
        else:
            rows.append(Row(f"Per-call client CPU, python-intercom {sdk_version()} vs bare session", text, "-", "info"))
    if "sdk" not in clients:
        rows.append(Row("Per-call client CPU, python-intercom vs bare session", "not installed", "-", "skipped"))
    result["rows"] = rows
    return result


# -- 4. Import cost of the operators module -------------------------------------------------------------

_BASE_IMPORT = "from airflow.sdk import BaseOperator, BaseHook"
_OPERATOR_MODULE = "airflow_provider_intercom.operators.intercom"
_CHILD = f"""
import json, sys, time
t0 = time.perf_counter()
{_BASE_IMPORT}
t1 = time.perf_counter()
requests_before = "requests" in sys.modules
if sys.argv[1] == "operator":
    import {_OPERATOR_MODULE}
t2 = time.perf_counter()
print(json.dumps({{"base_s": t1 - t0, "total_s": t2 - t0, "extra_s": t2 - t1,
                  "requests_before": requests_before, "requests_after": "requests" in sys.modules}}))
"""


def _import_env(airflow_home: str, pycache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_CONN_")}
    # Bytecode is cached (in a throwaway prefix, not in the work tree) as it is on any worker where
    # the provider was pip-installed; with PYTHONDONTWRITEBYTECODE=1, as set in some dev shells, every
    # import recompiles the provider's sources and the figure measures the compiler instead.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    env["AIRFLOW_HOME"] = airflow_home
    return env


def _run_child(kind: str, env: dict[str, str], cwd: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *options, "-c", _CHILD, kind],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )


def import_cost(runs: int = 5) -> dict[str, Any]:
    """Extra import time of the operators module over Airflow's own ``airflow.sdk`` imports.

    Each run is a fresh interpreter. The figure held to the target is measured inside the process
    that imports the operator module, after the base imports (so it is exactly the extra). As a
    cross-check, processes importing the base alone alternate with them, and the difference of
    the medians is reported too; that one carries the noise of a 1-2 s Airflow import.
    """
    with tempfile.TemporaryDirectory(prefix="intercom-bench-import-") as tmp:
        env = _import_env(str(Path(tmp) / "airflow"), str(Path(tmp) / "pycache"))
        _run_child("operator", env, tmp)  # fills the bytecode cache; not measured
        base_only: list[dict[str, Any]] = []
        with_operator: list[dict[str, Any]] = []
        for _ in range(runs):
            base_only.append(json.loads(_run_child("base", env, tmp).stdout))
            with_operator.append(json.loads(_run_child("operator", env, tmp).stdout))
        extra_ms = 1000 * statistics.median(r["extra_s"] for r in with_operator)
        cross_check_ms = 1000 * (
            statistics.median(r["total_s"] for r in with_operator) - statistics.median(r["base_s"] for r in base_only)
        )
        requests_by_base = any(r["requests_before"] for r in with_operator)
        requests_by_operator = any(r["requests_after"] and not r["requests_before"] for r in with_operator)
        heaviest: list[str] = []
        if extra_ms > IMPORT_MS_TARGET:
            heaviest = _heaviest_imports(env, tmp)
    result: dict[str, Any] = {
        "runs": runs,
        "extra_ms_median": extra_ms,
        "extra_ms_each": [1000 * r["extra_s"] for r in with_operator],
        "base_ms_median": 1000 * statistics.median(r["base_s"] for r in base_only),
        "separate_process_difference_ms": cross_check_ms,
        "requests_imported_by_base": requests_by_base,
        "requests_imported_by_operator_module": requests_by_operator,
        "heaviest_imports": heaviest,
    }
    result["rows"] = [
        Row(
            "Import cost of airflow_provider_intercom.operators.intercom (over airflow.sdk)",
            f"{extra_ms:.1f} ms (median of {runs}; separate-process difference {cross_check_ms:+.0f} ms)",
            f"<= {IMPORT_MS_TARGET:g} ms",
            verdict(extra_ms <= IMPORT_MS_TARGET),
        ),
        Row(
            "requests imported by the operators module",
            "yes" if requests_by_operator else ("no (already imported by airflow.sdk)" if requests_by_base else "no"),
            "no",
            verdict(not requests_by_operator),
        ),
    ]
    return result


def _heaviest_imports(env: dict[str, str], cwd: str, top: int = 12) -> list[str]:
    """``-X importtime`` lines of the operator import, heaviest cumulative first."""
    stderr = _run_child("operator", env, cwd, "-X", "importtime").stderr
    names_before = set()
    base = _run_child("base", env, cwd, "-X", "importtime").stderr
    for line in base.splitlines():
        names_before.add(line.rsplit("|", 1)[-1].strip())
    extra = [line for line in stderr.splitlines() if line.rsplit("|", 1)[-1].strip() not in names_before]

    def cumulative(line: str) -> int:
        try:
            return int(line.split("|")[1])
        except (IndexError, ValueError):
            return -1

    return sorted(extra, key=cumulative, reverse=True)[:top]


# -- 5. Memory of a 10,000-id run --------------------------------------------------------------------------


def memory(emu: EmulatorProcess, ids: int = 10_000) -> dict[str, Any]:
    """Peak RSS growth of one bulk run with the default ``xcom_fields``, in a fresh process."""
    completed = subprocess.run(
        [sys.executable, str(BENCH_DIR / "_memory_child.py"), emu.url, emu.token, str(ids)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    growth_mb = result["peak_growth_bytes"] / MB
    counts = result["counts"]
    result["rows"] = [
        Row(
            f"Peak RSS growth, bulk run on {ids:,} ids (default xcom_fields)",
            f"{growth_mb:.1f} MB ({counts['updated']:,} updated in {counts['elapsed_seconds']:.1f} s)",
            f"<= {MEMORY_MB_TARGET:g} MB",
            verdict(growth_mb <= MEMORY_MB_TARGET and counts["failed"] == 0),
        )
    ]
    return result


# -- 6. The emulator's own throughput ------------------------------------------------------------------------


def emulator_throughput(duration: float) -> dict[str, Any]:
    """``benchmarks/emulator_throughput.measure``: can the emulator outrun what it is asked to emulate?"""
    import emulator_throughput as throughput

    result = throughput.measure(duration=duration)
    puts = result["puts_per_second"]
    result["rows"] = [
        Row(
            "Emulator throughput (PUT/s, 2 processes x 2 threads)",
            f"{puts:.0f} PUT/s, {result['emulator_cpu_ms_per_request']:.2f} ms emulator CPU/request, "
            f"{result['errors']} errors",
            f">= {EMULATOR_PUTS_TARGET:g} PUT/s",
            verdict(puts >= EMULATOR_PUTS_TARGET and result["errors"] == 0),
        )
    ]
    return result
