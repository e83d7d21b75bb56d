"""What each endpoint answers: authentication, /me, GET, PUT, DELETE, versions, display_as."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator import DEFAULT_TOKEN, IntercomEmulator
from airflow_provider_intercom.testing.emulator.markup import to_plaintext
from tests.testing.emulator._support import session_for

# ---------------------------------------------------------------- auth, routing, errors


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {DEFAULT_TOKEN}", DEFAULT_TOKEN])
def test_requests_without_the_token_are_unauthorized(emu: IntercomEmulator, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.get(f"{emu.url}/conversations/1", headers=headers, timeout=10)
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "error.list"
    assert body["errors"] == [{"code": "unauthorized", "message": "Access Token Invalid"}]
    # Intercom's 401 answers carry no rate-limit headers.
    assert not [name for name in response.headers if name.lower().startswith("x-ratelimit")]
    assert response.headers["X-Request-Id"] == body["request_id"]


def test_me(emu: IntercomEmulator, client: requests.Session) -> None:
    custom = IntercomEmulator(region="EU", app_id_code="abc123", app_name="Acme", admin_name="Jo", admin_id="42")
    with custom:
        body = session_for(custom).get(f"{custom.url}/me").json()
    assert body["type"] == "admin"
    assert (body["id"], body["name"]) == ("42", "Jo")
    assert body["app"]["type"] == "app"
    assert (body["app"]["region"], body["app"]["id_code"], body["app"]["name"]) == ("EU", "abc123", "Acme")
    assert client.get(f"{emu.url}/me").json()["app"]["region"] == "US"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/conversations/999", 404, "not_found"),
        ("GET", "/conversations/abc", 404, "not_found"),
        ("GET", "/conversations/-1", 404, "not_found"),
        ("GET", "/contacts", 404, "not_found"),
        ("GET", "/conversations/1/parts", 404, "not_found"),
        ("PATCH", "/conversations/1", 404, "not_found"),
        ("POST", "/me", 404, "not_found"),
        ("GET", "/conversations/search", 404, "not_found"),
    ],
)
def test_unknown_paths_and_methods(
    emu: IntercomEmulator, client: requests.Session, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, f"{emu.url}{path}")
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] == "error.list"
    assert body["errors"][0]["code"] == code
    assert re.fullmatch(r"[0-9a-f-]{36}", body["request_id"])


# ---------------------------------------------------------------- Intercom-Version


@pytest.mark.parametrize("version", facts.API_VERSIONS)
def test_every_documented_version_is_accepted(emu: IntercomEmulator, client: requests.Session, version: str) -> None:
    response = client.get(f"{emu.url}/conversations/1", headers={"Intercom-Version": version})
    assert response.status_code == 200
    assert emu.requests[-1].api_version == version


@pytest.mark.parametrize("version", ["3.0", "2.17", "unstable", "2.16 ", "", "latest"])
def test_other_versions_are_refused(emu: IntercomEmulator, client: requests.Session, version: str) -> None:
    response = client.get(f"{emu.url}/conversations/1", headers={"Intercom-Version": version})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error.list"
    assert body["request_id"] == response.headers["X-Request-Id"]
    [error] = body["errors"]
    assert error["code"] == "intercom_version_invalid"
    assert error["message"]
    assert "X-RateLimit-Remaining" in response.headers


def test_a_missing_version_means_the_apps_default() -> None:
    with IntercomEmulator(conversations=1, default_version="2.9") as emu, session_for(emu) as client:
        assert client.get(f"{emu.url}/me").status_code == 200
        assert emu.requests[-1].api_version == "2.9"


# ---------------------------------------------------------------- GET and PUT


def test_get_returns_the_stored_conversation(emu: IntercomEmulator, client: requests.Session) -> None:
    response = client.get(f"{emu.url}/conversations/12")
    assert response.status_code == 200
    assert response.json() == emu.get("12")
    assert response.json()["id"] == "12"


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_display_as_plaintext_strips_html(emu: IntercomEmulator, client: requests.Session, method: str) -> None:
    stored = emu.get("12")
    assert "<p>" in stored["source"]["body"]
    payload = {"read": True} if method == "PUT" else None
    body = client.request(method, f"{emu.url}/conversations/12?display_as=plaintext", json=payload).json()
    assert body["source"]["body"] == stored["source"]["body"].removeprefix("<p>").removesuffix("</p>")
    assert "<" not in body["source"]["subject"]
    parts = body["conversation_parts"]["conversation_parts"]
    assert parts
    for part, original in zip(parts, stored["conversation_parts"]["conversation_parts"], strict=True):
        assert "<" not in part["body"]
        assert part["body"]
        assert part["body"] in original["body"]
    assert "<p>" in emu.get("12")["source"]["body"]  # the stored message is unchanged
    html_again = client.request(method, f"{emu.url}/conversations/12?display_as=html", json=payload).json()
    assert html_again["source"]["body"] == stored["source"]["body"]


def test_put_changes_only_the_given_fields(emu: IntercomEmulator, client: requests.Session) -> None:
    before = emu.get("5")
    started = int(time.time())
    response = client.put(f"{emu.url}/conversations/5", json={"read": not before["read"]})
    assert response.status_code == 200
    after = response.json()
    assert after == emu.get("5")
    assert after["read"] is (not before["read"])
    assert after["updated_at"] >= max(started, before["updated_at"])
    unchanged = {k: v for k, v in after.items() if k not in ("read", "updated_at")}
    assert unchanged == {k: v for k, v in before.items() if k not in ("read", "updated_at")}


def test_put_title_custom_attributes_and_company(emu: IntercomEmulator, client: requests.Session) -> None:
    before = emu.get("6")
    response = client.put(
        f"{emu.url}/conversations/6",
        json={"title": "Renamed", "custom_attributes": {"tier": "gold"}, "company_id": "6a1"},
    )
    assert response.status_code == 200
    after = emu.get("6")
    assert after["title"] == "Renamed"
    assert after["custom_attributes"] == {**before["custom_attributes"], "tier": "gold"}  # merged
    assert after["company"]["id"] == "6a1"
    assert after["read"] == before["read"]
    second = client.put(f"{emu.url}/conversations/6", json={"read": True}).json()
    assert second["updated_at"] >= after["updated_at"]


def test_put_company_id_null_removes_the_company(emu: IntercomEmulator, client: requests.Session) -> None:
    assert client.put(f"{emu.url}/conversations/9", json={"company_id": "c9"}).json()["company"]["id"] == "c9"
    response = client.put(f"{emu.url}/conversations/9", json={"company_id": None})
    assert response.status_code == 200
    assert response.json().get("company") is None
    assert emu.get("9").get("company") is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"read": "true"}, "read"),
        ({"read": 1}, "read"),
        ({"title": 5}, "title"),
        ({"custom_attributes": ["a"]}, "custom_attributes"),
        ({"company_id": 12}, "company_id"),
        ({"state": "closed"}, "state"),
        ({"read": True, "admin_assignee_id": 1}, "admin_assignee_id"),
    ],
)
def test_put_rejects_bad_fields(
    emu: IntercomEmulator, client: requests.Session, payload: dict[str, Any], field: str
) -> None:
    before = emu.get("8")
    response = client.put(f"{emu.url}/conversations/8", json=payload)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == field
    assert error["code"] == "parameter_invalid"
    assert emu.get("8") == before


@pytest.mark.parametrize("data", ["read=true", "{not json", "[1, 2]", ""])
def test_put_rejects_non_object_bodies(emu: IntercomEmulator, client: requests.Session, data: str) -> None:
    response = client.put(f"{emu.url}/conversations/8", data=data, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parameter_invalid"


def test_put_unknown_conversation(emu: IntercomEmulator, client: requests.Session) -> None:
    response = client.put(f"{emu.url}/conversations/31", json={"read": True})
    assert response.status_code == 404
    assert response.json()["errors"] == [{"code": "not_found", "message": "Resource Not Found"}]


# ---------------------------------------------------------------- DELETE


def test_delete_as_documented(emu: IntercomEmulator, client: requests.Session) -> None:
    response = client.delete(f"{emu.url}/conversations/4")
    assert response.status_code == 200
    assert response.json() == {"id": "4", "object": "conversation", "deleted": True}
    assert "4" not in emu.conversation_ids()
    with pytest.raises(KeyError):
        emu.get("4")
    for method in ("GET", "PUT", "DELETE"):
        again = client.request(method, f"{emu.url}/conversations/4", json={"read": True})
        assert again.status_code == 404, method
    search = client.post(
        f"{emu.url}/conversations/search", json={"query": {"field": "id", "operator": "IN", "value": ["3", "4", "5"]}}
    )
    assert sorted(item["id"] for item in search.json()["conversations"]) == ["3", "5"]


def test_delete_retain_metrics(emu: IntercomEmulator, client: requests.Session) -> None:
    assert client.delete(f"{emu.url}/conversations/5?retain_metrics=false").status_code == 200
    assert client.delete(f"{emu.url}/conversations/6?retain_metrics=true").status_code == 200
    response = client.delete(f"{emu.url}/conversations/7?retain_metrics=maybe")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "retain_metrics"
    assert "7" in emu.conversation_ids()


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Invoice for last month. Can you help?</p>", "Invoice for last month. Can you help?"),
        ("<p>a &amp; b</p><p>c<br>d</p>", "a & b\nc\nd"),
        ("Re: <b>Refund</b> &lt;urgent&gt;", "Re: Refund <urgent>"),
        ("plain already", "plain already"),
    ],
)
def test_plaintext_rendering(html: str, text: str) -> None:
    assert to_plaintext(html) == text
