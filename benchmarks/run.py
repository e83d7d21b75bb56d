"""``make bench``: every benchmark of the provider in one run, against the Intercom emulator.

Measures, each against an emulator in a process of its own (no real network):

1. bulk efficiency at Intercom's default limit (1,667 calls / 10 s) with 100 ms latency;
2. a sequential ``requests`` loop, the python-intercom SDK and the bulk engine, side by side;
3. the hook's client CPU per call against a bare ``requests.Session`` (and the SDK's);
4. the import cost of the operators module on top of ``airflow.sdk``;
5. peak memory of a 10,000-id bulk run;
6. the emulator's own throughput.

Prints a Markdown table for the README and writes ``benchmarks/results/latest.json``. A missed
target is printed loudly but does not fail the command; only a crash does (exit status 1).

Usage: ``python benchmarks/run.py [--quick] [--conversations N] [--calls N] [--only NAME ...]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

import _sections
from _clients import sdk_version
from _emulator import UNLIMITED, EmulatorProcess
from _sections import Row

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
SECTIONS = ("bulk", "side_by_side", "overhead", "imports", "memory", "emulator")
INTERCOM_LIMIT, INTERCOM_WINDOW = 1667, 10


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmarks of airflow-provider-intercom against its emulator.")
    parser.add_argument(
        "--quick", action="store_true", help="3 rate-limit windows instead of 10, 100 side-by-side calls, 20 rounds"
    )
    parser.add_argument(
        "--conversations",
        type=int,
        default=None,
        help="ids in the bulk-efficiency run (default 16,670: 10 windows at 1,667 per 10 s; --quick: 5,001)",
    )
    parser.add_argument("--calls", type=int, default=None, help="calls per client side by side (default 300)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these measures")
    parser.add_argument(
        "--json-out", type=Path, default=RESULTS, help=f"where to write the results (default {RESULTS})"
    )
    args = parser.parse_args(argv)
    if args.conversations is None:
        args.conversations = INTERCOM_LIMIT * (3 if args.quick else 10)
    if args.calls is None:
        args.calls = 100 if args.quick else 300
    if args.conversations < INTERCOM_LIMIT:
        parser.error(f"--conversations must be at least {INTERCOM_LIMIT} (one full window)")
    return args


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turned into an exception so that the finally blocks stop the emulator processes.
    raise SystemExit(128 + signum)


def _markdown(rows: list[Row]) -> str:
    header = ["Measure", "Result", "Target", "Status"]
    cells = [header, *[[r.measure, r.result, r.target, r.status] for r in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(4)]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |" for line in cells]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


def _command(argv: list[str]) -> str:
    extra = " ".join(shlex.quote(a) for a in argv)
    make = f"make bench BENCH_ARGS={shlex.quote(extra)}" if extra else "make bench"
    return f"{make}  (runs: .venv/bin/python benchmarks/run.py {extra})".rstrip()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    wanted = set(args.only or SECTIONS)
    rounds = 20 if args.quick else 25
    results: dict[str, Any] = {}
    rows: list[Row] = []
    crashed: list[str] = []

    def section(name: str, title: str, run: Callable[[], dict[str, Any]]) -> None:
        if name not in wanted:
            return
        print(f"\n== {title}", flush=True)
        started = time.monotonic()
        try:
            result = run()
        except Exception:
            # One broken measure should not hide the others; the exit status still reports it.
            traceback.print_exc()
            crashed.append(name)
            rows.append(Row(title, "crashed (see traceback above)", "-", "ERROR"))
            results[name] = {"error": traceback.format_exc()}
            return
        section_rows: list[Row] = result.pop("rows")
        for row in section_rows:
            print(f"  {row.status:<7} {row.measure}: {row.result}", flush=True)
        rows.extend(section_rows)
        results[name] = {**result, "rows": [r.as_dict() for r in section_rows]}
        results[name]["section_seconds"] = round(time.monotonic() - started, 1)

    # Bulk first: its RSS growth is read in this process, before anything else has raised the mark.
    section(
        "bulk",
        "Bulk efficiency at Intercom's default limit",
        lambda: _sections.bulk_efficiency(args.conversations, INTERCOM_LIMIT, INTERCOM_WINDOW, latency=0.1),
    )
    section("side_by_side", "Side by side, 100 ms latency", lambda: _sections.side_by_side(args.calls))
    if wanted & {"overhead", "memory"}:
        # One zero-latency, unlimited emulator serves both: neither measure depends on the other's writes.
        with EmulatorProcess(conversations=10_000, rate_limit=UNLIMITED, latency=0.0) as emu:
            section("overhead", "Per-call overhead (client CPU)", lambda: _sections.per_call_overhead(emu, rounds))
            section("memory", "Memory of a 10,000-id bulk run", lambda: _sections.memory(emu, 10_000))
    section("imports", "Import cost", lambda: _sections.import_cost(5))
    section("emulator", "Emulator throughput", lambda: _sections.emulator_throughput(3.0 if args.quick else 5.0))

    command = _command(argv)
    table = _markdown(rows)
    print(f"\n## Benchmarks\n\n{table}\n\nCommand: `{command}`")
    missed = [r for r in rows if r.status == "FAIL"]
    if missed:
        banner = "!" * 78
        print(f"\n{banner}\nTARGETS MISSED ({len(missed)}):")
        for row in missed:
            print(f"  - {row.measure}: {row.result} (target {row.target})")
        print(banner)
    document = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "argv": argv,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "python_intercom": sdk_version(),
        "table_markdown": table,
        "targets_missed": [r.as_dict() for r in missed],
        "crashed": crashed,
        "results": results,
    }
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"\nResults written to {args.json_out}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
