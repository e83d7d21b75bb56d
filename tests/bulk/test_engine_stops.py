"""When a bulk run stops for every id, over real HTTP against the emulator: the circuit breaker,
account-wide codes, a Host that is not Intercom's, and the ids that fail alone.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from airflow_provider_intercom.bulk import BulkOptions, BulkRun
from airflow_provider_intercom.client import IntercomConfigError, IntercomForbiddenError, IntercomValidationError
from airflow_provider_intercom.client._actions import update_request
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.emulator_log import puts
from tests.helpers.fixtures import FAST_RETRIES, id_range, make_client

LOG = logging.getLogger(__name__)
BODY = update_request({"read": True})


def _run(emulator: IntercomEmulator, ids: list[str], **options: Any) -> tuple[dict[str, Any], BulkRun]:
    run = BulkRun(make_client(emulator, retry_policy=FAST_RETRIES), BulkOptions(**options), log=LOG)
    return run.run(ids, BODY), run


@pytest.mark.intercom_emulator(conversations=100)
def test_the_same_403_for_every_id_stops_the_run_after_a_few_requests(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("status", method="PUT", status=403, code="forbidden", times=None)

    summary, run = _run(intercom_emulator, id_range(100))

    assert len(puts(intercom_emulator)) < 20
    assert isinstance(run.fatal, IntercomForbiddenError)
    assert run.fatal.permanent
    assert "403 forbidden" in str(run.fatal)
    assert "5 conversations in a row failed with this same error" in str(run.fatal)
    assert summary["counts"]["updated"] == 0
    assert {f["reason"] for f in summary["failed"]} == {"forbidden", "cancelled"}


@pytest.mark.intercom_emulator(conversations=30)
def test_a_403_for_one_id_fails_that_id_only(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("status", path="/conversations/7", status=403, code="forbidden", times=None)

    summary, run = _run(intercom_emulator, id_range(30))

    assert run.fatal is None
    assert [(f["id"], f["reason"]) for f in summary["failed"]] == [("7", "forbidden")]
    assert summary["counts"]["updated"] == 29


@pytest.mark.intercom_emulator(conversations=30)
def test_an_account_wide_code_stops_the_run_at_once_on_any_status(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("status", method="PUT", status=403, code="token_revoked", times=None)

    _, run = _run(intercom_emulator, id_range(30))

    assert len(puts(intercom_emulator)) == 1
    assert isinstance(run.fatal, IntercomForbiddenError)
    assert run.fatal.code == "token_revoked"


@pytest.mark.intercom_emulator(conversations=10)
def test_html_404s_stop_a_500_id_run_within_20_requests(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("html", method="PUT", status=404, times=None)

    summary, run = _run(intercom_emulator, id_range(500))

    assert len(puts(intercom_emulator)) <= 20
    assert isinstance(run.fatal, IntercomConfigError)
    assert run.fatal.permanent
    assert f"no Intercom API is at the Host {intercom_emulator.url!r}" in str(run.fatal)
    assert summary["counts"]["failed"] == 500


@pytest.mark.intercom_emulator(conversations=10)
def test_deleted_conversations_never_stop_the_run_and_no_retry_can_fix_them(
    intercom_emulator: IntercomEmulator,
) -> None:
    ids = [*id_range(10), *id_range(30, start=1000)]  # 30 ids that do not exist, in a row

    summary, run = _run(intercom_emulator, ids)

    assert run.fatal is None
    assert summary["counts"]["updated"] == 10
    assert {f["reason"] for f in summary["failed"]} == {"not_found"}
    # As on the error class: a missing conversation is permanent, so an Airflow retry cannot help.
    assert run.retryable_failures == 0


@pytest.mark.intercom_emulator(conversations=10)
def test_ignore_not_found_skips_a_deleted_conversation_but_not_a_wrong_host(
    intercom_emulator: IntercomEmulator,
) -> None:
    intercom_emulator.inject("html", method="PUT", status=404, times=None)

    summary, run = _run(intercom_emulator, id_range(10), ignore_not_found=True)

    assert isinstance(run.fatal, IntercomConfigError)
    assert summary["skipped"] == []


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 0])
def test_bulk_options_refuse_a_rate_that_is_not_a_finite_positive_number(value: float) -> None:
    with pytest.raises(IntercomValidationError, match="max_requests_per_minute must be a finite number above 0"):
        BulkOptions(max_requests_per_minute=value)
