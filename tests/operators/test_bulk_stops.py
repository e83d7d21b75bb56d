"""Bulk tasks that must stop early and fail without Airflow retries: a Host whose path is wrong,
in a real DAG run on a loopback stand-in; and arguments no run can use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_intercom.exceptions import IntercomConfigError, IntercomPermanentError, IntercomValidationError
from airflow_provider_intercom.operators.bulk import IntercomMarkConversationsReadOperator
from tests.helpers.chain import FAILURES
from tests.helpers.dagrun import run_dag, task_instance
from tests.helpers.fixtures import FakeTaskInstance, execute, id_range
from tests.helpers.standin import wrong_prefix_server


@pytest.fixture
def wrong_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """``intercom_default`` on a stand-in behind a wrong path prefix: its Host, and the requests it got."""
    with wrong_prefix_server() as (origin, requests):
        host = f"{origin}/wrong/prefix"
        conn = {"conn_type": "intercom", "host": host, "password": "fake-token-for-tests"}
        monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", json.dumps(conn))
        yield host, requests


def test_html_404s_stop_the_run_and_the_message_quotes_the_host(wrong_host: tuple[str, list[Any]]) -> None:
    host, requests = wrong_host
    ti = FakeTaskInstance()
    op = IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=id_range(500))

    with pytest.raises(IntercomPermanentError) as info:
        execute(op, ti)

    assert len(requests) <= 20
    assert isinstance(info.value.error, IntercomConfigError)
    assert f"no Intercom API is at the Host {host!r}" in str(info.value)
    assert "path included" in str(info.value)
    assert ti.pushed["return_value"]["counts"]["failed"] == 500


@pytest.mark.dagrun
@pytest.mark.usefixtures("airflow_db")
def test_a_wrong_host_path_fails_the_task_on_its_first_try_within_20_requests(
    wrong_host: tuple[str, list[Any]],
) -> None:
    host, requests = wrong_host
    FAILURES.clear()

    result = run_dag("test_intercom_wrong_host")

    assert result.state_of("bulk") == "failed"  # not up_for_retry, despite retries=2
    assert task_instance(result, "bulk")[0] == 1
    assert 3 <= len(requests) <= 20
    assert result.xcom("bulk")["counts"]["failed"] == 500
    # The task's error, which its log shows, says why, quoting the Host as configured.
    (error,) = FAILURES
    assert f"no Intercom API is at the Host {host!r}" in str(error)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 0, True, "60"])
def test_max_requests_per_minute_must_be_a_finite_positive_number(value: Any) -> None:
    with pytest.raises(IntercomValidationError, match=r"Task 't': max_requests_per_minute must be a finite number"):
        IntercomMarkConversationsReadOperator(task_id="t", conversation_ids=["1"], max_requests_per_minute=value)
