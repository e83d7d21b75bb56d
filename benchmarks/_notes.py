"""The ``notes`` section of ``make bench``: a bulk note at Intercom's limit, clean and with lost answers.

A note cannot simply be re-sent after a failure whose outcome is unknown: the engine reads the
conversation back first (docs/messages.md). Two runs of ``windows x limit`` ids, at lognormal
latency as the ``actions`` section's, each with an emulator and a client in processes of their own
(``_notes_child.py``):

1. clean, with the connection's default timeout;
2. with a share of first attempts *applied, then failed* (the connection reset, a 502, or the
   answer only after the client's timeout) and a short client timeout, so that read-backs run.

Counted from the emulator's log as the efficiency rows are (every ``POST .../reply`` is a write;
the read-backs are ``GET`` s, which spend the same budget), and from its store after the run:
exactly one note on every conversation.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from _emulator import EmulatorProcess
from _notes_child import LOG_FILE, NOTES_FILE
from _sections import BENCH_DIR, Row, _efficiency_rows, _finish_client, client_row, count_windows, verdict

CHILD = BENCH_DIR / "_notes_child.py"
#: The emulator's token owner: the admin the notes are posted as.
ADMIN = "991267459"
TEXT = "Bench note: checked, posted exactly once."
FAULT_KINDS = ("apply_then_reset", "apply_then_status", "apply_then_slow")


class NotesEmulator(EmulatorProcess):
    """The emulator of ``_notes_child.py emulator``: may fault replies, and counts notes when stopped.

    :param out: a directory for its request log and its count of notes.
    :param fault_fraction: the share of first ``POST .../reply`` attempts applied, then failed.
    :param fault_delay: seconds an ``apply_then_slow`` answer waits: above the client's timeout.
    :param options: :class:`EmulatorProcess` arguments (not ``request_log``).
    """

    def __init__(self, *, out: Path, fault_fraction: float = 0.0, fault_delay: float = 3.0, **options: Any) -> None:
        super().__init__(request_log=out / LOG_FILE, **options)
        self.out = out
        self.fault_fraction = fault_fraction
        self.fault_delay = fault_delay

    def start(self) -> NotesEmulator:
        """Start the emulator and wait until it prints its ready line."""
        command = [
            sys.executable,
            str(CHILD),
            "emulator",
            "--out",
            str(self.out),
            "--conversations",
            str(self.conversations),
            "--rate-limit",
            self.rate_limit,
            "--latency",
            repr(self.latency),
            "--fault-fraction",
            repr(self.fault_fraction),
            "--fault-delay",
            repr(self.fault_delay),
            "--admin-id",
            ADMIN,
            "--text",
            TEXT,
        ]
        if self.latency_p95 is not None:
            command += ["--latency-p95", repr(self.latency_p95)]
        self._process = subprocess.Popen(command, cwd=BENCH_DIR, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        try:
            self._read_banner()
        except BaseException:
            self.stop()
            raise
        return self

    def counted_notes(self) -> dict[str, Any]:
        """What the emulator counted when it stopped (call after :meth:`stop`)."""
        counted: dict[str, Any] = json.loads((self.out / NOTES_FILE).read_text(encoding="utf-8"))
        return counted


def _run_client(emu: EmulatorProcess, ids: int, timeout: float | None) -> dict[str, Any]:
    command = [sys.executable, str(CHILD), "client", emu.url, emu.token, str(ids), "--admin-id", ADMIN, "--text", TEXT]
    if timeout is not None:
        command += ["--timeout", repr(timeout)]
    process = subprocess.Popen(command, cwd=BENCH_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return _finish_client(process)


def _budget_used(log: list[dict[str, Any]], run_start: float, run_end: float, window: int, limit: int) -> float:
    """Calls the limit let through, of every kind, per full window, as a share of the limit.

    Writes and read-backs alike, and the writes whose answer a fault lost (a 502, a reset): they
    were applied, and spent the budget as any other. The windows are those of
    :func:`count_windows`: wholly within the run, up to its last write.
    """
    writes = [r["received_at"] for r in log if r["method"] == "POST"]
    if writes:
        run_end = min(run_end, max(writes))
    first_full, last_full = int(-(-run_start // window)), int(run_end // window) - 1
    let_through = Counter(int(r["received_at"] // window) for r in log if r["status"] != 429)
    per_window = [let_through.get(k, 0) for k in range(first_full, last_full + 1)]
    return sum(per_window) / len(per_window) / limit if per_window else 0.0


def notes(
    windows: int,
    *,
    median: float = 0.3,
    fault_fraction: float = 0.0,
    timeout: float | None = None,
    limit: int = 1667,
    window: int = 10,
) -> dict[str, Any]:
    """One bulk note run of ``windows x limit`` ids at lognormal latency (p95 = 3 x median).

    :param windows: rate windows of ids.
    :param median: the latency's median in seconds.
    :param fault_fraction: the share of first attempts applied, then failed; 0 for a clean run.
    :param timeout: the client's request timeout; ``None`` for the connection's default.
    :param limit: the app's calls per window.
    :param window: the window in seconds.
    """
    ids = windows * limit
    p95 = 3 * median
    fault_delay = (timeout or 0.0) + 2.0  # the late answer comes well after the client gave up
    with tempfile.TemporaryDirectory(prefix="intercom-bench-") as tmp:
        emu = NotesEmulator(
            out=Path(tmp),
            fault_fraction=fault_fraction,
            fault_delay=fault_delay,
            conversations=ids,
            rate_limit=f"{limit}/{window}s",
            latency=median,
            latency_p95=p95,
        )
        faults = f", {100 * fault_fraction:g} % of first attempts applied then failed" if fault_fraction else ""
        latency = f"median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
        print(f"  {ids:,} notes, {latency}{faults}: ~{ids * window / limit:.0f} s")
        with emu:
            client = _run_client(emu, ids, timeout)
        log = emu.logged_requests()
        counted = emu.counted_notes()
    run_start, run_end = client["started_at"], client["started_at"] + client["wall_s"]
    figures = count_windows(log, run_start, run_end, window, limit)
    budget = _budget_used(log, run_start, run_end, window, limit)
    counts = client["counts"]
    label = f"median {median * 1000:.0f} ms / p95 {p95 * 1000:.0f} ms, bulk note"
    if fault_fraction:
        label += f", {100 * fault_fraction:g} % applied then failed, timeout {client['timeout_s']:g} s"
    all_429 = sum(1 for r in log if r["status"] == 429)
    ids_per_s = ids / client["wall_s"]
    cpu_us = 1e6 * client["cpu_s"] / max(client["succeeded"], 1)
    faulted = counted["faulted_first_attempts"]
    duplicated, missing = len(counted["duplicated"]), len(counted["missing"])
    rows = _efficiency_rows(label, figures, counts["failed"], counts["total"])
    rows += [
        Row(
            f"Throughput and read-backs, {label}",
            f"{ids_per_s:.1f} ids/s ({ids:,} in {client['wall_s']:.0f} s); {counts['requests']:,} requests "
            f"({counts['read_backs']} read-backs, {client['verified']} notes found posted by one); "
            f"{all_429} x 429 in all; {budget:.3f} of the limit spent, lost answers and read-backs included",
            "-",
            "info",
        ),
        Row(
            f"Exactly once, {label}",
            f"{duplicated} duplicated, {missing} missing of {counted['conversations']:,} conversations; "
            f"{sum(faulted.values())} first attempts faulted ("
            + (", ".join(f"{faulted.get(kind, 0)} {kind}" for kind in FAULT_KINDS) if fault_fraction else "none")
            + ")",
            "0 duplicated, 0 missing",
            verdict(duplicated == 0 and missing == 0),
        ),
        client_row(label, client, "note"),
    ]
    return {
        "ids": ids,
        "limit": limit,
        "window_s": window,
        "latency_median_s": median,
        "latency_p95_s": p95,
        "fault_fraction": fault_fraction,
        "fault_delay_s": fault_delay if fault_fraction else None,
        "timeout_s": client["timeout_s"],
        "client": client,
        **figures,
        "ids_per_second": ids_per_s,
        "budget_used": budget,
        "rate_limited_all_requests": all_429,
        "cpu_us_per_call": cpu_us,
        "notes_counted": counted,
        "rows": rows,
    }
