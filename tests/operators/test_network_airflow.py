"""The operators in real DAG runs behind a corporate network: an HTTPS proxy, a private CA.

``https://intercom.test`` is the emulator behind a TLS front; only the proxy in ``HTTPS_PROXY``
reaches it and only ``REQUESTS_CA_BUNDLE`` holds its CA (tests/helpers/standins.py). The single
task goes over ``requests``, the bulk task over ``aiohttp``: both must work, and fail, alike.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import certifi
import pytest

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.chain import FAILURES, find_secret
from tests.helpers.dagrun import DagRunResult, run_dag
from tests.helpers.emulator_log import put_ids
from tests.helpers.loopback import redirect_to_another_origin
from tests.helpers.standins import Network

TOKEN = "fake-network-token-Wc5JmT1qXa8"
DAGS = {"single": "test_intercom_network_single", "bulk": "test_intercom_network_bulk"}
pytestmark = [pytest.mark.dagrun, pytest.mark.usefixtures("airflow_db")]


@pytest.fixture
def intercom_emulator_options() -> dict[str, object]:
    return {"token": TOKEN}


@pytest.fixture
def failures() -> Iterator[list[BaseException]]:
    FAILURES.clear()
    yield FAILURES
    FAILURES.clear()


def _connect(monkeypatch: pytest.MonkeyPatch, host: str, **extra: object) -> None:
    extra = {"timeout": 5, "max_retries": 3, **extra}
    conn = {"conn_type": "intercom", "host": host, "password": TOKEN, "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", json.dumps(conn))


def _tries(result: DagRunResult) -> int:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        query = session.query(TaskInstance).filter_by(dag_id=result.dag_id, run_id=result.run_id, task_id="task")
        return int(query.one().try_number)


def _assert_failed_at_once(result: DagRunResult, failures: list[BaseException], says: str) -> None:
    """The task failed on its first try (no Airflow retry), saying ``says``; its error holds no token."""
    assert (result.state_of("task"), _tries(result)) == ("failed", 1)
    assert len(failures) == 1
    error = failures[0]
    assert type(error).__name__ == "IntercomPermanentError"
    assert says in str(error), str(error)
    assert find_secret(error, TOKEN) == []


@pytest.mark.parametrize("kind", list(DAGS))
@pytest.mark.parametrize("cut", [0, 2], ids=["clean", "two handshakes cut"])
def test_behind_a_proxy_with_a_private_ca_both_operators_succeed_without_an_airflow_retry(
    corporate_network: Network,
    intercom_emulator: IntercomEmulator,
    monkeypatch: pytest.MonkeyPatch,
    failures: list[BaseException],
    kind: str,
    cut: int,
) -> None:
    _connect(monkeypatch, corporate_network.url)
    corporate_network.front.cut = cut

    result = run_dag(DAGS[kind])

    assert (result.state_of("task"), _tries(result)) == ("success", 1)
    assert corporate_network.front.handshakes_cut == cut
    assert {t.target for t in corporate_network.proxy.tunnels} == {"intercom.test:443"}
    expected = ["3"] if kind == "single" else [str(i) for i in range(1, 21)]
    assert sorted(put_ids(intercom_emulator), key=int) == expected
    assert failures == []


@pytest.mark.parametrize("kind", list(DAGS))
def test_an_untrusted_certificate_fails_the_task_at_once_and_says_so(
    corporate_network: Network,
    intercom_emulator: IntercomEmulator,
    monkeypatch: pytest.MonkeyPatch,
    failures: list[BaseException],
    kind: str,
) -> None:
    _connect(monkeypatch, corporate_network.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # public CAs only: the private one is not there

    result = run_dag(DAGS[kind])

    _assert_failed_at_once(result, failures, "the TLS certificate of https://intercom.test failed verification")
    assert intercom_emulator.requests == []


@pytest.mark.parametrize("kind", list(DAGS))
def test_a_redirect_is_not_followed_and_fails_the_task_at_once(
    monkeypatch: pytest.MonkeyPatch, failures: list[BaseException], kind: str
) -> None:
    with redirect_to_another_origin() as (url, gateway, origin):
        _connect(monkeypatch, url)
        result = run_dag(DAGS[kind])

    _assert_failed_at_once(result, failures, "answered 307, a redirect to")
    assert gateway
    assert origin == []  # the other origin received nothing: not the token, not a body


@pytest.mark.parametrize("kind", list(DAGS))
@pytest.mark.parametrize(
    "fault",
    [
        "refused",
        "timeout",
        pytest.param("401", marks=pytest.mark.intercom_emulator(token="the-emulator-knows-another-token")),
    ],
)
def test_no_raised_error_can_reach_the_token(
    intercom_emulator: IntercomEmulator,
    monkeypatch: pytest.MonkeyPatch,
    failures: list[BaseException],
    kind: str,
    fault: str,
) -> None:
    # What execute raises is what a failure callback, the log and an error tracker get.
    # (A TLS failure and a redirect: the tests above walk their errors too.)
    url = intercom_emulator.url
    if fault == "refused":
        with socket.socket() as sock:  # free a moment ago: nothing listens there
            sock.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    elif fault == "timeout":
        intercom_emulator.inject("slow", delay=1.0, path="/conversations/*", times=None)
    _connect(monkeypatch, url, timeout=0.3, max_retries=0)

    result = run_dag(DAGS[kind])

    assert result.state_of("task") == "failed"
    assert failures
    for error in failures:
        assert find_secret(error, TOKEN) == [], error
