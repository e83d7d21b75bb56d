"""No exception the client raises can reach the token: not through ``__cause__``/``__context__``,
arguments, attributes, nor the library objects (a ``requests`` ``PreparedRequest``, ``aiohttp``'s
request info) an error tracker or an ``on_failure_callback`` could walk to.
"""

from __future__ import annotations

import copy
import pickle
import socket
from collections.abc import Callable, Iterator

import certifi
import pytest
import requests

from airflow_provider_intercom.client import IntercomClient, IntercomError, RetryPolicy
from airflow_provider_intercom.client._token import Token
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.chain import find_secret
from tests.helpers.fixtures import CONN_ID, Sleeps
from tests.helpers.loopback import redirect_to_another_origin
from tests.helpers.standins import Network
from tests.helpers.transports import send_async

TOKEN = "fake-chain-token-Hq4VnR8sTe2"


def _free_port() -> int:
    with socket.socket() as sock:  # free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _sync(client: IntercomClient) -> None:
    with client:
        client.mark_conversation_read("3")


def _async(client: IntercomClient) -> None:
    send_async(client, "PUT", "/conversations/3", body=b'{"read":true}')


TRANSPORTS: dict[str, Callable[[IntercomClient], None]] = {"requests": _sync, "aiohttp": _async}


@pytest.fixture(params=["refused", "timeout", "tls", "redirect", "401"])
def failing_url(
    request: pytest.FixtureRequest, intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A base URL where a request with :data:`TOKEN` fails in one of the ways a network can."""
    if request.param == "refused":
        yield f"http://127.0.0.1:{_free_port()}"
    elif request.param == "timeout":
        intercom_emulator.inject("slow", delay=1.0, path="/conversations/*", times=None)
        yield intercom_emulator.url
    elif request.param == "tls":
        network: Network = request.getfixturevalue("corporate_network")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # the private CA is not trusted
        yield network.url
    elif request.param == "redirect":
        with redirect_to_another_origin() as (url, _, _):
            yield url
    else:
        yield intercom_emulator.url  # which does not know TOKEN: 401


@pytest.mark.parametrize("transport", list(TRANSPORTS))
def test_no_failure_leaves_the_token_reachable_from_the_error(failing_url: str, transport: str) -> None:
    client = IntercomClient(
        TOKEN, base_url=failing_url, conn_id=CONN_ID, timeout=0.3, retry_policy=RetryPolicy(1), sleep=Sleeps()
    )
    with pytest.raises(IntercomError) as info:
        TRANSPORTS[transport](client)

    error = info.value
    assert find_secret(error, TOKEN) == []
    assert TOKEN not in repr(error) + str(error)


def test_the_walk_does_find_a_token_in_a_library_exception() -> None:
    # What the provider's errors used to chain: requests' error holds the request, headers and all.
    with pytest.raises(requests.ConnectionError) as info:
        requests.get(f"http://127.0.0.1:{_free_port()}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=2)
    assert any(path.startswith("error.request") for path in find_secret(info.value, TOKEN))


def test_the_token_holder_never_shows_the_token() -> None:
    token = Token(TOKEN)
    assert TOKEN not in repr(token) + str(token) + repr([token]) + f"{token}"
    with pytest.raises(TypeError):
        vars(token)
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(token)
    assert copy.deepcopy(token) is token
    assert token.authorization() == {"Authorization": f"Bearer {TOKEN}"}


def test_no_client_or_transport_attribute_shows_the_token(intercom_emulator: IntercomEmulator) -> None:
    client = IntercomClient(TOKEN, base_url=intercom_emulator.url)
    with client:
        with pytest.raises(IntercomError):  # a 401, after which the session exists
            client.get_me()
        transport = client._transport
        session = transport.session
        shown = [repr(client), repr(vars(client)), repr(vars(transport)), repr(session.headers), repr(session.auth)]
    assert "Authorization" not in session.headers  # added per request, by the session's auth
    assert TOKEN not in "\n".join(shown)
    # Walking every attribute reaches it in one place only: the holder's slot.
    assert [path.rsplit(".", 2)[1:] for path in find_secret(client, TOKEN)] == [["_token", "_value"]]
