"""How many ``PUT /conversations/{id}`` calls per second the Intercom emulator sustains.

The emulator runs from its command line in a process of its own (rate limit out of reach, no added
latency); 2 client processes with 2 threads each, every thread on a keep-alive
``requests.Session``, PUT ``{"read": true}`` for ``duration`` seconds. Reported: total PUT/s and the
emulator's own CPU time per request (user + system, via psutil), which says whether the emulator
or the clients are the bottleneck.

Run ``python benchmarks/emulator_throughput.py [--duration 5] [--conversations 1000]``, or import
:func:`measure`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import threading
import time
from typing import Any

import psutil
import requests
from _emulator import EmulatorProcess


def _client_process(
    url: str, token: str, ids: list[str], threads: int, start_at: float, stop_at: float, results: Any
) -> None:
    counts = [0] * threads
    errors = [0] * threads

    def run(index: int) -> None:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {token}"
            # Open the keep-alive connection before the clock starts.
            session.put(f"{url}/conversations/{ids[0]}", json={"read": True})
            time.sleep(max(0.0, start_at - time.time()))
            position = index
            while True:
                response = session.put(f"{url}/conversations/{ids[position % len(ids)]}", json={"read": True})
                if time.time() > stop_at:
                    break
                if response.status_code == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
                position += threads

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put((os.getpid(), sum(counts), sum(errors)))


def measure(duration: float = 5.0, conversations: int = 1000, processes: int = 2, threads: int = 2) -> dict[str, Any]:
    """Run the benchmark and return its figures.

    :param duration: seconds of measured load.
    :param conversations: conversations the emulator holds; the clients cycle through all of them.
    :param processes: client processes.
    :param threads: threads (each with its own keep-alive session) per client process.
    :return: ``puts_per_second``, ``requests``, ``errors``, ``emulator_cpu_ms_per_request``,
        ``emulator_cpu_percent`` (of one core), ``per_process`` and the parameters.
    """
    # fork keeps this importable-by-path script working as a library; spawn where there is no fork.
    start_method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context: Any = multiprocessing.get_context(start_method)
    with EmulatorProcess(conversations=conversations) as emulator:
        server = psutil.Process(emulator.pid)
        ids = [str(i) for i in range(1, conversations + 1)]
        results = context.Queue()
        start_at = time.time() + 1.5  # time for the clients to start and connect
        stop_at = start_at + duration
        clients = [
            context.Process(
                target=_client_process, args=(emulator.url, emulator.token, ids, threads, start_at, stop_at, results)
            )
            for _ in range(processes)
        ]
        for client in clients:
            client.start()
        time.sleep(max(0.0, start_at - time.time()))
        cpu_before = server.cpu_times()
        time.sleep(max(0.0, stop_at - time.time()))
        cpu_after = server.cpu_times()
        per_process = [results.get(timeout=60) for _ in clients]
        for client in clients:
            client.join(timeout=30)
    total = sum(count for _, count, _ in per_process)
    errors = sum(error for _, _, error in per_process)
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    return {
        "duration_s": duration,
        "conversations": conversations,
        "client_processes": processes,
        "threads_per_process": threads,
        "cpu_count": os.cpu_count(),
        "requests": total,
        "errors": errors,
        "puts_per_second": total / duration,
        "emulator_cpu_s": cpu,
        "emulator_cpu_ms_per_request": 1000 * cpu / total if total else float("nan"),
        "emulator_cpu_percent": 100 * cpu / duration,
        "per_process": [{"pid": pid, "requests": count, "errors": error} for pid, count, error in per_process],
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: run :func:`measure` and print a table.

    :param argv: arguments without the program name; ``sys.argv[1:]`` when ``None``.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    args = parser.parse_args(argv)
    result = measure(args.duration, args.conversations, args.processes, args.threads)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    rows = [
        ("clients", f"{result['client_processes']} processes x {result['threads_per_process']} threads"),
        ("cores", str(result["cpu_count"])),
        ("duration", f"{result['duration_s']:.1f} s"),
        ("PUTs (errors)", f"{result['requests']} ({result['errors']})"),
        ("PUT/s", f"{result['puts_per_second']:.0f}"),
        ("emulator CPU/request", f"{result['emulator_cpu_ms_per_request']:.3f} ms"),
        ("emulator CPU", f"{result['emulator_cpu_percent']:.0f} % of one core"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
