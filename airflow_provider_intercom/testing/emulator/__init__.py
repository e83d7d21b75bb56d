"""An in-process emulator of Intercom's REST API (version 2.16) for tests, demos and benchmarks.

:class:`IntercomEmulator` serves ``GET /me``, ``/admins``, ``/teams``, ``/tags``,
``GET``/``PUT``/``DELETE /conversations/{id}``, ``POST /conversations/search`` and the
conversation actions (``POST /conversations/{id}/parts``, ``/reply``, ``/tags``, ``DELETE
/conversations/{id}/tags/{tag_id}``) on loopback, with the paths, bodies, error lists and
rate-limit headers of ``api.intercom.io``. It uses the standard library only::

    with IntercomEmulator(conversations=1000, rate_limit=50, window=1) as emu:
        requests.put(f"{emu.url}/conversations/7", json={"read": True},
                     headers={"Authorization": f"Bearer {emu.token}"})
        assert emu.get("7")["read"] is True

or from a shell (prints one JSON "ready" line with the URL, token and connection)::

    python -m airflow_provider_intercom.testing.emulator --port 8089 --conversations 1000 \\
        --rate-limit 1667/10s --latency 0.1 --latency-p95 0.4

One module per concern: :mod:`.server` (HTTP plumbing), :mod:`.pipeline` (the order of handling:
log, fault, authentication, rate windows, version check, latency, answer), :mod:`.ratelimit`,
:mod:`.faults`, :mod:`.latency`, :mod:`.routes` (one module per resource), :mod:`.actions`
(request bodies of the actions, validated), :mod:`.mutations` (what actions do to a
conversation), :mod:`.markup` (bodies as HTML or plain text), :mod:`.store` and :mod:`.data` (the
conversations), :mod:`.workspace` (admins, teams, tags), :mod:`.search` (query engine and
cursors), :mod:`.core` (the emulator itself), :mod:`.state` (its state API for tests) and
``__main__`` (the command line). ``docs/emulator.md`` says what is modelled
and what is assumed where Intercom documents nothing.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_intercom.testing.emulator.core import DEFAULT_CONVERSATIONS, DEFAULT_TOKEN, IntercomEmulator
from airflow_provider_intercom.testing.emulator.faults import Fault, FaultKind, FirstAttemptFaults
from airflow_provider_intercom.testing.emulator.latency import LatencyModel
from airflow_provider_intercom.testing.emulator.messages import RecordedRequest
from airflow_provider_intercom.testing.emulator.ratelimit import parse_rate_limit

__all__ = [
    "DEFAULT_CONVERSATIONS",
    "DEFAULT_TOKEN",
    "Fault",
    "FaultKind",
    "FirstAttemptFaults",
    "IntercomEmulator",
    "LatencyModel",
    "RecordedRequest",
    "main",
    "parse_rate_limit",
]


def __getattr__(name: str) -> Any:
    # The command line lives in __main__ so that `python -m` runs it; importing it here eagerly
    # would make runpy warn that the module is already imported when it runs it as __main__.
    if name == "main":
        from airflow_provider_intercom.testing.emulator.__main__ import main

        return main
    raise AttributeError(name)
