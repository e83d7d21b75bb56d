"""The command line: one JSON ready line, every flag, a clean exit on SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from airflow_provider_intercom.testing.emulator.__main__ import build_parser, parse_app

MODULE = "airflow_provider_intercom.testing.emulator"


@contextmanager
def _cli(*args: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    process = subprocess.Popen(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", MODULE, "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        yield process, json.loads(first)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_cli_prints_a_json_ready_line_and_serves_until_sigint() -> None:
    with _cli("--conversations", "5", "--rate-limit", "50/1s", "--token", "cli-token", "--region", "AU") as (
        process,
        ready,
    ):
        assert ready["event"] == "ready"
        assert ready["token"] == "cli-token"
        assert ready["pid"] == process.pid
        conn = json.loads(ready["conn_json"])
        assert conn["host"] == ready["url"]
        assert conn["password"] == "cli-token"
        response = requests.get(f"{ready['url']}/me", headers={"Authorization": "Bearer cli-token"}, timeout=10)
        assert response.json()["app"]["region"] == "AU"
        assert response.headers["X-RateLimit-Limit"] == "50"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
        assert process.returncode == 0
        assert stdout == ""  # the ready line is the only thing on stdout
        assert f"Intercom emulator listening on {ready['url']}" in stderr
        assert "AIRFLOW_CONN_INTERCOM_DEFAULT='" in stderr


def test_cli_flags(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    args = [
        "--conversations", "3", "--rate-limit", "5/60s", "--app", "other=2", "--workspace-rate-limit", "6",
        "--latency", "0.01", "--latency-p95", "0.05", "--latency-seed", "1", "--default-version", "2.10",
        "--request-log", str(log),
    ]  # fmt: skip
    with _cli(*args) as (process, ready):
        assert ready["rate_limit"] == {"limit": 5, "window": 60, "workspace": 6}
        assert ready["latency"] == {"median": 0.01, "p95": 0.05}
        url = ready["url"]
        other = requests.get(f"{url}/me", headers={"Authorization": "Bearer other"}, timeout=10)
        assert other.headers["X-RateLimit-Limit"] == "2"
        mine = requests.get(f"{url}/conversations/9", headers={"Authorization": f"Bearer {ready['token']}"}, timeout=10)
        assert (mine.status_code, mine.headers["X-RateLimit-Limit"]) == (404, "5")
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
        assert process.returncode == 0
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(line["method"], line["path"], line["status"], line["api_version"]) for line in lines] == [
        ("GET", "/me", 200, "2.10"),
        ("GET", "/conversations/9", 404, "2.10"),
    ]
    assert lines[0]["received_at"] <= lines[1]["received_at"]
    assert "other" not in log.read_text(encoding="utf-8")  # no headers, so no tokens


def test_parse_app() -> None:
    assert parse_app("x=83") == ("x", 83)
    assert parse_app("x") == ("x", 1667)
    for text in ("=5", "x=many"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_app(text)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--default-version", "3.0"])
