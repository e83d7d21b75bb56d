"""The access token appears nowhere the hook or its client leave traces, whatever Intercom does.

(The operators' side, XCom and DAG runs included, is tests/operators/test_secrets.py.)
"""

from __future__ import annotations

import logging

import pytest

from airflow_provider_intercom.exceptions import IntercomError
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import FAST_RETRIES, everything_shown
from tests.hooks.test_fault_matrix import MATRIX, PATH

TOKEN = "fake-known-token-Zq7XwP3vLk9"


# One-second rate-limit windows: a 429 waits for its window to end, and no test waits ten seconds.
@pytest.mark.intercom_emulator(conversations=20, token=TOKEN, window=1)
@pytest.mark.parametrize("name", list(MATRIX))
def test_no_fault_seen_through_the_hook_or_client_leaks_the_token(
    name: str,
    intercom_emulator: IntercomEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_DEFAULT", intercom_emulator.airflow_conn_json(timeout=0.3))
    row = MATRIX[name]
    intercom_emulator.inject(row.fault, path=PATH, **{**row.inject, "times": None})
    caplog.set_level(logging.DEBUG)
    hook = IntercomHook(retry_policy=FAST_RETRIES)  # the default connection, without minutes of 429 waits
    seen: list[str] = []
    for call in (lambda: hook.mark_conversation_read("3"), hook.test_connection, hook.get_app_id_code):
        error: BaseException | None = None
        try:
            seen.append(repr(call()))
        except IntercomError as err:
            error = err
        seen.append(everything_shown(error, hook, hook.settings, hook.client))
    out, err = capfd.readouterr()
    seen += [caplog.text, out, err]
    assert intercom_emulator.requests  # the faults were really met
    assert TOKEN not in "\n".join(seen)
