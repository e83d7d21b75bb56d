"""An independent client: Intercom's official Python SDK (python-intercom, the ``bench`` extra).

The SDK builds its models leniently (Fern's ``construct_type``), as it does against the real API,
so these tests assert what its models hold. Two known differences between SDK 5.0.1's models and
the 2.16 description, which the emulator follows: ``team_assignee_id`` (SDK: string; description:
integer) and ``teammates`` (SDK: ``admins``; description: ``teammates``). And SDK 5.0.1's search
pager repeats the first page for ever (it never sends ``starting_after``), so pages are walked
by hand here.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.testing.emulator._support import search_order

intercom = pytest.importorskip(
    "intercom", reason="python-intercom is not installed (pip install -e '.[bench]'): no independent-client tests"
)
from intercom.core.api_error import ApiError  # noqa: E402 - only once the SDK is known to be there
from intercom.errors import ForbiddenError, NotFoundError, UnauthorizedError  # noqa: E402

UNREAD = {"field": "read", "operator": "=", "value": "false"}


@pytest.fixture
def intercom_emulator_options() -> dict[str, Any]:
    # An app whose default version is older: the SDK sends no Intercom-Version header.
    return {"conversations": 30, "seed": 5, "default_version": "2.14"}


@pytest.fixture
def sdk(emu: IntercomEmulator) -> Any:
    return intercom.Intercom(token=emu.token, base_url=emu.url)


def test_get_parses_into_the_sdks_conversation(emu: IntercomEmulator, sdk: Any) -> None:
    stored = emu.get("7")
    conversation = sdk.conversations.find(conversation_id="7")
    assert isinstance(conversation, intercom.Conversation)
    assert (conversation.id, conversation.read, conversation.state) == ("7", stored["read"], stored["state"])
    assert conversation.source.body == stored["source"]["body"]
    assert conversation.created_at == stored["created_at"]
    parts = conversation.conversation_parts.conversation_parts
    assert [part.id for part in parts] == [part["id"] for part in stored["conversation_parts"]["conversation_parts"]]
    # The SDK sends no Intercom-Version: the app's default version applies.
    assert "Intercom-Version" not in emu.requests[-1].headers
    assert emu.requests[-1].api_version == "2.14"
    plain = sdk.conversations.find(conversation_id="7", display_as="plaintext")
    assert "<" not in plain.source.body
    assert plain.source.body in stored["source"]["body"]


def test_me_parses(sdk: Any) -> None:
    me = sdk.admins.identify()
    assert isinstance(me, intercom.AdminWithApp)
    assert me.type == "admin"
    assert me.app.region == "US"


def test_update_and_mark_read(emu: IntercomEmulator, sdk: Any) -> None:
    unread = next(i for i in emu.conversation_ids() if not emu.get(i)["read"])
    updated = sdk.conversations.update(conversation_id=unread, read=True, title="Seen", company_id="acme")
    assert isinstance(updated, intercom.Conversation)
    assert (updated.id, updated.read, updated.title) == (unread, True, "Seen")
    assert emu.get(unread)["read"] is True
    assert emu.get(unread)["company"]["id"] == "acme"
    sdk.conversations.update(conversation_id=unread, company_id=None)
    assert emu.requests[-1].body == {"company_id": None}
    assert "company" not in emu.get(unread)


def test_search_pages(emu: IntercomEmulator, sdk: Any) -> None:
    ids: list[str] = []
    cursor = None
    while True:
        page = sdk.conversations.search(
            query=intercom.SingleFilterSearchRequest(**UNREAD),
            pagination=intercom.StartingAfterPaging(per_page=4, starting_after=cursor),
        )
        assert isinstance(page.response, intercom.ConversationList)
        assert all(isinstance(item, intercom.Conversation) for item in page.items)
        ids.extend(item.id for item in page.items)
        following = page.response.pages.next
        if following is None:
            break
        cursor = following.starting_after
    assert ids == search_order(emu, [i for i in emu.conversation_ids() if not emu.get(i)["read"]])
    assert page.response.total_count == len(ids)


def test_delete(emu: IntercomEmulator, sdk: Any) -> None:
    deleted = sdk.conversations.delete_conversation(conversation_id=8)
    assert isinstance(deleted, intercom.ConversationDeleted)
    assert (deleted.id, deleted.object, deleted.deleted) == ("8", "conversation", True)
    with pytest.raises(NotFoundError):
        sdk.conversations.find(conversation_id="8")


def test_errors_are_typed_exceptions(emu: IntercomEmulator, sdk: Any) -> None:
    with pytest.raises(NotFoundError) as not_found:
        sdk.conversations.find(conversation_id="999")
    assert not_found.value.status_code == 404
    with pytest.raises(UnauthorizedError) as unauthorized:
        intercom.Intercom(token="wrong", base_url=emu.url).conversations.find(conversation_id="1")
    assert unauthorized.value.body.errors[0].code == "unauthorized"
    with pytest.raises(ApiError) as invalid:
        sdk.conversations.search(query=intercom.SingleFilterSearchRequest(field="colour", operator="=", value="x"))
    assert invalid.value.status_code == 400
    assert invalid.value.body["errors"][0]["code"] == "parameter_invalid"
    emu.plan_restricted = True
    with pytest.raises(ForbiddenError) as forbidden:
        sdk.conversations.update(conversation_id="1", read=True)
    assert forbidden.value.body.errors[0].code == "api_plan_restricted"
    emu.plan_restricted = False
    emu.set_rate_limit(0)
    with pytest.raises(ApiError) as limited:
        sdk.conversations.update(conversation_id="1", read=True)
    assert limited.value.status_code == 429
    assert limited.value.body["errors"][0]["message"] == "Exceeded rate limit of 0 in 10_seconds"
