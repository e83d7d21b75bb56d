"""One client of the bench in a process of its own; prints one JSON line with its own figures.

A fresh process per client, so that its CPU time (``time.process_time``) and its peak RSS are
its own: not the bench's, not the emulator's, not another client's.

Usage: ``python benchmarks/_client_child.py MODE URL TOKEN FIRST COUNT [--start-at UNIX]``, where
MODE is ``bulk`` (the provider's bulk engine, as the operator runs it; ``close`` and ``tag`` run
it with those actions instead of the update), ``bare`` (a sequential
``requests.Session`` loop) or ``sdk`` (a sequential python-intercom loop); ids ``FIRST`` ..
``FIRST + COUNT - 1`` are marked read. ``--start-at`` waits (after imports and set-up) until that
UNIX time, so that several clients start together.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from _clients import bare_mark_read, bare_session, make_hook, measure, sdk_client


class _Quiet:
    # Progress lines would land on stdout, where the parent reads this process's JSON.
    def info(self, event: object, *args: object) -> None:
        pass

    warning = info


#: The emulator's token owner and one of its tags: the actor and the tag of the action modes.
_ADMIN, _TAG = "991267459", "84"


def _bulk(url: str, token: str, ids: list[str], mode: str) -> dict[str, Any]:
    from airflow_provider_intercom.bulk import BulkOptions, BulkRun
    from airflow_provider_intercom.client._actions import close_request, tag_request, update_request

    client = make_hook(url, token).client
    run = BulkRun(client, BulkOptions(), log=_Quiet())
    request = {
        "bulk": lambda: update_request({"read": True}),
        "close": lambda: close_request(_ADMIN),
        "tag": lambda: tag_request(_ADMIN, _TAG),
    }[mode]()
    summary = run.run(ids, request)
    # The summary stays alive until the probe closes: it is the XCom the operator returns.
    return {"counts": summary["counts"], "succeeded": summary["counts"]["updated"], "_summary": summary}


def _sequential(call: Any, ids: list[str]) -> dict[str, Any]:
    failed = 0
    for cid in ids:
        try:
            call(cid)
        except Exception:  # counted, not raised: the figure is per successful call
            failed += 1
    return {"succeeded": len(ids) - failed, "failed": failed}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("bulk", "close", "tag", "bare", "sdk"))
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("first", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--start-at", type=float, default=None)
    args = parser.parse_args(argv)
    # The input list is the caller's memory, not the client's: built before the baseline.
    ids = [str(i) for i in range(args.first, args.first + args.count)]
    if args.mode == "bare":
        session = bare_session(args.token)
        bare_mark_read(session, args.url, ids[0])  # connect and warm up before the clock starts
        work = lambda: _sequential(lambda cid: bare_mark_read(session, args.url, cid), ids)  # noqa: E731
    elif args.mode == "sdk":
        sdk = sdk_client(args.url, args.token)
        sdk.conversations.update(conversation_id=ids[0], read=True)
        work = lambda: _sequential(lambda cid: sdk.conversations.update(conversation_id=cid, read=True), ids)  # noqa: E731
    else:
        import aiohttp  # noqa: F401 - imported before the clock starts, as a warm worker would have it

        work = lambda: _bulk(args.url, args.token, ids, args.mode)  # noqa: E731
    if args.start_at is not None:
        time.sleep(max(0.0, args.start_at - time.time()))
    result = measure(work)
    result.pop("_summary", None)
    result.update(mode=args.mode, ids=args.count)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
