"""Child process of the memory measure: one bulk run, its peak RSS growth printed as JSON.

A fresh process, so that nothing the bench did before (the 16,670-id run, the SDK's imports)
raises the high-water mark the measure is read against.

Usage: ``python benchmarks/_memory_child.py URL TOKEN IDS``.
"""

from __future__ import annotations

import gc
import json
import sys

from _clients import PeakRss, make_hook

from airflow_provider_intercom.bulk import DEFAULT_XCOM_FIELDS, BulkMarkRead


class _Quiet:
    # Progress lines would land on stdout, where the parent reads this process's JSON.
    def info(self, event: object, *args: object) -> None:
        pass


def main(argv: list[str]) -> int:
    url, token, count = argv[0], argv[1], int(argv[2])
    hook = make_hook(url, token)
    # The input list is the caller's memory, not the engine's: built before the baseline.
    ids = [str(i) for i in range(1, count + 1)]
    gc.collect()
    with PeakRss() as probe:
        summary = BulkMarkRead(hook, xcom_fields=DEFAULT_XCOM_FIELDS, log=_Quiet()).run(ids)
    # The summary is kept alive to here: it is the XCom the operator returns, part of the cost.
    result = {
        "ids": count,
        "counts": summary["counts"],
        "start_rss_bytes": probe.start_rss,
        "peak_growth_bytes": probe.growth_bytes,
        "sampled_peak_bytes": probe.peak_sampled,
        "ru_maxrss_before_bytes": probe.start_maxrss,
        "ru_maxrss_after_bytes": probe.end_maxrss,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
