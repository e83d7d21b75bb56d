"""IntercomClient over real HTTP against the emulator: what goes over the wire, and what comes back.

Waits are never real: the client's ``sleep``, ``clock``, ``wall_clock`` and ``rand`` are injected.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from airflow_provider_intercom import __version__
from airflow_provider_intercom.client import (
    AdaptiveRateLimiter,
    IntercomAuthError,
    IntercomClient,
    IntercomConfigError,
    IntercomNotFoundError,
    IntercomServerError,
    IntercomValidationError,
    RetryPolicy,
)
from airflow_provider_intercom.client.facts import API_VERSIONS
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import CONN_ID, Sleeps, make_client, wait_until

# -- What goes over the wire ----------------------------------------------------------------------


def test_mark_conversation_read_sends_one_put_with_read_true(
    intercom_emulator: IntercomEmulator, client: IntercomClient
) -> None:
    unread = next(cid for cid in intercom_emulator.conversation_ids() if not intercom_emulator.get(cid)["read"])

    conversation = client.mark_conversation_read(unread)

    [request] = intercom_emulator.requests
    assert (request.method, request.path, request.body) == ("PUT", f"/conversations/{unread}", {"read": True})
    assert request.headers["Authorization"] == f"Bearer {intercom_emulator.token}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Intercom-Version"] == "2.16"
    assert request.headers["User-Agent"].startswith(f"airflow-provider-intercom/{__version__} python-requests/")
    assert conversation == intercom_emulator.get(unread)
    assert conversation["read"] is True


def test_an_int_id_is_accepted(intercom_emulator: IntercomEmulator, client: IntercomClient) -> None:
    assert client.mark_conversation_read(7)["id"] == "7"
    assert intercom_emulator.requests[0].path == "/conversations/7"


def test_update_conversation_sends_only_the_given_fields(
    intercom_emulator: IntercomEmulator, client: IntercomClient
) -> None:
    client.update_conversation("4", title="Refund", custom_attributes={"issue_type": "Billing"})
    client.update_conversation("4", read=False)
    client.update_conversation("4", company_id="c-9")

    assert [r.body for r in intercom_emulator.requests] == [
        {"title": "Refund", "custom_attributes": {"issue_type": "Billing"}},
        {"read": False},
        {"company_id": "c-9"},
    ]
    stored = intercom_emulator.get("4")
    assert (stored["title"], stored["read"], stored["custom_attributes"]["issue_type"]) == ("Refund", False, "Billing")
    assert stored["company"]["id"] == "c-9"


def test_removing_the_company_sends_company_id_null(
    intercom_emulator: IntercomEmulator, client: IntercomClient
) -> None:
    client.update_conversation("4", company_id="c-9")
    answer = client.update_conversation("4", remove_company=True, display_as="plaintext")

    last = intercom_emulator.requests[-1]
    assert (last.body, last.query) == ({"company_id": None}, {"display_as": ["plaintext"]})
    assert "company" not in answer
    assert "company" not in intercom_emulator.get("4")


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"read": "yes"},
        {"custom_attributes": {"score": math.nan}},
        {"custom_attributes": {"tags": ["a"]}},
        {"company_id": "c", "remove_company": True},
    ],
)
def test_a_bad_update_is_refused_before_any_request(
    intercom_emulator: IntercomEmulator, client: IntercomClient, fields: dict[str, Any]
) -> None:
    with pytest.raises(IntercomValidationError, match=r"^update"):
        client.update_conversation("4", **fields)
    assert intercom_emulator.requests == []


def test_get_conversation_and_me(intercom_emulator: IntercomEmulator, client: IntercomClient) -> None:
    stored = intercom_emulator.get("9")
    assert client.get_conversation("9") == stored
    plain = client.get_conversation("9", display_as="plaintext")
    assert (plain["id"], stored["source"]["body"]) == ("9", f"<p>{plain['source']['body']}</p>")
    me = client.get_me()
    assert me["app"]["id_code"] == intercom_emulator.app_id_code
    assert [(r.method, r.path, r.query) for r in intercom_emulator.requests] == [
        ("GET", "/conversations/9", {}),
        ("GET", "/conversations/9", {"display_as": ["plaintext"]}),
        ("GET", "/me", {}),
    ]


@pytest.mark.parametrize("version", ["1.0", "2.10", "Preview", "Unstable"])
def test_the_api_version_is_sent_as_configured(intercom_emulator: IntercomEmulator, version: str) -> None:
    with make_client(intercom_emulator, api_version=version) as client:
        client.get_me()
    assert intercom_emulator.requests[0].headers["Intercom-Version"] == version
    assert intercom_emulator.requests[0].api_version == version


@pytest.mark.intercom_emulator(conversations=320)
def test_search_is_a_lazy_generator_over_every_page(
    intercom_emulator: IntercomEmulator, client: IntercomClient
) -> None:
    results = client.search_conversations({"field": "created_at", "operator": ">", "value": 0}, per_page=150)
    assert intercom_emulator.requests == []  # nothing is sent until the first item is asked for
    first = next(results)
    assert len(intercom_emulator.requests) == 1  # one page at a time
    ids = [first["id"], *(c["id"] for c in results)]

    assert sorted(ids, key=int) == [str(i) for i in range(1, 321)]  # each one once
    posts = [r for r in intercom_emulator.requests if r.method == "POST"]
    assert len(posts) == 3
    assert posts[0].body == {
        "query": {"field": "created_at", "operator": ">", "value": 0},
        "pagination": {"per_page": 150},
    }
    assert "starting_after" in posts[1].body["pagination"]


def test_search_matches_the_emulators_own_state(intercom_emulator: IntercomEmulator, client: IntercomClient) -> None:
    query = {
        "operator": "AND",
        "value": [
            {"field": "state", "operator": "=", "value": "closed"},
            {"field": "read", "operator": "=", "value": False},
        ],
    }
    found = {c["id"] for c in client.search_conversations(query, per_page=7)}
    expected = {
        cid
        for cid in intercom_emulator.conversation_ids()
        if intercom_emulator.get(cid)["state"] == "closed" and intercom_emulator.get(cid)["read"] is False
    }
    assert found == expected
    assert expected  # the seeded data has some, or this test proves nothing


@pytest.mark.parametrize(
    ("query", "per_page", "message"),
    [
        ({"field": "id", "operator": "=", "value": "1"}, 0, "per_page"),
        ({"field": "id", "operator": "=", "value": "1"}, 151, "per_page"),
        ({"field": "id", "operator": "=", "value": "1"}, True, "per_page"),
        ({"field": "id", "operator": "LIKE", "value": "1"}, 10, "not an Intercom search operator"),
    ],
)
def test_search_refuses_bad_arguments_before_sending(
    intercom_emulator: IntercomEmulator, client: IntercomClient, query: dict[str, Any], per_page: Any, message: str
) -> None:
    with pytest.raises(IntercomValidationError, match=message):
        client.search_conversations(query, per_page=per_page)
    assert intercom_emulator.requests == []


# -- What the user sees when it goes wrong -------------------------------------------------------


def test_not_found_message_reads_well(intercom_emulator: IntercomEmulator, client: IntercomClient) -> None:
    with pytest.raises(IntercomNotFoundError) as info:
        client.mark_conversation_read("999999")
    err = info.value
    assert (err.status, err.code, err.method, err.path) == (404, "not_found", "PUT", "/conversations/999999")
    assert err.request_id
    assert str(err).startswith(
        f"Intercom API 404 not_found on PUT /conversations/999999 (request_id={err.request_id}): "
    )
    assert f"Conversation 999999 does not exist in this workspace: check the id, and that connection '{CONN_ID}'" in (
        str(err)
    )
    assert len(intercom_emulator.requests) == 1


def test_wrong_token_is_401_without_retry_and_never_shows_the_token(
    intercom_emulator: IntercomEmulator, sleeps: Sleeps
) -> None:
    client = make_client(intercom_emulator, token="wrong-token-abc123", sleep=sleeps)
    with client, pytest.raises(IntercomAuthError) as info:
        client.get_me()
    assert "wrong-token-abc123" not in repr(client)
    assert len(intercom_emulator.requests) == 1
    assert sleeps == []
    assert f"Check the access token of connection '{CONN_ID}' (the 'Access token' field)" in str(info.value)
    assert "wrong-token-abc123" not in str(info.value)
    assert info.value.permanent


@pytest.mark.parametrize(
    ("token", "options", "message"),
    [
        ("", {}, "IntercomClient has no access token."),
        ("  ", {"conn_id": "c"}, "connection 'c' has no access token."),
        ("t", {"region": "mars"}, "IntercomClient has an unknown region 'mars'; use one of us, eu, au."),
        ("t", {"api_version": "9.99"}, "IntercomClient has an unknown API version '9.99'; Intercom accepts 1.0, 1.1"),
        ("t", {"api_version": "2.16 "}, "unknown API version '2.16 '"),
    ],
)
def test_a_client_that_cannot_work_is_refused_when_built(token: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(IntercomConfigError) as info:
        IntercomClient(token, **options)
    assert message in str(info.value)
    assert info.value.permanent


def test_every_documented_api_version_is_accepted() -> None:
    assert [IntercomClient("t", api_version=v).api_version for v in API_VERSIONS] == list(API_VERSIONS)


@pytest.mark.parametrize(("region", "url"), [("us", "https://api.intercom.io"), ("eu", "https://api.eu.intercom.io")])
def test_the_region_picks_the_host_unless_a_base_url_is_given(region: str, url: str) -> None:
    assert IntercomClient("t", region=region).base_url == url
    assert IntercomClient("t", region=region, base_url="http://127.0.0.1:9/x/").base_url == "http://127.0.0.1:9/x"


def test_repr_hides_the_token(client: IntercomClient, intercom_emulator: IntercomEmulator) -> None:
    client.get_me()
    assert intercom_emulator.token not in repr(client)
    assert repr(client) == f"IntercomClient(base_url={intercom_emulator.url!r}, api_version='2.16')"


def test_a_request_that_cannot_be_built_is_not_retried_and_shows_no_secret(
    intercom_emulator: IntercomEmulator, client: IntercomClient, sleeps: Sleeps
) -> None:
    with pytest.raises(IntercomValidationError, match="Could not build the request PUT /conversations/1: "):
        client.request("PUT", "/conversations/1", json={"score": float("nan")})
    bad_token = "tok\r\nX-Evil: 1"
    with make_client(intercom_emulator, token=bad_token) as bad, pytest.raises(IntercomValidationError) as info:
        bad.get_me()
    assert "Could not build the request GET /me" in str(info.value)
    assert "tok" not in str(info.value)
    # No chain at all: requests' exception would hold the header the token went into.
    assert (info.value.__cause__, info.value.__context__) == (None, None)
    assert intercom_emulator.requests == []
    assert sleeps == []


# -- Sharing, copies, sessions -------------------------------------------------------------------


def test_clients_sharing_a_rate_limiter_are_counted_together(intercom_emulator: IntercomEmulator) -> None:
    limiter = AdaptiveRateLimiter()
    intercom_emulator.inject("rate_limit", path="/conversations/2", times=1, reset_in=0)
    with (
        make_client(intercom_emulator, rate_limiter=limiter) as one,
        make_client(intercom_emulator, rate_limiter=limiter) as two,
    ):
        one.mark_conversation_read("1")
        two.mark_conversation_read("2")
    assert len(intercom_emulator.requests) == 3
    assert (limiter.sent, limiter.rate_limited) == (3, 1)


def test_with_options_changes_only_what_it_is_given(
    intercom_emulator: IntercomEmulator, client: IntercomClient
) -> None:
    quick = client.with_options(retry_policy=RetryPolicy(max_retries=0), timeout=2.0)
    assert (quick.timeout, quick.retry_policy.max_retries) == (2.0, 0)
    assert (client.timeout, client.retry_policy.max_retries) == (30.0, 3)
    assert (quick.base_url, quick.api_version, quick.conn_id) == (client.base_url, client.api_version, CONN_ID)
    intercom_emulator.inject("status", path="/me", status=503, times=1)
    with quick, pytest.raises(IntercomServerError):
        quick.get_me()
    assert client.get_me()["type"] == "admin"  # the original keeps working, with its own session
    assert len(intercom_emulator.requests) == 2


def test_one_connection_is_reused_and_close_releases_it(
    intercom_emulator: IntercomEmulator, client: IntercomClient
) -> None:
    client.close()  # nothing open yet: a no-op
    for _ in range(3):
        client.get_me()
    assert intercom_emulator.open_connections == 1
    client.close()
    wait_until(lambda: intercom_emulator.open_connections == 0, "closed")
    assert client.get_me()["type"] == "admin"  # a later call opens a new session
    assert intercom_emulator.open_connections == 1
