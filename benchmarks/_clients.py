"""The clients the bench compares, and a peak-RSS probe; shared by the sections and the child scripts."""

from __future__ import annotations

import gc
import importlib.util
import resource
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import psutil
import requests

from airflow_provider_intercom.connection import DEFAULT_API_VERSION, IntercomConnectionSettings
from airflow_provider_intercom.hooks.intercom import IntercomHook

SDK_PACKAGE = "python-intercom"


def make_hook(url: str, token: str) -> IntercomHook:
    """A hook on the emulator with the provider's default settings and retry policy.

    Built from settings rather than an Airflow connection, so no metadata DB is needed.
    """
    settings = IntercomConnectionSettings(conn_id="intercom_bench", token=token, base_url=url)
    return IntercomHook("intercom_bench", settings=settings)


def bare_session(token: str) -> requests.Session:
    """A plain keep-alive session sending the same headers as the hook, so only the hook's code differs."""
    session = requests.Session()
    session.headers.update(
        {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Intercom-Version": DEFAULT_API_VERSION,
        }
    )
    return session


def bare_mark_read(session: requests.Session, url: str, conversation_id: str) -> dict[str, Any]:
    """What a hand-written loop does per conversation: PUT, raise on error, parse."""
    response = session.put(f"{url}/conversations/{conversation_id}", json={"read": True})
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def sdk_available() -> bool:
    """Whether the official SDK, python-intercom 5 or later (module ``intercom``), is installed.

    Versions before 4 used the same module name with a different client API, so the name alone
    does not tell.
    """
    version = sdk_version()
    return importlib.util.find_spec("intercom") is not None and version is not None and int(version.split(".")[0]) >= 5


def sdk_client(url: str, token: str) -> Any:
    """The official SDK's client pointed at the emulator.

    ``base_url`` overrides the region environment. The SDK sends no ``Intercom-Version`` header and,
    without ``request_options={"max_retries": ...}``, retries nothing.
    """
    from intercom import Intercom

    return Intercom(token=token, base_url=url)


def sdk_version() -> str | None:
    """The installed SDK's version, if any."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(SDK_PACKAGE)
    except PackageNotFoundError:
        return None


class PeakRss:
    """Peak resident memory growth of this process over a ``with`` block.

    Two views, because each misses something: ``ru_maxrss`` is the kernel's exact high-water mark
    but only ever rises, so an earlier, higher peak hides growth; a sampling thread sees the growth
    above the starting point but may miss a short spike between samples. The larger one is reported.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self._interval = interval
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)
        self.start_rss = 0
        self.peak_sampled = 0
        self.start_maxrss = 0
        self.end_maxrss = 0

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak_sampled = max(self.peak_sampled, self._process.memory_info().rss)

    @staticmethod
    def _maxrss() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux

    @property
    def growth_bytes(self) -> int:
        """Peak RSS during the block minus RSS at its start."""
        by_kernel = self.end_maxrss - self.start_rss if self.end_maxrss > self.start_maxrss else 0
        return max(0, by_kernel, self.peak_sampled - self.start_rss)

    def __enter__(self) -> PeakRss:
        self.start_rss = self.peak_sampled = self._process.memory_info().rss
        self.start_maxrss = self._maxrss()
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_sampled = max(self.peak_sampled, self._process.memory_info().rss)
        self.end_maxrss = self._maxrss()


def measure(work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work`` in this process and add what it cost: CPU and wall seconds, and peak memory.

    :param work: the client's run; returns its figures (a dict, which is extended and returned).
    """
    gc.collect()
    with PeakRss() as probe:
        cpu0, wall0, started_at = time.process_time(), time.perf_counter(), time.time()
        result = work()
        cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
    result.update(
        started_at=started_at,
        cpu_s=cpu_s,
        wall_s=wall_s,
        start_rss_bytes=probe.start_rss,
        peak_growth_bytes=probe.growth_bytes,
        peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    )
    return result
