"""Neither transport follows a redirect: Intercom's API never sends one, and following it would
re-send the token, and a PUT's body, to whatever origin the ``Location`` names.
"""

from __future__ import annotations

import pytest

from airflow_provider_intercom.client import IntercomClient, IntercomError, RetryPolicy
from tests.helpers.fixtures import CONN_ID, Sleeps
from tests.helpers.loopback import redirect_to_another_origin
from tests.helpers.transports import send_async


def _put(client: IntercomClient, transport: str) -> None:
    if transport == "requests":
        with client:
            client.mark_conversation_read("7")
    else:
        send_async(client, "PUT", "/conversations/7", body=b'{"read":true}')


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("transport", ["requests", "aiohttp"])
def test_a_redirect_is_not_followed_and_fails_at_once_saying_what_to_fix(transport: str, status: int) -> None:
    sleeps = Sleeps()
    with redirect_to_another_origin(status) as (url, gateway, origin):
        client = IntercomClient(
            "fake-token", base_url=url, conn_id=CONN_ID, retry_policy=RetryPolicy(max_retries=3), sleep=sleeps
        )
        with pytest.raises(IntercomError) as info:
            _put(client, transport)

    error = info.value
    text = str(error)
    assert gateway == ["PUT /conversations/7"]
    assert origin == []  # nothing reached the other origin: not the token, not the body
    assert f"answered {status}, a redirect to 'http://127.0.0.1:" in text
    assert "/conversations/7'" in text
    assert "secret-signature" not in text  # the Location's query is not quoted
    assert f"set the Host of connection {CONN_ID!r} (now {url})" in text
    assert (error.status, error.permanent, error.retryable, sleeps) == (status, True, False, [])
