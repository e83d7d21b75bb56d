"""IntercomClient over real HTTP against the emulator: what goes over the wire, and what comes back.

Waits are never real: the client's ``sleep``, ``clock``, ``wall_clock`` and ``rand`` are injected.
"""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import math
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_intercom import __version__
from airflow_provider_intercom.client import (
    AdaptiveRateLimiter,
    IntercomAuthError,
    IntercomCancelledError,
    IntercomClient,
    IntercomConfigError,
    IntercomConnectionError,
    IntercomNotFoundError,
    IntercomRateLimitError,
    IntercomServerError,
    IntercomValidationError,
    RetryPolicy,
)
from airflow_provider_intercom.client.facts import API_VERSIONS
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import CONN_ID, Sleeps, make_client, wait_until


class Log:
    """The client's injectable logger: keeps each warning as the line it would print."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, msg: Any, /, *args: Any) -> None:
        self.lines.append(msg % args)


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


@pytest.mark.parametrize("version", ["1.0", "2.10", "Unstable"])
def test_the_api_version_is_sent_as_configured(intercom_emulator: IntercomEmulator, version: str) -> None:
    with make_client(intercom_emulator, api_version=version) as client:
        client.get_me()
    assert intercom_emulator.requests[0].headers["Intercom-Version"] == version


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
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert intercom_emulator.requests == []
    assert sleeps == []


# -- Retrying, with injected waits ---------------------------------------------------------------


def test_transient_errors_are_retried_with_backoff_and_logged(
    intercom_emulator: IntercomEmulator, sleeps: Sleeps
) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=2)
    log = Log()
    with make_client(intercom_emulator, sleep=sleeps, rand=lambda: 0.0, logger=log) as client:
        assert client.get_me()["type"] == "admin"
    assert len(intercom_emulator.requests) == 3
    assert sleeps == [0.25, 0.5]  # half of 0.5 s, then half of 1 s: "equal jitter" with rand = 0
    assert [line.split(": ")[0] for line in log.lines] == [
        "Intercom request failed (attempt 1 of at most 4)",
        "Intercom request failed (attempt 2 of at most 4)",
    ]
    assert all("Intercom API 503 service_unavailable on GET /me" in line for line in log.lines)
    assert log.lines[0].endswith("-- retrying in 0.2s")
    assert not any("gave up" in line for line in log.lines)


def test_giving_up_says_how_many_attempts_and_how_long(intercom_emulator: IntercomEmulator, sleeps: Sleeps) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    ticks = itertools.count(0.0, 0.5)
    with (
        make_client(intercom_emulator, sleep=sleeps, clock=lambda: next(ticks)) as client,
        pytest.raises(IntercomServerError) as info,
    ):
        client.get_me()
    assert (info.value.attempts, info.value.elapsed) == (4, 2.0)
    assert str(info.value).endswith("(gave up after 4 attempts in 2.0s)")
    assert len(intercom_emulator.requests) == 4
    assert len(sleeps) == 3


def test_the_time_budget_bounds_retries_as_well_as_attempts(
    intercom_emulator: IntercomEmulator, sleeps: Sleeps
) -> None:
    # Every look at the clock finds 10 s more gone; 25 s of budget leave room for two retries.
    policy = RetryPolicy(max_retries=10, max_retry_time=25.0)
    ticks = itertools.count(0.0, 10.0)
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    with (
        make_client(
            intercom_emulator, retry_policy=policy, sleep=sleeps, clock=lambda: next(ticks), rand=lambda: 0.0
        ) as client,
        pytest.raises(IntercomServerError, match=r"gave up after 3 attempts in 30\.0s"),
    ):
        client.get_me()
    assert len(intercom_emulator.requests) == 3


def test_a_429_wait_that_would_outlast_the_budget_is_not_started(
    intercom_emulator: IntercomEmulator, sleeps: Sleeps
) -> None:
    # A 429 says "wait a minute" (capped at 5 s here); with 1 s of budget no wait may start.
    policy = RetryPolicy(max_retries=3, max_retry_time=1.0, rate_limit_jitter=0.0, rate_limit_cap=5.0)
    intercom_emulator.inject("rate_limit", path="/me", times=None, reset_in=60)
    with (
        make_client(intercom_emulator, retry_policy=policy, sleep=sleeps) as client,
        pytest.raises(IntercomRateLimitError) as info,
    ):
        client.get_me()
    assert len(intercom_emulator.requests) == 1
    assert sleeps == []
    assert info.value.attempts == 1
    assert "gave up" not in str(info.value)
    assert info.value.reset_at is not None


def test_a_429_waits_until_the_reset_intercom_reports_plus_jitter(
    intercom_emulator: IntercomEmulator, sleeps: Sleeps
) -> None:
    policy = RetryPolicy(rate_limit_cap=120.0, rate_limit_jitter=1.0)
    now = float(int(time.time()))  # the client's wall clock stands still at this whole second
    intercom_emulator.inject("rate_limit", path="/me", times=1, reset_in=30)
    before = time.time()
    with make_client(
        intercom_emulator, retry_policy=policy, sleep=sleeps, wall_clock=lambda: now, rand=lambda: 0.25
    ) as client:
        client.get_me()
    after = time.time()
    assert len(intercom_emulator.requests) == 2
    [slept] = sleeps
    # The emulator reports the reset as a whole UNIX second, 30 s after it answered.
    reset = slept - 0.25 + now
    assert reset.is_integer()
    assert math.ceil(before + 30) <= reset <= math.ceil(after + 30)


def test_non_idempotent_requests_are_not_resent_once_they_may_have_applied(
    intercom_emulator: IntercomEmulator, client: IntercomClient
) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    with pytest.raises(IntercomServerError):
        client.request("GET", "/me", idempotent=False)
    intercom_emulator.clear_faults()
    intercom_emulator.inject("reset", path="/me", times=None)
    with pytest.raises(IntercomConnectionError):
        client.request("GET", "/me", idempotent=False)
    assert len(intercom_emulator.requests) == 2
    # A 429 was not acted upon, so it is retried all the same.
    intercom_emulator.clear_faults()
    intercom_emulator.inject("rate_limit", path="/me", times=1, reset_in=0)
    assert client.request("GET", "/me", idempotent=False)["type"] == "admin"
    assert len(intercom_emulator.requests) == 4


def test_connection_refused_is_retried_then_clear(sleeps: Sleeps) -> None:
    with make_client(_nowhere(), sleep=sleeps) as client, pytest.raises(IntercomConnectionError) as info:
        client.get_me()
    assert (info.value.attempts, info.value.sent, len(sleeps)) == (4, False, 3)
    assert f"could not connect to {client.base_url}" in str(info.value)
    assert "Check the connection's Host/region and the worker's network" in str(info.value)


def _nowhere() -> Any:
    """Something with a ``url`` nothing listens on (a port that was free a moment ago)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    class Nowhere:
        token = "fake-token"
        url = f"http://127.0.0.1:{port}"

    return Nowhere()


# -- Stopping ------------------------------------------------------------------------------------


def test_a_stop_during_a_retry_wait_keeps_the_cause(intercom_emulator: IntercomEmulator) -> None:
    stop = threading.Event()
    intercom_emulator.inject("status", path="/conversations/3", status=503, times=None)
    with (
        make_client(intercom_emulator, stop_event=stop, sleep=lambda seconds: stop.set()) as client,
        pytest.raises(IntercomCancelledError) as info,
    ):
        client.mark_conversation_read("3")
    assert info.value.status == 503
    assert info.value.request_id
    assert isinstance(info.value.__cause__, IntercomServerError)
    assert "The task was stopped while waiting to retry after: Intercom API 503" in str(info.value)
    assert len(intercom_emulator.requests) == 1


def test_a_stop_ends_a_real_wait_early(intercom_emulator: IntercomEmulator) -> None:
    # No injected sleep: the client waits on the stop event itself (30 s of backoff here).
    stop = threading.Event()
    policy = RetryPolicy(max_retries=3, backoff_base=30.0, backoff_cap=30.0)
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    threading.Thread(target=lambda: (wait_until(lambda: intercom_emulator.requests, "sent"), stop.set())).start()
    with (
        make_client(intercom_emulator, retry_policy=policy, stop_event=stop, sleep=None) as client,
        pytest.raises(IntercomCancelledError, match="while waiting to retry"),
    ):
        client.get_me()
    assert len(intercom_emulator.requests) == 1


def test_nothing_is_sent_once_stopped(intercom_emulator: IntercomEmulator) -> None:
    stop = threading.Event()
    stop.set()
    with (
        make_client(intercom_emulator, stop_event=stop) as client,
        pytest.raises(IntercomCancelledError, match="no further request is sent"),
    ):
        client.mark_conversation_read("3")
    assert intercom_emulator.requests == []


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


# -- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTPS server with a self-signed certificate that answers every GET with an admin."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"type": "admin", "id": "1"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_tls_certificates_are_verified_and_a_failure_says_what_to_do(tls_server: str, sleeps: Sleeps) -> None:
    with (
        IntercomClient("t", base_url=tls_server, conn_id=CONN_ID, sleep=sleeps) as client,
        pytest.raises(IntercomConnectionError) as info,
    ):
        client.get_me()
    assert f"TLS handshake with {tls_server} failed" in str(info.value)
    assert "verify_ssl=false there only" in str(info.value)
    assert sleeps == []  # a certificate that failed once fails again: not retried


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_verification_can_be_turned_off_for_a_test_server(tls_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Even where the environment names a CA bundle, which requests would otherwise let win.
    from requests.certs import where

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", where())
    with IntercomClient("t", base_url=tls_server, verify_ssl=False) as client:
        assert client.get_me() == {"type": "admin", "id": "1"}
