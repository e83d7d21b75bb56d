"""IntercomHook over real HTTP against the emulator: what goes over the wire, and what comes back."""

from __future__ import annotations

import json
import threading

import pytest

from airflow_provider_intercom import __version__
from airflow_provider_intercom.connection import IntercomConnectionSettings
from airflow_provider_intercom.exceptions import (
    IntercomAuthError,
    IntercomCancelledError,
    IntercomConfigError,
    IntercomError,
    IntercomNotFoundError,
    IntercomValidationError,
)
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.retry import RetryPolicy
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import FAST_RETRIES, make_hook


def test_mark_conversation_read_sends_one_put_with_read_true(emulator: IntercomEmulator, hook: IntercomHook) -> None:
    unread = next(cid for cid in emulator.conversation_ids() if not emulator.get(cid)["read"])

    conversation = hook.mark_conversation_read(unread)

    [request] = emulator.requests
    assert (request.method, request.path, request.body) == ("PUT", f"/conversations/{unread}", {"read": True})
    assert request.headers["Authorization"] == f"Bearer {emulator.token}"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Intercom-Version"] == "2.16"
    assert request.headers["User-Agent"].startswith(f"airflow-provider-intercom/{__version__}")
    assert conversation == emulator.get(unread)
    assert conversation["read"] is True


def test_int_id_is_accepted(emulator: IntercomEmulator, hook: IntercomHook) -> None:
    assert hook.mark_conversation_read(7)["id"] == "7"
    assert emulator.requests[0].path == "/conversations/7"


def test_update_conversation_sends_only_the_given_fields(emulator: IntercomEmulator, hook: IntercomHook) -> None:
    hook.update_conversation("4", title="Refund", custom_attributes={"issue_type": "Billing"})
    hook.update_conversation("4", read=False)

    assert [r.body for r in emulator.requests] == [
        {"title": "Refund", "custom_attributes": {"issue_type": "Billing"}},
        {"read": False},
    ]
    stored = emulator.get("4")
    assert (stored["title"], stored["read"], stored["custom_attributes"]["issue_type"]) == ("Refund", False, "Billing")


def test_get_conversation_and_me(emulator: IntercomEmulator, hook: IntercomHook) -> None:
    assert hook.get_conversation("9", display_as="plaintext") == emulator.get("9")
    me = hook.get_me()
    assert me["app"]["id_code"] == emulator.app_id_code
    assert [(r.method, r.path, r.query) for r in emulator.requests] == [
        ("GET", "/conversations/9", {"display_as": ["plaintext"]}),
        ("GET", "/me", {}),
    ]


def test_session_is_created_once_and_reused(emulator: IntercomEmulator, hook: IntercomHook) -> None:
    first = hook.session
    hook.get_me()
    hook.get_me()
    assert hook.session is first
    assert hook.get_conn() is first


def test_search_is_a_lazy_generator_over_every_page() -> None:
    with IntercomEmulator(conversations=320) as emu:
        hook = make_hook(emu)
        results = hook.search_conversations({"field": "created_at", "operator": ">", "value": 0}, per_page=150)
        assert emu.requests == []  # nothing is sent until the first item is asked for
        ids = [c["id"] for c in results]

        assert ids == [str(i) for i in range(1, 321)]
        posts = [r for r in emu.requests if r.method == "POST"]
        assert len(posts) == 3
        assert posts[0].body == {
            "query": {"field": "created_at", "operator": ">", "value": 0},
            "pagination": {"per_page": 150},
        }
        assert "starting_after" in posts[1].body["pagination"]


def test_search_matches_the_emulators_own_state(emulator: IntercomEmulator, hook: IntercomHook) -> None:
    query = {
        "operator": "AND",
        "value": [
            {"field": "state", "operator": "=", "value": "closed"},
            {"field": "read", "operator": "=", "value": False},
        ],
    }
    found = {c["id"] for c in hook.search_conversations(query, per_page=7)}
    expected = {
        cid
        for cid in emulator.conversation_ids()
        if emulator.get(cid)["state"] == "closed" and emulator.get(cid)["read"] is False
    }
    assert found == expected
    assert expected  # the seeded data has some, or this test proves nothing


@pytest.mark.parametrize("per_page", [0, 151, True, 1.5])
def test_search_rejects_bad_page_size_before_sending(
    emulator: IntercomEmulator, hook: IntercomHook, per_page: object
) -> None:
    with pytest.raises(ValueError, match="per_page"):
        hook.search_conversations({"field": "id", "operator": "=", "value": "1"}, per_page=per_page)  # type: ignore[arg-type]
    assert emulator.requests == []


def test_not_found_message_reads_well(emulator: IntercomEmulator, hook: IntercomHook) -> None:
    with pytest.raises(IntercomNotFoundError) as info:
        hook.mark_conversation_read("999999")
    err = info.value
    assert (err.status, err.code, err.method, err.path) == (404, "not_found", "PUT", "/conversations/999999")
    assert err.request_id
    assert str(err).startswith(
        f"Intercom API 404 not_found on PUT /conversations/999999 (request_id={err.request_id}): "
    )
    assert "Conversation 999999 does not exist" in str(err)
    assert len(emulator.requests) == 1


def test_settings_are_resolved_once_from_an_env_connection(
    emulator: IntercomEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_INTERCOM_ENV", emulator.airflow_conn_json(timeout="5", api_version="2.15"))
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
    assert emulator.requests[0].headers["Intercom-Version"] == "2.15"


def test_missing_connection_names_it_and_says_how_to_create_it() -> None:
    hook = IntercomHook("intercom_nowhere")
    with pytest.raises(IntercomConfigError, match=r"'intercom_nowhere' is not defined.*AIRFLOW_CONN_INTERCOM_NOWHERE"):
        hook.get_me()


def test_wrong_token_is_401_without_retry_and_never_shows_the_token(emulator: IntercomEmulator) -> None:
    hook = make_hook(emulator, token="wrong-token-abc123")
    with pytest.raises(IntercomAuthError) as info:
        hook.get_me()
    assert len(emulator.requests) == 1
    assert "intercom_test" in str(info.value)
    assert "access token" in str(info.value)
    assert "wrong-token-abc123" not in str(info.value)


def test_repr_hides_the_token(hook: IntercomHook) -> None:
    hook.get_me()
    assert hook.settings.token not in repr(hook)
    assert hook.settings.token not in repr(hook.settings)


def test_test_connection_reports_workspace_region_and_admin(hook: IntercomHook, emulator: IntercomEmulator) -> None:
    ok, message = hook.test_connection()
    assert ok, message
    assert message == f"{emulator.app_name}, region US, as {emulator.admin_name}"


def test_test_connection_failures_say_why(emulator: IntercomEmulator) -> None:
    ok, message = make_hook(emulator, token="nope").test_connection()
    assert not ok
    assert "401" in message
    assert "access token" in message

    emulator.plan_restricted = True
    ok, message = make_hook(emulator).test_connection()
    assert not ok
    assert "api_plan_restricted" in message
    assert "plan" in message
    emulator.plan_restricted = False

    ok, message = make_hook(emulator, region="eu").test_connection()
    assert not ok
    assert "region US" in message
    assert "set extra region to 'us'" in message


def test_test_connection_unreachable_host() -> None:
    settings = IntercomConnectionSettings(conn_id="c", token="t", base_url="http://127.0.0.1:9", timeout=2)
    ok, message = IntercomHook("c", settings=settings, retry_policy=RetryPolicy(max_retries=0)).test_connection()
    assert not ok
    assert "could not connect to http://127.0.0.1:9" in message


def test_bad_id_fails_before_any_request(emulator: IntercomEmulator, hook: IntercomHook) -> None:
    with pytest.raises(IntercomValidationError):
        hook.mark_conversation_read("../me")
    assert emulator.requests == []


def test_worker_copy_has_its_own_session_and_the_same_settings(hook: IntercomHook) -> None:
    copy = hook.worker_copy()
    assert copy.settings is hook.settings
    assert copy.session is not hook.session
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(hook.worker_copy().get_me()["type"]))
    thread.start()
    thread.join()
    assert seen == ["admin"]


def test_connection_form_for_airflow_2_is_built_from_the_same_table() -> None:
    behaviour = IntercomHook.get_ui_field_behaviour()
    assert behaviour["relabeling"]["password"] == "Access token"
    assert set(behaviour["hidden_fields"]) == {"login", "schema", "port"}
    assert json.loads(json.dumps(behaviour)) == behaviour


def test_close_releases_the_session_and_a_later_call_reopens_one(hook: IntercomHook) -> None:
    hook.close()  # nothing open yet: a no-op
    first = hook.session
    hook.close()
    assert hook.session is not first
    assert hook.get_me()["type"] == "admin"


def test_a_request_that_cannot_be_built_is_not_retried_and_shows_no_secret(emulator: IntercomEmulator) -> None:
    with pytest.raises(IntercomValidationError, match="Could not build the request PUT /conversations/1"):
        make_hook(emulator).update_conversation("1", custom_attributes={"score": float("nan")})
    bad_token = "tok\r\nX-Evil: 1"
    with pytest.raises(IntercomValidationError) as info:
        make_hook(emulator, token=bad_token).get_me()
    assert "tok" not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert emulator.requests == []


def test_retry_warnings_do_not_claim_to_have_given_up(
    emulator: IntercomEmulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.inject("status", path="/me", status=503, times=2)
    make_hook(emulator).get_me()
    # Airflow 3 logs through structlog to stdout, Airflow 2 through logging.
    logged = caplog.text + capsys.readouterr().out
    warnings = [line for line in logged.splitlines() if "retrying in" in line]
    assert any("attempt 1 of at most 4" in w for w in warnings)
    assert any("attempt 2 of at most 4" in w for w in warnings)
    assert not any("attempt 3" in w for w in warnings)
    assert not any("gave up" in w for w in warnings)


def test_giving_up_says_how_many_attempts(emulator: IntercomEmulator) -> None:
    emulator.inject("status", path="/me", status=503, times=None)
    with pytest.raises(IntercomError, match=r"gave up after 4 attempts in \d"):
        make_hook(emulator).get_me()


def test_a_stop_during_a_retry_wait_keeps_the_cause(emulator: IntercomEmulator) -> None:
    from dataclasses import replace

    stop = threading.Event()
    policy = replace(FAST_RETRIES, backoff_base=30.0, backoff_cap=30.0)
    hook = IntercomHook("intercom_test", settings=make_hook(emulator).settings, retry_policy=policy, stop_event=stop)
    emulator.inject("status", path="/conversations/3", status=503, times=None)
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    with pytest.raises(IntercomCancelledError) as info:
        hook.mark_conversation_read("3")
    timer.join()
    assert info.value.status == 503
    assert info.value.request_id
    assert "while waiting to retry after: Intercom API 503" in str(info.value)
    assert len(emulator.requests) == 1


def test_the_test_button_makes_one_quick_attempt(emulator: IntercomEmulator) -> None:
    emulator.inject("status", path="/me", status=503, times=None)
    hook = make_hook(emulator, policy=None)  # the connection's default policy: 5 retries
    ok, message = hook.test_connection()
    assert not ok
    assert "503" in message
    assert len(emulator.requests) == 1


def test_turning_tls_verification_off_is_explicit_and_warned_about(
    emulator: IntercomEmulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    assert make_hook(emulator).session.verify is True
    hook = make_hook(emulator, verify_ssl=False)
    assert hook.session.verify is False
    logged = caplog.text + capsys.readouterr().out
    assert "TLS certificate verification is OFF for Intercom connection 'intercom_test'" in logged
