"""An independent client: Intercom's official Python SDK (python-intercom, the ``bench`` extra).

The SDK builds its models leniently (Fern's ``construct_type``), as it does against the real API,
so these tests assert what its models hold. Two known differences between SDK 5.0.1's models and
the 2.16 description, which the emulator follows: ``team_assignee_id`` (SDK: string; description:
integer) and ``teammates`` (SDK: ``admins``; description: ``teammates``). And SDK 5.0.1's search
pager repeats the first page for ever (it never sends ``starting_after``), so pages are walked
by hand here.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.testing.emulator._support import search_order

intercom = pytest.importorskip(
    "intercom", reason="python-intercom is not installed (pip install -e '.[bench]'): no independent-client tests"
)
from intercom.conversations import (  # noqa: E402
    ConversationsManageRequestBody_Assignment,
    ConversationsManageRequestBody_Close,
    ConversationsManageRequestBody_Open,
    ConversationsManageRequestBody_Snoozed,
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


def test_lists_admins_teams_and_tags(emu: IntercomEmulator, sdk: Any) -> None:
    assert [admin.id for admin in sdk.admins.list().admins] == [admin["id"] for admin in emu.admins()]
    assert [team.name for team in sdk.teams.list().teams] == [team["name"] for team in emu.teams()]
    assert [tag.name for tag in sdk.tags.list().data] == [tag["name"] for tag in emu.tags()]


def test_close_snooze_open_and_assign(emu: IntercomEmulator, sdk: Any) -> None:
    admin = emu.admin_id
    closed = sdk.conversations.manage("9", request=ConversationsManageRequestBody_Close(admin_id=admin, body="Bye"))
    assert (closed.state, closed.open) == ("closed", False)
    until = int(time.time()) + 3600
    snoozed = sdk.conversations.manage(
        "9", request=ConversationsManageRequestBody_Snoozed(admin_id=admin, snoozed_until=until)
    )
    assert (snoozed.state, snoozed.snoozed_until) == ("snoozed", until)
    opened = sdk.conversations.manage("9", request=ConversationsManageRequestBody_Open(admin_id=admin))
    assert (opened.state, opened.snoozed_until) == ("open", None)
    assigned = sdk.conversations.manage(
        "9", request=ConversationsManageRequestBody_Assignment(type="team", admin_id=admin, assignee_id="5017692")
    )
    assert int(assigned.team_assignee_id) == 5017692
    assert [part["part_type"] for part in emu.parts("9")[-4:]] == ["close", "snoozed", "open", "assignment"]
    with pytest.raises(ApiError) as past:
        sdk.conversations.manage("9", request=ConversationsManageRequestBody_Snoozed(admin_id=admin, snoozed_until=1))
    assert past.value.status_code == 400


def test_tag_and_untag(emu: IntercomEmulator, sdk: Any) -> None:
    emu.set_conversation("10", tags=[])
    tag = sdk.tags.tag_conversation("10", tag_id="85", admin_id=emu.admin_id)
    assert (tag.id, tag.name) == ("85", "churn-risk")
    assert [t["id"] for t in emu.get("10")["tags"]["tags"]] == ["85"]
    removed = sdk.tags.untag_conversation("10", "85", admin_id=emu.admin_id)
    assert removed.id == "85"
    assert emu.get("10")["tags"]["tags"] == []
    with pytest.raises(NotFoundError) as not_tagged:
        sdk.tags.untag_conversation("10", "85", admin_id=emu.admin_id)
    assert not_tagged.value.body["errors"][0]["code"] == "tag_not_found"


def test_a_note_added_with_reply_is_the_last_part(emu: IntercomEmulator, sdk: Any) -> None:
    request = intercom.AdminReplyConversationRequest(
        message_type="note", admin_id=emu.admin_id, body="Checked the invoice & refunded"
    )
    sdk.conversations.reply("11", request=request)
    last = sdk.conversations.find(conversation_id="11").conversation_parts.conversation_parts[-1]
    assert last.part_type == "note"
    assert "Checked the invoice &amp; refunded" in last.body
    assert emu.requests[-2].body == {
        "message_type": "note",
        "type": "admin",
        "admin_id": emu.admin_id,
        "body": "Checked the invoice & refunded",
    }
