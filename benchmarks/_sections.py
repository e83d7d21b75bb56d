"""The measures of ``make bench``, one function each; every one returns its raw figures and table rows.

Every client runs in a process of its own (``_client_child.py``) and every emulator in another
(``_emulator.EmulatorProcess``), so that CPU time and peak RSS are the client's alone. Rates are
counted from the emulator's request log, by arrival time, as Intercom counts them.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _clients import sdk_available, sdk_version
from _emulator import UNLIMITED, EmulatorProcess

BENCH_DIR = Path(__file__).resolve().parent
CHILD = BENCH_DIR / "_client_child.py"
MB = 1024 * 1024

# Targets, in one place so the table, the JSON and the code agree.
EFFICIENCY_TARGET = 0.95
RATE_LIMITED_MAX_FRACTION = 0.01
CPU_RATIO_TARGET = 0.5
IMPORT_MS_TARGET = 10.0
MEMORY_MB_TARGET = 50.0
EMULATOR_PUTS_TARGET = 800.0
#: Full windows each efficiency figure must rest on.
MIN_FULL_WINDOWS = 5


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


# -- Clients in processes of their own ---------------------------------------------------------------


def _start_client(mode: str, emu: EmulatorProcess, first: int, count: int, start_at: float | None = None) -> Any:
    command = [sys.executable, str(CHILD), mode, emu.url, emu.token, str(first), str(count)]
    if start_at is not None:
        command += ["--start-at", repr(start_at)]
    return subprocess.Popen(command, cwd=BENCH_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish_client(process: Any, timeout: float = 900) -> dict[str, Any]:
    stdout, stderr = process.communicate(timeout=timeout)
    if process.returncode != 0:
        raise RuntimeError(f"client process exited with {process.returncode}:\n{stderr[-3000:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result


def run_client(mode: str, emu: EmulatorProcess, first: int, count: int) -> dict[str, Any]:
    """Run one client to its end in a fresh process; return its JSON figures."""
    return _finish_client(_start_client(mode, emu, first, count))


# -- Counting the emulator's log by window --------------------------------------------------------------


def count_windows(
    log: list[dict[str, Any]], run_start: float, run_end: float, window: int, limit: int
) -> dict[str, Any]:
    """Successes per rate window that lies wholly within ``[run_start, run_end]``, by arrival time.

    The emulator's windows are aligned to multiples of ``window`` in UNIX time, as its limiter's;
    a window the run only partly covers (the ramp-up, the tail) is left out. The run ends, for
    this count, when its last request arrives: after that the client has nothing left to send and
    only waits for answers (seconds, at a 1 s median latency), which says nothing of its pacing.
    """
    # The writes: PUTs of updates, POSTs of actions (a search is a POST that writes nothing).
    puts = [r for r in log if r["method"] in {"PUT", "POST", "DELETE"} and r["path"] != "/conversations/search"]
    if puts:
        run_end = min(run_end, max(r["received_at"] for r in puts))
    first_full = int(-(-run_start // window))  # ceil
    last_full = int(run_end // window) - 1
    ok_per_window = Counter(int(r["received_at"] // window) for r in puts if r["status"] == 200)
    full = list(range(first_full, last_full + 1))
    per_window = [ok_per_window.get(k, 0) for k in full]
    statuses = Counter(r["status"] for r in puts)
    rate_limited = statuses.get(429, 0)
    return {
        "full_windows": len(full),
        "successes_per_full_window": per_window,
        "efficiency_per_window": [n / limit for n in per_window],
        "efficiency": statistics.mean(per_window) / limit if per_window else 0.0,
        "efficiency_min": min(per_window) / limit if per_window else 0.0,
        "requests": len(puts),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "rate_limited": rate_limited,
        "rate_limited_fraction": rate_limited / len(puts) if puts else 0.0,
    }


def _efficiency_rows(label: str, figures: dict[str, Any], failed: int, total: int) -> list[Row]:
    windows = figures["full_windows"]
    per_window = ", ".join(f"{e:.3f}" for e in figures["efficiency_per_window"])
    ok = figures["efficiency"] >= EFFICIENCY_TARGET and windows >= MIN_FULL_WINDOWS
    return [
        Row(
            f"Efficiency, {label}",
            f"{figures['efficiency']:.3f} (mean of {windows} full windows: {per_window})",
            f">= {EFFICIENCY_TARGET} over >= {MIN_FULL_WINDOWS} windows",
            verdict(ok),
        ),
        Row(
            f"429s and failures, {label}",
            f"{figures['rate_limited']} x 429 ({100 * figures['rate_limited_fraction']:.2f} % of "
            f"{figures['requests']:,} requests); {failed} failed of {total:,}",
            f"<= {100 * RATE_LIMITED_MAX_FRACTION:g} %; 0 failed",
            verdict(figures["rate_limited_fraction"] <= RATE_LIMITED_MAX_FRACTION and failed == 0),
        ),
    ]


# -- 1. Efficiency at Intercom's real limit, lognormal latency --------------------------------------------


def efficiency(median: float, windows: int, limit: int = 1667, window: int = 10, mode: str = "bulk") -> dict[str, Any]:
    """One bulk run of ``windows x limit`` ids at lognormal latency (p95 = 3 x median).

    ``mode`` is the action: ``bulk`` (mark read), ``close`` or ``tag``.
    """
    ids = windows * limit
    p95 = 3 * median
    with tempfile.TemporaryDirectory(prefix="intercom-bench-") as tmp:
        emu = EmulatorProcess(
            conversations=ids,
            rate_limit=f"{limit}/{window}s",
            latency=median,
            latency_p95=p95,
            request_log=Path(tmp) / "requests.jsonl",
        )
        print(f"  {ids:,} ids, median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms: ~{ids * window / limit:.0f} s")
        with emu:
            client = run_client(mode, emu, 1, ids)
        log = emu.logged_requests()
    figures = count_windows(log, client["started_at"], client["started_at"] + client["wall_s"], window, limit)
    counts = client["counts"]
    label = f"median {median * 1000:.0f} ms / p95 {p95 * 1000:.0f} ms" + ("" if mode == "bulk" else f", bulk {mode}")
    rows = _efficiency_rows(label, figures, counts["failed"], counts["total"])
    rows.append(client_row(label, client, "successful call"))
    return {
        "ids": ids,
        "limit": limit,
        "window_s": window,
        "latency_median_s": median,
        "latency_p95_s": p95,
        "client": client,
        **figures,
        "cpu_us_per_call": 1e6 * client["cpu_s"] / max(client["succeeded"], 1),
        "rows": rows,
    }


# -- 2. Client CPU per successful call: bulk engine vs a bare requests loop ------------------------------


def client_cpu(calls: int, rounds: int, at_limit: dict[str, float] | None = None) -> dict[str, Any]:
    """Client CPU per successful call, each client in its own process, against one emulator.

    Zero latency and no reachable limit, so that the sequential loops finish in seconds; the
    clients alternate, ``rounds`` times, so that drifts of the shared machine's load are spread
    evenly. The figure is the median over rounds of process CPU time / successful calls.
    ``at_limit`` (label to us per call of the efficiency runs, paced at the limit) is set against
    the same bare loop, beside the unpaced figure: paced must cost at most half the bare loop too.
    """
    modes = ["bare", "bulk"] + (["sdk"] if sdk_available() else [])
    per_call: dict[str, list[float]] = {mode: [] for mode in modes}
    with EmulatorProcess(conversations=calls * len(modes) * rounds, rate_limit=UNLIMITED) as emu:
        first = 1
        for round_no in range(rounds):
            shift = round_no % len(modes)
            for mode in modes[shift:] + modes[:shift]:
                client = run_client(mode, emu, first, calls)
                first += calls
                per_call[mode].append(client["cpu_s"] / max(client["succeeded"], 1))
    median = {mode: statistics.median(values) for mode, values in per_call.items()}
    ratio = median["bulk"] / median["bare"]
    rows = [
        Row(
            f"Client CPU per call, bulk engine vs sequential requests loop ({calls:,} calls, median of {rounds})",
            f"{ratio:.2f}x ({1e6 * median['bulk']:.0f} vs {1e6 * median['bare']:.0f} us)",
            f"<= {CPU_RATIO_TARGET}x",
            verdict(ratio <= CPU_RATIO_TARGET),
        )
    ]
    bare_us, unpaced_us = 1e6 * median["bare"], 1e6 * median["bulk"]
    for label, us in (at_limit or {}).items():
        paced = us / bare_us
        rows.append(
            Row(
                f"Client CPU per call paced at the limit, {label}: paced, unpaced and the bare loop",
                f"paced {paced:.2f}x ({us:.0f} us), unpaced {ratio:.2f}x ({unpaced_us:.0f} us), "
                f"bare loop {bare_us:.0f} us",
                f"paced <= {CPU_RATIO_TARGET}x",
                verdict(paced <= CPU_RATIO_TARGET),
            )
        )
    if "sdk" in median:
        rows.append(
            Row(
                f"Client CPU per call, sequential python-intercom {sdk_version()} loop",
                f"{1e6 * median['sdk']:.0f} us ({median['sdk'] / median['bare']:.2f}x the requests loop)",
                "-",
                "info",
            )
        )
    else:
        rows.append(Row("Client CPU per call, python-intercom loop", "not installed", "-", "skipped"))
    return {
        "calls": calls,
        "rounds": rounds,
        "cpu_us_per_call": {mode: [1e6 * v for v in values] for mode, values in per_call.items()},
        "cpu_us_per_call_median": {mode: 1e6 * v for mode, v in median.items()},
        "bulk_over_bare": ratio,
        "rows": rows,
    }


# -- 3. Scale-out: several bulk runs sharing one app's limit -------------------------------------------


def scale_out(processes: int, windows: int, median: float, limit: int = 1667, window: int = 10) -> dict[str, Any]:
    """``processes`` bulk runs in as many processes, one token, one emulator, started together."""
    share = windows * limit // processes
    ids = share * processes
    with tempfile.TemporaryDirectory(prefix="intercom-bench-") as tmp:
        emu = EmulatorProcess(
            conversations=ids,
            rate_limit=f"{limit}/{window}s",
            latency=median,
            latency_p95=3 * median,
            request_log=Path(tmp) / "requests.jsonl",
        )
        print(f"  {processes} processes x {share:,} ids, median {median * 1000:.0f} ms: ~{ids * window / limit:.0f} s")
        with emu:
            start_at = time.time() + 10  # time for the children to import and set up
            started = [_start_client("bulk", emu, 1 + i * share, share, start_at) for i in range(processes)]
            clients = [_finish_client(process) for process in started]
        log = emu.logged_requests()
    run_start = min(c["started_at"] for c in clients)
    run_end = max(c["started_at"] + c["wall_s"] for c in clients)
    figures = count_windows(log, run_start, run_end, window, limit)
    failed = sum(c["counts"]["failed"] for c in clients)
    label = f"{processes} processes, one token, median {median * 1000:.0f} ms"
    return {
        "processes": processes,
        "ids": ids,
        "latency_median_s": median,
        "clients": clients,
        **figures,
        "rows": _efficiency_rows(label, figures, failed, ids),
    }


# -- 4. Memory of a large run ------------------------------------------------------------------------------


def memory(ids: int) -> dict[str, Any]:
    """Peak RSS growth of one bulk run with the default ``xcom_fields``, in a fresh process."""
    with EmulatorProcess(conversations=ids, rate_limit=UNLIMITED) as emu:
        client = run_client("bulk", emu, 1, ids)
    growth_mb = client["peak_growth_bytes"] / MB
    counts = client["counts"]
    return {
        "client": client,
        "rows": [
            Row(
                f"Peak RSS growth, bulk run on {ids:,} ids (default xcom_fields)",
                f"{growth_mb:.1f} MB ({counts['updated']:,} updated in {counts['elapsed_seconds']:.1f} s)",
                f"<= {MEMORY_MB_TARGET:g} MB",
                verdict(growth_mb <= MEMORY_MB_TARGET and counts["failed"] == 0),
            )
        ],
    }


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


def client_row(label: str, client: dict[str, Any], per: str) -> Row:
    """The info row of a client process's CPU per unit of work and its peak memory (``_clients.measure``)."""
    return Row(
        f"Client CPU and peak RSS, {label}",
        f"{1e6 * client['cpu_s'] / max(client['succeeded'], 1):.0f} us CPU per {per}; "
        f"peak RSS {client['peak_rss_bytes'] / MB:.0f} MB (+{client['peak_growth_bytes'] / MB:.1f} MB in the run)",
        "-",
        "info",
    )
