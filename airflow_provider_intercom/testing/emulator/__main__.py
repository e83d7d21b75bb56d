"""The emulator's command line: ``python -m airflow_provider_intercom.testing.emulator``.

Once listening it prints exactly one line on stdout, a JSON object for programs to read::

    {"event": "ready", "url": "http://127.0.0.1:8089", "token": "...", "conn_json": "...", ...}

Everything meant for people goes to stderr. It serves until SIGINT or SIGTERM, then (with
``--request-log``) writes the request log as JSON lines and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator.core import DEFAULT_TOKEN, IntercomEmulator
from airflow_provider_intercom.testing.emulator.ratelimit import parse_rate_limit
from airflow_provider_intercom.testing.emulator.server import DEFAULT_BACKLOG

__all__ = ["build_parser", "main", "parse_app"]


def parse_app(text: str) -> tuple[str, int]:
    """Parse ``--app TOKEN`` or ``--app TOKEN=LIMIT`` (calls per window) into ``(token, limit)``.

    :param text: the command-line value.
    :raises argparse.ArgumentTypeError: for an empty token or a limit that is not a whole number.
    """
    token, _, limit = text.partition("=")
    if not token or (limit and not limit.isdigit()):
        raise argparse.ArgumentTypeError(f"invalid app {text!r}; use TOKEN or TOKEN=LIMIT, e.g. other-app=83")
    return token, int(limit) if limit else facts.APP_RATE_LIMIT_PER_WINDOW


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command line."""
    default_rate = f"{facts.APP_RATE_LIMIT_PER_WINDOW}/{facts.RATE_LIMIT_WINDOW_SECONDS}s"
    parser = argparse.ArgumentParser(
        prog="python -m airflow_provider_intercom.testing.emulator",
        description="Serve an emulated Intercom REST API (2.16) until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089, help="0 picks a free port (default 8089)")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the first app's access token")
    parser.add_argument(
        "--rate-limit", type=parse_rate_limit, default=parse_rate_limit(default_rate), metavar="N/Ss",
        help=f"the first app's limit and the window of every app (default {default_rate})",
    )  # fmt: skip
    parser.add_argument(
        "--app", type=parse_app, action="append", default=[], metavar="TOKEN[=LIMIT]",
        help="another app of the workspace, with its own token and calls per window (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--workspace-rate-limit", type=int, default=None, metavar="N",
        help=f"calls per window, all apps together (Intercom: {facts.WORKSPACE_RATE_LIMIT_PER_WINDOW}); default none",
    )  # fmt: skip
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each request (the median)")
    parser.add_argument("--latency-p95", type=float, default=None, help="95th percentile: makes latency lognormal")
    parser.add_argument("--latency-seed", type=int, default=None, help="seed of the latency draws")
    parser.add_argument(
        "--default-version", choices=facts.API_VERSIONS, default=facts.EMULATOR_APP_DEFAULT_VERSION,
        help="the app's API version for requests without an Intercom-Version header",
    )  # fmt: skip
    parser.add_argument("--region", default="US")
    parser.add_argument("--backlog", type=int, default=DEFAULT_BACKLOG, help="listen backlog")
    parser.add_argument(
        "--request-log", type=Path, default=None, metavar="FILE",
        help="on exit, write every request (method, path, status, arrival times) to FILE as JSON lines",
    )  # fmt: skip
    return parser


def _write_request_log(emulator: IntercomEmulator, path: Path) -> None:
    # No headers: they hold the token.
    with path.open("w", encoding="utf-8") as out:
        for request in emulator.requests:
            line = {
                "method": request.method,
                "path": request.path,
                "status": request.status,
                "received_at": request.received_at,
                "received_monotonic": request.received_monotonic,
                "api_version": request.api_version,
            }
            out.write(json.dumps(line) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the emulator from the command line until SIGINT or SIGTERM.

    :param argv: arguments without the program name; ``sys.argv[1:]`` when ``None``.
    :return: the process exit status.
    """
    args = build_parser().parse_args(argv)
    limit, window = args.rate_limit
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, on_signal)
    emulator = IntercomEmulator(
        conversations=args.conversations,
        seed=args.seed,
        token=args.token,
        port=args.port,
        host=args.host,
        rate_limit=limit,
        window=window,
        workspace_rate_limit=args.workspace_rate_limit,
        apps=dict(args.app),
        latency=args.latency,
        latency_p95=args.latency_p95,
        latency_seed=args.latency_seed,
        default_version=args.default_version,
        region=args.region,
        backlog=args.backlog,
        # Nothing but --request-log reads the log: without it, a long run's memory stays flat.
        record_requests=args.request_log is not None,
    )
    try:
        with emulator:
            conn_json = emulator.airflow_conn_json()
            ready = {
                "event": "ready",
                "url": emulator.url,
                "token": emulator.token,
                "conn_json": conn_json,
                "pid": os.getpid(),
                "conversations": args.conversations,
                "rate_limit": {"limit": limit, "window": window, "workspace": args.workspace_rate_limit},
                "latency": {"median": args.latency, "p95": args.latency_p95},
            }
            print(json.dumps(ready), flush=True)
            latency = f"{args.latency}s" + ("" if args.latency_p95 is None else f" (p95 {args.latency_p95}s)")
            print(
                f"Intercom emulator listening on {emulator.url}\n"
                f"  {args.conversations} conversations (seed {args.seed}), rate limit {limit}/{window}s, "
                f"latency {latency}, token {emulator.token}\n"
                f"AIRFLOW_CONN_INTERCOM_DEFAULT={shlex.quote(conn_json)}\n"
                "Press Ctrl+C to stop.",
                file=sys.stderr,
                flush=True,
            )
            while not done.wait(0.5):
                pass
        if args.request_log is not None:
            _write_request_log(emulator, args.request_log)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
