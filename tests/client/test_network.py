"""Both transports on one network: through an HTTPS proxy, with a private CA from the environment.

``https://intercom.test`` is the emulator behind a TLS front whose certificate a private CA signed;
only the CONNECT proxy in ``HTTPS_PROXY`` can reach it, and only ``REQUESTS_CA_BUNDLE`` holds the CA
(tests/helpers/standins.py). The sync transport (``requests``) serves single calls, the async one
(``aiohttp``) the bulk engine: whatever works for one must work for the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from airflow_provider_intercom.client import IntercomClient, IntercomConnectionError, RetryPolicy
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import CONN_ID, Sleeps
from tests.helpers.standins import Network
from tests.helpers.transports import send_async


def _client(url: str, token: str, sleeps: Sleeps | None = None, **options: Any) -> IntercomClient:
    values: dict[str, Any] = {"conn_id": CONN_ID, "retry_policy": RetryPolicy(max_retries=3), **options}
    return IntercomClient(token, base_url=url, sleep=sleeps if sleeps is not None else Sleeps(), **values)


def _sync_get_me(client: IntercomClient) -> Mapping[str, Any]:
    with client:
        return client.get_me()


def _sync_get_once(client: IntercomClient, *, idempotent: bool) -> Mapping[str, Any]:
    with client:
        return client.request("GET", "/me", idempotent=idempotent)


def _async_get_me(client: IntercomClient, *, idempotent: bool = True) -> Mapping[str, Any]:
    return send_async(client, "GET", "/me", idempotent=idempotent)


TRANSPORTS = {"requests": _sync_get_me, "aiohttp": _async_get_me}


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_a_host_only_the_proxy_reaches_with_the_ca_only_in_the_environment(
    corporate_network: Network, intercom_emulator: IntercomEmulator, transport: str
) -> None:
    me = TRANSPORTS[transport](_client(corporate_network.url, intercom_emulator.token))

    assert me["type"] == "admin"
    tunnels = corporate_network.proxy.tunnels
    assert [t.target for t in tunnels] == ["intercom.test:443"]
    # The token goes to Intercom inside the tunnel, never to the proxy.
    assert not [line for t in tunnels for line in t.headers if line.lower().startswith("authorization")]
    assert [r.path for r in intercom_emulator.requests] == ["/me"]


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_no_proxy_is_honoured(
    corporate_network: Network, monkeypatch: pytest.MonkeyPatch, intercom_emulator: IntercomEmulator, transport: str
) -> None:
    monkeypatch.setenv("NO_PROXY", "intercom.test")
    with pytest.raises(IntercomConnectionError, match=r"could not connect to https://intercom\.test"):
        TRANSPORTS[transport](_client(corporate_network.url, intercom_emulator.token, retry_policy=RetryPolicy(0)))
    assert corporate_network.proxy.tunnels == []


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_a_handshake_cut_on_the_way_is_retried_even_for_a_request_that_is_not_idempotent(
    corporate_network: Network, intercom_emulator: IntercomEmulator, transport: str
) -> None:
    corporate_network.front.cut = 1
    client = _client(corporate_network.url, intercom_emulator.token, retry_policy=RetryPolicy(max_retries=0))
    with pytest.raises(IntercomConnectionError) as info:
        (_sync_get_once if transport == "requests" else _async_get_me)(client, idempotent=False)

    error = info.value
    # aiohttp reports a handshake cut as a reset connection: connecting failed, the same semantics.
    said = "TLS handshake with" if transport == "requests" else "could not connect to"
    assert said + " https://intercom.test" in str(error)
    assert (error.sent, error.retryable, error.permanent) == (False, True, False)
    assert corporate_network.front.handshakes_cut == 1
    assert intercom_emulator.requests == []


def test_the_sync_client_retries_two_cut_handshakes_and_succeeds(
    corporate_network: Network, intercom_emulator: IntercomEmulator
) -> None:
    corporate_network.front.cut = 2
    sleeps = Sleeps()
    assert _sync_get_me(_client(corporate_network.url, intercom_emulator.token, sleeps))["type"] == "admin"
    assert (corporate_network.front.handshakes_cut, len(sleeps)) == (2, 2)


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_a_certificate_the_bundle_does_not_trust_fails_at_once_and_says_so(
    corporate_network: Network, monkeypatch: pytest.MonkeyPatch, intercom_emulator: IntercomEmulator, transport: str
) -> None:
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # the public CAs: not the private one
    sleeps = Sleeps()
    with pytest.raises(IntercomConnectionError) as info:
        TRANSPORTS[transport](_client(corporate_network.url, intercom_emulator.token, sleeps))

    error = info.value
    assert "TLS certificate of https://intercom.test failed verification" in str(error)
    assert "REQUESTS_CA_BUNDLE" in str(error)
    assert (error.sent, error.retryable, error.permanent, sleeps) == (False, False, True, [])
    assert intercom_emulator.requests == []


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_the_bundle_named_by_curl_ca_bundle_is_used_when_requests_ca_bundle_is_not_set(
    corporate_network: Network, monkeypatch: pytest.MonkeyPatch, intercom_emulator: IntercomEmulator, transport: str
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(corporate_network.ca_bundle))
    assert TRANSPORTS[transport](_client(corporate_network.url, intercom_emulator.token))["type"] == "admin"


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_verify_ssl_false_turns_verification_off_on_both(
    corporate_network: Network, monkeypatch: pytest.MonkeyPatch, intercom_emulator: IntercomEmulator, transport: str
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    client = _client(corporate_network.url, intercom_emulator.token, verify_ssl=False)
    assert TRANSPORTS[transport](client)["type"] == "admin"
