"""The Intercom emulator in a process of its own, started from its command line.

A separate process keeps the emulator's CPU (and its GIL) out of the client's measurements: the
bench measures what the client does, as it would against the real Intercom.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil

EMULATOR_MODULE = "airflow_provider_intercom.testing.emulator"
#: A limit no benchmark reaches, for measurements where the rate limit must not interfere.
UNLIMITED = "1000000000/10s"
#: Generating 16,670 conversations takes ~2 s; far longer means the emulator is stuck.
READY_TIMEOUT_S = 60.0


class EmulatorProcess:
    """``with EmulatorProcess(...) as emu:`` -- ``emu.url``, ``emu.token``; killed on exit, whatever happens.

    :param conversations: conversations the emulator holds (ids ``1`` .. ``N``).
    :param rate_limit: ``N/Ss`` as the CLI takes it, e.g. ``1667/10s``.
    :param latency: seconds the emulator adds to every request (the median, with ``latency_p95``).
    :param latency_p95: the 95th percentile: makes the latency lognormal.
    :param latency_seed: seed of the emulator's latency draws, for repeatable runs.
    :param request_log: where the emulator writes its request log (JSON lines) when it stops.
    """

    def __init__(
        self,
        *,
        conversations: int,
        rate_limit: str = UNLIMITED,
        latency: float = 0.0,
        latency_p95: float | None = None,
        latency_seed: int | None = None,
        request_log: Path | None = None,
    ) -> None:
        self.conversations = conversations
        self.rate_limit = rate_limit
        self.latency = latency
        self.latency_p95 = latency_p95
        self.latency_seed = latency_seed
        self.request_log = request_log
        self.url = ""
        self.token = ""
        self._process: subprocess.Popen[str] | None = None
        # stderr goes to a file rather than a pipe: nobody drains a pipe during a 100 s run, and a
        # full pipe would block the emulator mid-benchmark.
        # Opened here and closed in stop(): it lives as long as the process, not a `with` block.
        self._stderr = tempfile.TemporaryFile(mode="w+", prefix="intercom-emulator-stderr-")  # noqa: SIM115

    @property
    def pid(self) -> int:
        """The emulator's process id."""
        assert self._process is not None, "the emulator is not running"
        return self._process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU the emulator process has used so far."""
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)

    def start(self) -> EmulatorProcess:
        """Start the emulator and wait until it prints its ready line."""
        command = [
            sys.executable,
            "-m",
            EMULATOR_MODULE,
            "--port",
            "0",
            "--conversations",
            str(self.conversations),
            "--rate-limit",
            self.rate_limit,
            "--latency",
            repr(self.latency),
        ]
        if self.latency_p95 is not None:
            command += ["--latency-p95", repr(self.latency_p95)]
        if self.latency_seed is not None:
            command += ["--latency-seed", str(self.latency_seed)]
        if self.request_log is not None:
            command += ["--request-log", str(self.request_log)]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        try:
            self._read_banner()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_banner(self) -> None:
        process = self._process
        assert process is not None
        assert process.stdout is not None
        # readline() has no timeout: a hung emulator is killed instead, which ends the read with EOF.
        watchdog = threading.Timer(READY_TIMEOUT_S, process.kill)
        watchdog.start()
        try:
            while not (self.url and self.token):
                line = process.stdout.readline()
                if not line:
                    raise RuntimeError(
                        f"the emulator exited (or was killed after {READY_TIMEOUT_S:g} s) before it was "
                        f"ready:\n{self._stderr_tail()}"
                    )
                # One JSON line on stdout: {"event": "ready", "url": ..., "token": ..., ...}.
                if line.startswith("{"):
                    ready = json.loads(line)
                    if ready.get("event") == "ready":
                        self.url, self.token = ready["url"], ready["token"]
        finally:
            watchdog.cancel()

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-2000:]

    def stop(self) -> None:
        """Terminate the emulator (SIGTERM, then SIGKILL after 10 s) and reap it."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            if process.returncode not in (0, -15):
                tail = self._stderr_tail()
                print(f"  ! emulator exited with {process.returncode}; stderr:\n{tail}", file=sys.stderr)
        finally:
            if process.stdout is not None:
                process.stdout.close()
            self._stderr.close()

    def logged_requests(self) -> list[dict[str, Any]]:
        """The request log the emulator wrote when it stopped (call after :meth:`stop`)."""
        assert self.request_log is not None, "started without request_log"
        with self.request_log.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
