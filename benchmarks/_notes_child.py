"""The two processes of the ``notes`` bench: an emulator that can fault replies, and a bulk-note client.

``emulator``: the Intercom emulator in this process, built in Python rather than from its command
line, because the command line has no faults and cannot count parts. With ``--fault-fraction``,
that share of first ``POST /conversations/{id}/reply`` attempts is *applied, then failed* (reset,
502, or answered after ``--fault-delay`` s). It prints one ready line (``{"event": "ready", "url",
"token"}``, as the command line does) and serves until SIGTERM; then it writes the request log
(JSON lines, as ``--request-log`` does, with each request's fault) and ``notes.json``: how many
notes with the bench's text, by the bench's admin, every conversation holds, and which first
attempts were faulted.

``client``: a bulk note run as ``IntercomReplyToConversationsOperator`` makes it -- the engine, the
``reply_request`` of a note, a write-ahead record per batch (a no-op store here) -- with the
connection's ``timeout``; prints one JSON line with its figures, as ``_client_child.py`` does.

Usage: ``python benchmarks/_notes_child.py emulator --out DIR --conversations N --admin-id ID
--text TEXT [--rate-limit N/Ss] [--latency S] [--latency-p95 S] [--fault-fraction F]
[--fault-delay S]`` or ``python benchmarks/_notes_child.py client URL TOKEN COUNT --admin-id ID
--text TEXT [--timeout S]``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from types import FrameType
from typing import Any

from _clients import measure

#: The file, in ``--out``, where the emulator writes its count of notes.
NOTES_FILE = "notes.json"
#: And its request log.
LOG_FILE = "requests.jsonl"


class _Quiet:
    # Progress lines would land on stdout, where the parent reads this process's JSON.
    def info(self, event: object, *args: object) -> None:
        pass

    warning = info


# -- The emulator ------------------------------------------------------------------------------------------


def _count_notes(emulator: Any, admin_id: str, text: str) -> dict[str, Any]:
    """Notes with ``text`` by ``admin_id`` on every conversation (the seed data has notes of its own)."""
    from airflow_provider_intercom.client._message import normalize_text

    wanted = normalize_text(text)
    per_conversation = {
        cid: sum(normalize_text(p["body"] or "") == wanted for p in emulator.parts(cid, "note", author_id=admin_id))
        for cid in emulator.conversation_ids()
    }
    histogram = Counter(per_conversation.values())
    return {
        "conversations": len(per_conversation),
        "notes_per_conversation": {str(n): histogram[n] for n in sorted(histogram)},
        "duplicated": [cid for cid, n in per_conversation.items() if n > 1],
        "missing": [cid for cid, n in per_conversation.items() if n == 0],
    }


def _write_log(emulator: Any, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for request in emulator.requests:
            line = {
                "method": request.method,
                "path": request.path,
                # 0: no answer at all (the connection was reset).
                "status": 0 if request.status is None else request.status,
                "received_at": request.received_at,
                "received_monotonic": request.received_monotonic,
                "fault": request.fault,
            }
            out.write(json.dumps(line) + "\n")


def serve(args: argparse.Namespace) -> int:
    from airflow_provider_intercom.testing.emulator import Fault, IntercomEmulator
    from airflow_provider_intercom.testing.emulator.ratelimit import parse_rate_limit

    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    limit, window = parse_rate_limit(args.rate_limit)
    emulator = IntercomEmulator(
        conversations=args.conversations,
        rate_limit=limit,
        window=window,
        latency=args.latency,
        latency_p95=args.latency_p95,
        admin_id=args.admin_id,
    )
    plan = None
    if args.fault_fraction > 0:
        kinds: list[Any] = ["apply_then_reset", "apply_then_status", Fault("apply_then_slow", delay=args.fault_delay)]
        plan = emulator.inject_first_attempts(args.fault_fraction, kinds, path="/conversations/*/reply")
    with emulator:
        print(json.dumps({"event": "ready", "url": emulator.url, "token": emulator.token}), flush=True)
        while not done.wait(0.2):
            pass
    # Stopped: no request can change the store while it is counted.
    args.out.mkdir(parents=True, exist_ok=True)
    _write_log(emulator, args.out / LOG_FILE)
    counted = _count_notes(emulator, args.admin_id, args.text)
    faulted = Counter(plan.faulted.values()) if plan is not None else Counter()
    counted["faulted_first_attempts"] = dict(sorted(faulted.items()))
    (args.out / NOTES_FILE).write_text(json.dumps(counted), encoding="utf-8")
    return 0


# -- The client ------------------------------------------------------------------------------------------------


def _bulk_note(url: str, token: str, ids: list[str], admin_id: str, text: str, timeout: float) -> dict[str, Any]:
    from airflow_provider_intercom.bulk import BulkOptions, BulkRun, write_ahead_batch
    from airflow_provider_intercom.client._actions import reply_request
    from airflow_provider_intercom.connection import IntercomConnectionSettings
    from airflow_provider_intercom.hooks.intercom import IntercomHook

    settings = IntercomConnectionSettings(conn_id="intercom_bench", token=token, base_url=url, timeout=timeout)
    client = IntercomHook("intercom_bench", settings=settings).client
    run = BulkRun(client, BulkOptions(), log=_Quiet())
    # As the operator: one write-ahead record per batch of about a second of sends (its task state
    # store on Airflow 3.3+, a no-op before; a no-op here).
    summary = run.run(
        ids,
        reply_request(admin_id, text, "note"),
        write_ahead=lambda upto: True,
        write_ahead_batch=write_ahead_batch(None),
    )
    counts = summary["counts"]
    return {"counts": counts, "succeeded": counts["updated"], "verified": counts["verified"]}


def client(args: argparse.Namespace) -> int:
    import aiohttp  # noqa: F401 - imported before the clock starts, as a warm worker would have it

    # The input list is the caller's memory, not the client's: built before the baseline.
    ids = [str(i) for i in range(1, args.count + 1)]
    result = measure(lambda: _bulk_note(args.url, args.token, ids, args.admin_id, args.text, args.timeout))
    result.update(mode="note", ids=args.count, timeout_s=args.timeout)
    print(json.dumps(result))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    roles = parser.add_subparsers(dest="role", required=True)
    emulator = roles.add_parser("emulator")
    emulator.add_argument("--out", type=Path, required=True)
    emulator.add_argument("--conversations", type=int, required=True)
    emulator.add_argument("--rate-limit", default="1667/10s")
    emulator.add_argument("--latency", type=float, default=0.0)
    emulator.add_argument("--latency-p95", type=float, default=None)
    emulator.add_argument("--fault-fraction", type=float, default=0.0)
    emulator.add_argument("--fault-delay", type=float, default=3.0)
    runner = roles.add_parser("client")
    runner.add_argument("url")
    runner.add_argument("token")
    runner.add_argument("count", type=int)
    runner.add_argument("--timeout", type=float, default=None)
    for role in (emulator, runner):
        role.add_argument("--admin-id", required=True)
        role.add_argument("--text", required=True)
    args = parser.parse_args(argv)
    if args.role == "emulator":
        return serve(args)
    if args.timeout is None:
        from airflow_provider_intercom.client.facts import DEFAULT_TIMEOUT

        args.timeout = DEFAULT_TIMEOUT
    return client(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
