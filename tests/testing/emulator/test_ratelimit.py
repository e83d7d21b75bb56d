"""Rate windows: per app, per workspace, counted on arrival, with Intercom's headers and message."""

from __future__ import annotations

import argparse
import math
import time

import pytest
import requests

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator import IntercomEmulator, parse_rate_limit
from tests.testing.emulator._support import at_window_start, session_for, window_of


def test_fixed_window_rate_limit() -> None:
    with IntercomEmulator(conversations=3, rate_limit=5, window=1) as emu, session_for(emu) as client:
        for _attempt in range(3):
            at_window_start(1)
            burst_start = time.time()
            responses = [client.get(f"{emu.url}/conversations/1") for _ in range(5)]
            unauthorized = requests.get(f"{emu.url}/me", timeout=10)  # does not count
            responses.append(client.get(f"{emu.url}/me"))
            responses.append(client.get(f"{emu.url}/me"))  # 429s do not count either
            if len({r.headers["X-RateLimit-Reset"] for r in responses}) == 1:
                break
        else:
            pytest.fail("could not fit 7 requests into a 1 s window three times")
        assert unauthorized.status_code == 401
        assert [r.status_code for r in responses] == [200] * 5 + [429, 429]
        assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0", "0"]
        assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"5"}
        reset = int(responses[0].headers["X-RateLimit-Reset"])
        assert reset == math.floor(burst_start) + 1  # the end of the window the burst was in
        assert reset > burst_start
        error = responses[5].json()
        assert error["errors"] == [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 5 in 1_seconds"}]
        assert responses[5].headers["X-Request-Id"] == error["request_id"]
        time.sleep(max(0.0, reset - time.time()) + 0.02)
        assert client.get(f"{emu.url}/me").status_code == 200


def test_default_limit_and_message_are_intercoms() -> None:
    with IntercomEmulator(conversations=1) as emu, session_for(emu) as client:
        assert emu.rate_limit == (facts.APP_RATE_LIMIT_PER_WINDOW, facts.RATE_LIMIT_WINDOW_SECONDS) == (1667, 10)
        assert client.get(f"{emu.url}/me").headers["X-RateLimit-Limit"] == "1667"
        emu.set_rate_limit(0)
        response = client.get(f"{emu.url}/me")
        assert response.status_code == 429
        assert response.json()["errors"][0]["message"] == "Exceeded rate limit of 0 in 10_seconds"


def test_reset_is_the_end_of_an_aligned_window() -> None:
    with IntercomEmulator(conversations=1, rate_limit=100, window=7) as emu, session_for(emu) as client:
        before = time.time()
        response = client.get(f"{emu.url}/me")
        reset = int(response.headers["X-RateLimit-Reset"])
        assert reset % 7 == 0
        assert before < reset <= time.time() + 7
        assert response.headers["X-RateLimit-Limit"] == "100"


def test_set_rate_limit_and_errors_count(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.set_rate_limit(1000, 60)
    assert emu.rate_limit == (1000, 60)
    first = int(client.get(f"{emu.url}/conversations/999").headers["X-RateLimit-Remaining"])  # a 404 counts
    second = int(client.get(f"{emu.url}/me").headers["X-RateLimit-Remaining"])
    if second != first - 1:  # crossed into a new minute window between the two calls
        second = int(client.get(f"{emu.url}/me").headers["X-RateLimit-Remaining"])
        first = second + 1
    assert second == first - 1
    emu.set_rate_limit(0)
    assert client.get(f"{emu.url}/me").status_code == 429
    with pytest.raises(ValueError):
        emu.set_rate_limit(5, 0)


def test_plan_restricted_is_settable_at_runtime(emu: IntercomEmulator, client: requests.Session) -> None:
    emu.plan_restricted = True
    response = client.get(f"{emu.url}/me")
    assert response.status_code == 403
    assert response.json()["errors"] == [{"code": "api_plan_restricted", "message": "Active subscription needed."}]
    assert "X-RateLimit-Remaining" in response.headers
    emu.plan_restricted = False
    assert client.get(f"{emu.url}/me").status_code == 200


def test_a_lower_per_app_limit() -> None:
    low = facts.REPORTED_LOW_APP_RATE_LIMIT_PER_WINDOW
    with IntercomEmulator(conversations=1, rate_limit=low, apps={"normal-app": 1667}) as emu:
        assert session_for(emu).get(f"{emu.url}/me").headers["X-RateLimit-Limit"] == "83"
        assert session_for(emu, "normal-app").get(f"{emu.url}/me").headers["X-RateLimit-Limit"] == "1667"
        emu.add_app("another-low-app", rate_limit=low)
        assert session_for(emu, "another-low-app").get(f"{emu.url}/me").headers["X-RateLimit-Limit"] == "83"


def test_apps_share_the_workspace_budget() -> None:
    for _attempt in range(3):
        # A fresh emulator per attempt: a burst that straddles two windows leaves its counts behind.
        with IntercomEmulator(conversations=1, rate_limit=3, window=60, workspace_rate_limit=4, apps={"b": 3}) as emu:
            a, b = session_for(emu), session_for(emu, "b")
            responses = [a.get(f"{emu.url}/me") for _ in range(3)] + [b.get(f"{emu.url}/me") for _ in range(2)]
            if len({r.headers["X-RateLimit-Reset"] for r in responses}) > 1:
                continue
            assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
            assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "2", "2"]
            refused = responses[-1]
            # The app still had calls left: the workspace's window was spent, and the headers cannot tell.
            assert int(refused.headers["X-RateLimit-Remaining"]) > 0
            assert refused.json()["errors"] == [
                {"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 4 in 60_seconds"}
            ]
            assert emu.workspace_rate_limit == 4
            emu.set_workspace_rate_limit(None)
            assert b.get(f"{emu.url}/me").status_code == 200
            return
    pytest.fail("could not fit 5 requests into one window")


def test_calls_count_in_the_window_they_arrive_in() -> None:
    # Limit 1 per 1 s window. A arrives late in window W and is answered in W+1 (a slow answer);
    # B arrives in W+1 right after. Counted on arrival, both fit; counted on answer, B would not.
    with IntercomEmulator(conversations=1, rate_limit=1, window=1) as emu, session_for(emu) as client:
        for _attempt in range(3):
            emu.clear_requests()
            at_window_start(1, offset=0.55)
            emu.inject("slow", delay=0.6, times=1)
            first = client.get(f"{emu.url}/me")
            second = client.get(f"{emu.url}/me")
            arrived_a, arrived_b = (r.received_at for r in emu.requests)
            if window_of(arrived_a, 1) + 1 == window_of(arrived_b, 1):
                break
            time.sleep(1)
        else:
            pytest.fail("could not place the two calls in consecutive windows")
        assert (first.status_code, second.status_code) == (200, 200)
        # A's headers describe the window it arrived in, though it was answered in the next one.
        assert int(first.headers["X-RateLimit-Reset"]) == window_of(arrived_a, 1) + 1
        assert int(second.headers["X-RateLimit-Reset"]) == window_of(arrived_b, 1) + 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1667/10s", (1667, 10)),
        ("50/1s", (50, 1)),
        ("50/s", (50, 1)),
        ("10000/m", (10000, 60)),
        ("100/2m", (100, 120)),
        ("167", (167, 10)),
    ],
)
def test_parse_rate_limit(text: str, expected: tuple[int, int]) -> None:
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["fast", "10/0s", "-5/10s", "5/10h"])
def test_parse_rate_limit_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_rate_limit(text)
