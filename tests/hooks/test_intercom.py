"""IntercomHook: an Airflow connection adapted to an IntercomClient; the Test button; the form.

The client's own behaviour is tested in tests/client; here, what the hook adds: reading the
connection, the token masking, delegation, the Test button's quick attempt and its messages.
"""

from __future__ import annotations

import json
import threading
import uuid

import pytest

from airflow_provider_intercom.client import IntercomClient, RetryPolicy
from airflow_provider_intercom.connection import IntercomConnectionSettings, ui_field_behaviour
from airflow_provider_intercom.exceptions import (
    IntercomAuthError,
    IntercomCancelledError,
    IntercomConfigError,
    IntercomServerError,
    IntercomValidationError,
)
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import CONN_ID, make_hook, wait_until

try:
    from airflow.sdk.log import redact
except ImportError:  # Airflow 3.0 keeps it in the Task SDK's masker; 2.x in airflow.utils.log
    try:
        from airflow.sdk.execution_time.secrets_masker import redact
    except ImportError:
        from airflow.utils.log.secrets_masker import redact


def test_get_conn_is_a_client_configured_from_the_connection(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_INTERCOM_ENV", intercom_emulator.airflow_conn_json(timeout="5", api_version="2.15", max_retries=2)
    )
    hook = IntercomHook("intercom_env")
    client = hook.get_conn()
    assert isinstance(client, IntercomClient)
    assert client is hook.client is hook.get_conn()
    assert (client.base_url, client.api_version, client.timeout, client.conn_id) == (
        intercom_emulator.url,
        "2.15",
        5.0,
        "intercom_env",
    )
    assert client.retry_policy == RetryPolicy(max_retries=2, max_retry_time=300.0)


def test_the_api_methods_go_through_the_client(intercom_emulator: IntercomEmulator, hook: IntercomHook) -> None:
    assert hook.mark_conversation_read(7)["read"] is True
    assert hook.update_conversation("4", title="Refund")["title"] == "Refund"
    assert hook.get_conversation("9")["id"] == "9"
    assert hook.get_me()["type"] == "admin"
    assert [c["id"] for c in hook.search_conversations({"field": "id", "operator": "=", "value": "5"}, per_page=5)] == [
        "5"
    ]
    assert hook.request("GET", "/me")["type"] == "admin"
    assert [(r.method, r.path, r.body) for r in intercom_emulator.requests] == [
        ("PUT", "/conversations/7", {"read": True}),
        ("PUT", "/conversations/4", {"title": "Refund"}),
        ("GET", "/conversations/9", None),
        ("GET", "/me", None),
        (
            "POST",
            "/conversations/search",
            {"query": {"field": "id", "operator": "=", "value": "5"}, "pagination": {"per_page": 5}},
        ),
        ("GET", "/me", None),
    ]
    assert intercom_emulator.requests[0].headers["Authorization"] == f"Bearer {intercom_emulator.token}"


def test_settings_are_read_once_and_only_when_first_needed(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_ENV", intercom_emulator.airflow_conn_json(timeout="5"))
    calls: list[str] = []
    original = IntercomHook.get_connection

    def counting(conn_id: str) -> object:
        calls.append(conn_id)
        return original(conn_id)

    monkeypatch.setattr(IntercomHook, "get_connection", staticmethod(counting))
    hook = IntercomHook("intercom_env")
    assert calls == []  # nothing is read when the hook is built
    hook.get_me()
    hook.get_conversation("1")
    assert calls == ["intercom_env"]
    assert hook.settings.timeout == 5.0


def test_the_hook_registers_the_token_with_the_secrets_masker(intercom_emulator: IntercomEmulator) -> None:
    token = f"fake-token-{uuid.uuid4().hex}"  # new to the masker, whatever ran before
    hook = make_hook(intercom_emulator, token=token)  # settings given: Airflow reads no connection
    assert token in str(redact(f"token {token}"))
    hook.settings  # noqa: B018 - reading the settings is what registers the token
    assert token not in str(redact(f"token {token}"))


def test_missing_connection_names_it_and_says_how_to_create_it(intercom_emulator: IntercomEmulator) -> None:
    hook = IntercomHook("intercom_nowhere")
    with pytest.raises(IntercomConfigError, match=r"'intercom_nowhere' is not defined.*AIRFLOW_CONN_INTERCOM_NOWHERE"):
        hook.get_me()
    assert intercom_emulator.requests == []


def test_wrong_token_is_401_without_retry_and_never_shows_the_token(intercom_emulator: IntercomEmulator) -> None:
    hook = make_hook(intercom_emulator, token="wrong-token-abc123")
    with pytest.raises(IntercomAuthError) as info:
        hook.get_me()
    assert len(intercom_emulator.requests) == 1
    assert f"connection '{CONN_ID}'" in str(info.value)
    assert "'Access token' field" in str(info.value)
    assert "wrong-token-abc123" not in str(info.value)


def test_repr_hides_the_token(hook: IntercomHook) -> None:
    hook.get_me()
    assert hook.settings.token not in repr(hook)
    assert hook.settings.token not in repr(hook.settings)
    assert hook.settings.token not in repr(hook.client)


def test_bad_id_fails_before_any_request(intercom_emulator: IntercomEmulator, hook: IntercomHook) -> None:
    with pytest.raises(IntercomValidationError):
        hook.mark_conversation_read("../me")
    assert intercom_emulator.requests == []


def test_retries_are_logged_through_the_task_log(
    intercom_emulator: IntercomEmulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=2)
    make_hook(intercom_emulator).get_me()
    # Airflow 3 logs through structlog to stdout, Airflow 2 through logging.
    logged = caplog.text + capsys.readouterr().out
    warnings = [line for line in logged.splitlines() if "retrying in" in line]
    assert any("attempt 1 of at most 4" in w for w in warnings)
    assert any("attempt 2 of at most 4" in w for w in warnings)
    assert not any("attempt 3" in w for w in warnings)
    assert not any("gave up" in w for w in warnings)
    assert len(intercom_emulator.requests) == 3


def test_giving_up_says_how_many_attempts(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    with pytest.raises(IntercomServerError, match=r"gave up after 4 attempts in \d"):
        make_hook(intercom_emulator).get_me()
    assert len(intercom_emulator.requests) == 4


def test_the_connections_retry_extras_bound_the_attempts(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_ENV", intercom_emulator.airflow_conn_json(max_retries=0))
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    with pytest.raises(IntercomServerError):
        IntercomHook("intercom_env").get_me()
    assert len(intercom_emulator.requests) == 1


def test_a_stop_during_a_retry_wait_ends_it_and_keeps_the_cause(intercom_emulator: IntercomEmulator) -> None:
    stop = threading.Event()
    policy = RetryPolicy(max_retries=3, backoff_base=30.0, backoff_cap=30.0)  # a wait nobody sits through
    hook = IntercomHook(CONN_ID, settings=make_hook(intercom_emulator).settings, retry_policy=policy, stop_event=stop)
    intercom_emulator.inject("status", path="/conversations/3", status=503, times=None)

    def stop_once_sent() -> None:
        wait_until(lambda: bool(intercom_emulator.requests), "sent")
        stop.set()

    threading.Thread(target=stop_once_sent, daemon=True).start()
    with pytest.raises(IntercomCancelledError) as info:
        hook.mark_conversation_read("3")
    assert info.value.status == 503
    assert info.value.request_id
    assert "while waiting to retry after: Intercom API 503" in str(info.value)
    assert len(intercom_emulator.requests) == 1


def test_close_is_safe_before_and_after_use(hook: IntercomHook, intercom_emulator: IntercomEmulator) -> None:
    hook.close()  # nothing open yet: a no-op
    hook.get_me()
    assert intercom_emulator.open_connections == 1
    hook.close()
    assert hook.get_me()["type"] == "admin"  # a later call opens a new session


def test_turning_tls_verification_off_is_explicit_and_warned_about(
    intercom_emulator: IntercomEmulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    assert make_hook(intercom_emulator).client.verify_ssl is True
    hook = make_hook(intercom_emulator, verify_ssl=False)
    assert hook.client.verify_ssl is False
    logged = caplog.text + capsys.readouterr().out
    assert f"TLS certificate verification is OFF for Intercom connection '{CONN_ID}'" in logged
    assert "Turn it back on outside of tests" in logged


# -- The workspace id code, for links ------------------------------------------------------------


def test_the_app_id_code_comes_from_the_connection_without_a_request(intercom_emulator: IntercomEmulator) -> None:
    assert make_hook(intercom_emulator, app_id_code="abc123").get_app_id_code() == "abc123"
    assert intercom_emulator.requests == []


def test_the_app_id_code_is_looked_up_once_quickly(intercom_emulator: IntercomEmulator) -> None:
    assert make_hook(intercom_emulator).get_app_id_code() == intercom_emulator.app_id_code
    assert [r.path for r in intercom_emulator.requests] == ["/me"]
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    # A missing link must not fail a task whose work is done: one attempt, then None.
    assert make_hook(intercom_emulator, policy=None).get_app_id_code() is None
    assert len(intercom_emulator.requests) == 2


# -- The Test button -----------------------------------------------------------------------------


def test_test_connection_reports_workspace_region_and_admin(
    hook: IntercomHook, intercom_emulator: IntercomEmulator
) -> None:
    ok, message = hook.test_connection()
    assert ok, message
    assert message == f"{intercom_emulator.app_name}, region US, as {intercom_emulator.admin_name}"


def test_test_connection_failures_say_why(intercom_emulator: IntercomEmulator) -> None:
    ok, message = make_hook(intercom_emulator, token="nope").test_connection()
    assert not ok
    assert "401" in message
    assert "'Access token' field" in message

    intercom_emulator.plan_restricted = True
    ok, message = make_hook(intercom_emulator).test_connection()
    assert not ok
    assert "api_plan_restricted" in message
    assert "plan does not include this API" in message
    intercom_emulator.plan_restricted = False

    ok, message = make_hook(intercom_emulator, region="eu").test_connection()
    assert not ok
    assert f"Reached workspace {intercom_emulator.app_name!r}" in message
    assert "hosted in region US while this connection is configured for EU: set Region to 'us'." in message


def test_the_test_button_does_not_name_the_temporary_connection_id(
    intercom_emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Airflow tests the form under a temporary id: a message naming it would confuse.
    bad = json.loads(intercom_emulator.airflow_conn_json())
    bad["password"] = "nope"
    monkeypatch.setenv("AIRFLOW_CONN_TMP_1A2B3C", json.dumps(bad))
    ok, message = IntercomHook("tmp_1a2b3c").test_connection()
    assert not ok
    assert "tmp_1a2b3c" not in message
    assert "Check the access token of this connection (the 'Access token' field)" in message

    del bad["password"]
    monkeypatch.setenv("AIRFLOW_CONN_TMP_1A2B3C", json.dumps(bad))
    ok, message = IntercomHook("tmp_1a2b3c").test_connection()
    assert not ok
    assert message.startswith("This Intercom connection has no access token. Put the token in the connection's")
    assert "'Access token' field" in message
    assert "tmp_1a2b3c" not in message


def test_test_connection_unreachable_host() -> None:
    settings = IntercomConnectionSettings(conn_id="c", token="t", base_url="http://127.0.0.1:9", timeout=2)
    ok, message = IntercomHook("c", settings=settings).test_connection()
    assert not ok
    assert "could not connect to http://127.0.0.1:9" in message
    assert "Check the connection's Host/region" in message


def test_the_test_button_makes_one_quick_attempt(intercom_emulator: IntercomEmulator) -> None:
    intercom_emulator.inject("status", path="/me", status=503, times=None)
    hook = make_hook(intercom_emulator, policy=None)  # the connection's default policy: 5 retries
    ok, message = hook.test_connection()
    assert not ok
    assert "503" in message
    assert len(intercom_emulator.requests) == 1


# -- The connection form for Airflow < 3.2 --------------------------------------------------------


def test_the_hooks_form_layout_is_the_connection_modules() -> None:
    behaviour = IntercomHook.get_ui_field_behaviour()
    assert behaviour == ui_field_behaviour()
    assert behaviour["relabeling"]["password"] == "Access token"
    assert json.loads(json.dumps(behaviour)) == behaviour


def test_the_hooks_form_widgets_are_the_connection_modules() -> None:
    pytest.importorskip("flask_appbuilder")
    widgets = IntercomHook.get_connection_form_widgets()
    assert list(widgets) == [
        "region",
        "api_version",
        "timeout",
        "max_retries",
        "max_retry_time",
        "verify_ssl",
        "app_id_code",
        "admin_id",
    ]
