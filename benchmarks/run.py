"""``make bench``: every benchmark of the provider in one run, against the Intercom emulator.

Measures, each against an emulator in a process of its own and each client in a process of its
own (no real network; CPU and memory are the client's alone):

1. bulk efficiency at Intercom's limit (1,667 calls / 10 s), per full rate window, at lognormal
   latencies with medians of 100 ms, 300 ms and 1 s (p95 = 3 x median); of a bulk close and
   a bulk tag at 300 ms; and of a bulk note at 300 ms, clean and with 1 % of first attempts
   applied then failed (read-backs, exactly one note per conversation: ``_notes.py``);
2. client CPU per successful call: the bulk engine, unpaced and paced at the limit, against a
   bare sequential ``requests`` loop (and the python-intercom SDK's loop, when installed);
3. scale-out: 4 bulk runs in 4 processes sharing one app's limit;
4. peak memory of a 50,000-id bulk run;
5. a bulk task on 1,000,000 literal ids in a real ``dag.test()`` run: wall time, peak RSS above an
   operator holding the same ids, XCom bytes, the largest checkpoint value, render time;
6. the import cost of the operators module on top of ``airflow.sdk``;
7. the emulator's own throughput.

Prints a Markdown table, writes ``benchmarks/results/latest.json`` and regenerates the table in
``docs/performance.md`` (between its ``bench`` markers) from that JSON. A missed target is printed
loudly but does not fail the command; only a crash does (exit status 1).

Usage: ``python benchmarks/run.py [--quick] [--windows N] [--only NAME ...] [--render]``
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
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import _imports
import _million
import _notes
import _sections
from _clients import sdk_version
from _sections import Row

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
#: Where a --quick or --only run writes, so that it never overwrites the full run's figures.
PARTIAL = RESULTS.with_name("partial.json")
DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
DOC_START, DOC_END = "<!-- bench:start -->", "<!-- bench:end -->"
SECTIONS = ("efficiency", "actions", "notes", "cpu", "scale_out", "memory", "million", "imports", "emulator")
MEDIANS = (0.1, 0.3, 1.0)
#: The faulted note run: the share of first attempts applied then failed, and the client's timeout.
NOTE_FAULTS, NOTE_TIMEOUT = 0.01, 2.0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmarks of airflow-provider-intercom against its emulator.")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: fewer windows, calls, ids and rounds; figures not for the docs",
    )
    parser.add_argument(
        "--windows", type=int, default=None, help="rate windows of ids per efficiency run (default 7; --quick: 3)"
    )
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="run only these measures")
    parser.add_argument(
        "--json-out",
        type=Path,
        default=None,
        help=f"where to write the results (default {RESULTS}; with --quick or --only, {PARTIAL})",
    )
    parser.add_argument("--doc", type=Path, default=DOC, help=f"the page whose table is regenerated (default {DOC})")
    parser.add_argument("--render", action="store_true", help="only regenerate the doc's table from --json-out")
    args = parser.parse_args(argv)
    if args.windows is None:
        args.windows = 3 if args.quick else 7
    if args.json_out is None:
        args.json_out = PARTIAL if (args.quick or args.only) and not args.render else RESULTS
    if args.windows < 2:
        parser.error("--windows must be at least 2")
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


def render_doc(document: dict[str, Any], doc: Path) -> bool:
    """Put the results' table, with when, where and how it was made, between the doc's markers."""
    if not doc.exists():
        return False
    text = doc.read_text(encoding="utf-8")
    if DOC_START not in text or DOC_END not in text:
        print(f"{doc} has no {DOC_START} / {DOC_END} markers: table not written there", file=sys.stderr)
        return False
    machine = document["machine"]
    load = ", ".join(f"{x:.2f}" for x in machine["load_average"])
    block = (
        f"{DOC_START}\n<!-- Generated by benchmarks/run.py from benchmarks/results/latest.json; do not edit. -->\n\n"
        f"{document['table_markdown']}\n\n"
        f"Run {document['when']} with `{document['command']}`; Python {machine['python']}, "
        f"{machine['cpu_count']} cores, load average at the end {load}; "
        f"python-intercom {document['python_intercom'] or 'not installed'}.\n{DOC_END}"
    )
    before, rest = text.split(DOC_START, 1)
    after = rest.split(DOC_END, 1)[1]
    doc.write_text(before + block + after, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parse(argv)
    if args.render:
        rendered = render_doc(json.loads(args.json_out.read_text()), args.doc)
        return 0 if rendered else 1
    signal.signal(signal.SIGTERM, _on_sigterm)
    wanted = set(args.only or SECTIONS)
    rounds = 1 if args.quick else 3
    results: dict[str, Any] = {}
    rows: list[Row] = []
    crashed: list[str] = []

    def section(name: str, title: str, run: Callable[[], dict[str, Any]], key: str | None = None) -> None:
        if name not in wanted:
            return
        key = key or name
        print(f"\n== {title}", flush=True)
        started = time.monotonic()
        try:
            result = run()
        except Exception:
            # One broken measure should not hide the others; the exit status still reports it.
            traceback.print_exc()
            crashed.append(name)
            rows.append(Row(title, "crashed (see traceback above)", "-", "ERROR"))
            results[key] = {"error": traceback.format_exc()}
            return
        section_rows: list[Row] = result.pop("rows")
        for row in section_rows:
            print(f"  {row.status:<7} {row.measure}: {row.result}", flush=True)
        rows.extend(section_rows)
        results[key] = {**result, "rows": [r.as_dict() for r in section_rows]}
        results[key]["section_seconds"] = round(time.monotonic() - started, 1)

    for median in MEDIANS:
        section(
            "efficiency",
            f"Efficiency at 1,667 calls / 10 s, median latency {median * 1000:.0f} ms",
            lambda median=median: _sections.efficiency(median, args.windows),
            key=f"efficiency_{median * 1000:.0f}ms",
        )
    for action in ("close", "tag"):
        section(
            "actions",
            f"Efficiency of a bulk {action} at 1,667 calls / 10 s, median latency 300 ms",
            lambda action=action: _sections.efficiency(0.3, args.windows, mode=action),
            key=f"efficiency_{action}_300ms",
        )
    section(
        "notes",
        "Efficiency of a bulk note at 1,667 calls / 10 s, median latency 300 ms",
        lambda: _notes.notes(args.windows),
        key="notes_300ms",
    )
    section(
        "notes",
        f"A bulk note with {100 * NOTE_FAULTS:g} % of first attempts applied then failed, timeout {NOTE_TIMEOUT:g} s",
        lambda: _notes.notes(args.windows, fault_fraction=NOTE_FAULTS, timeout=NOTE_TIMEOUT),
        key="notes_faulted_300ms",
    )
    # The mark-read runs only: the actions' and notes' runs have the same medians, other requests.
    at_limit = {
        f"median {median * 1000:.0f} ms": results[key]["cpu_us_per_call"]
        for median in MEDIANS
        if "cpu_us_per_call" in results.get(key := f"efficiency_{median * 1000:.0f}ms", {})
    }
    section("cpu", "Client CPU per call", lambda: _sections.client_cpu(500 if args.quick else 2000, rounds, at_limit))
    section(
        "scale_out",
        "Scale-out: 4 processes sharing one limit",
        lambda: _sections.scale_out(4, args.windows, median=0.3),
    )
    section("memory", "Memory of a large run", lambda: _sections.memory(5_000 if args.quick else 50_000))
    for ids in (20_000,) if args.quick else (200_000, 1_000_000):
        section(
            "million",
            f"{ids:,} ids in one task (dag.test)",
            lambda ids=ids: _million.million(ids),
            key=f"million_{ids}",
        )
    section("imports", "Import cost", lambda: _imports.import_cost(3 if args.quick else 5))
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
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
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
    if args.json_out == RESULTS and render_doc(document, args.doc):
        print(f"Table written to {args.doc}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
