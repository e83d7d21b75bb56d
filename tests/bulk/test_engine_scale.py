"""Large runs: resume from a bitmap sends exactly what is left, the summary switches form, progress counts this try.

Over real HTTP against the emulator, with no rate limit to wait out.
"""

from __future__ import annotations

import json
import logging
import random
import re
from typing import Any

import pytest

from airflow_provider_intercom.bulk import BulkOptions, BulkRun
from airflow_provider_intercom.bulk._summary import updated_ids
from airflow_provider_intercom.client._actions import update_request
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.emulator_log import put_ids
from tests.helpers.fixtures import FAST_RETRIES, id_range, make_client

READ = {"read": True}
UNLIMITED = {"rate_limit": 1_000_000, "window": 10}


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: Any, /, *args: Any) -> None:
        self.lines.append(msg % args)

    warning = info


@pytest.mark.intercom_emulator(conversations=5_000, **UNLIMITED)
def test_a_resume_from_a_bitmap_sends_exactly_the_rest_and_the_summary_switches_to_ranges(
    intercom_emulator: IntercomEmulator,
) -> None:
    ids = id_range(5_000)
    rng = random.Random(19)
    done = bytes(rng.random() < 0.4 for _ in ids)
    run = BulkRun(make_client(intercom_emulator, retry_policy=FAST_RETRIES), BulkOptions(), log=logging.getLogger())
    checkpoints: list[bytes] = []

    summary = run.run(ids, update_request(READ), done=done, on_checkpoint=checkpoints.append)

    left = [cid for cid, flag in zip(ids, done, strict=True) if not flag]
    assert sorted(put_ids(intercom_emulator), key=int) == left  # each once, none of the done ones
    counts = summary["counts"]
    assert (counts["updated"], counts["resumed"], counts["requests"]) == (5_000, sum(done), len(left))
    assert summary["updated_form"] == "ranges"
    assert summary["updated"] == [[0, 4_999]]
    assert len(json.dumps(summary)) < 512 * 1024
    assert updated_ids(summary, ids) == ids
    assert checkpoints[-1] == b"\x01" * 5_000


@pytest.mark.intercom_emulator(conversations=200, latency=0.2, **UNLIMITED)
def test_progress_counts_only_this_tries_work(intercom_emulator: IntercomEmulator) -> None:
    ticks = iter(range(1_000_000))  # one second per look at the clock: lines at every poll
    log = _Lines()
    run = BulkRun(
        make_client(intercom_emulator, retry_policy=FAST_RETRIES),
        BulkOptions(progress_interval=1.0, max_concurrency=1),
        log=log,
        clock=lambda: float(next(ticks)),
    )
    done = b"\x01" * 190 + b"\x00" * 10

    run.run(id_range(200), update_request(READ), done=done)

    progress = [line for line in log.lines if line.startswith("Intercom bulk update: ")]
    assert progress
    for line in progress:
        match = re.search(r" (\d+)/200 done .*?, ([\d.]+)/s", line)
        assert match is not None, line
        finished, rate = int(match[1]), float(match[2])
        # At most this try's ids per second of at least one: 190 resumed ids would show as 190/s or more.
        assert rate <= finished - 190, line
