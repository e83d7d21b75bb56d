"""The emulator's state API: what users' tests use to set conversations up and read them back."""

from __future__ import annotations

import time

import pytest

from airflow_provider_intercom.testing.emulator import DEFAULT_CONVERSATIONS, IntercomEmulator


def test_the_default_seed_size_is_what_an_unconfigured_emulator_holds() -> None:
    emu = IntercomEmulator()
    assert len(emu.conversation_ids()) == DEFAULT_CONVERSATIONS


def test_conversation_ids_filter_with_a_search_query(emu: IntercomEmulator) -> None:
    open_ids = emu.conversation_ids({"field": "state", "operator": "=", "value": "open"})
    assert open_ids == [cid for cid in emu.conversation_ids() if emu.get(cid)["state"] == "open"]
    assert 0 < len(open_ids) < len(emu.conversation_ids())


def test_set_conversation_sets_state_assignees_tags_and_read(emu: IntercomEmulator) -> None:
    parts_before = emu.count_parts("1")
    until = int(time.time()) + 600
    after = emu.set_conversation(
        "1",
        snoozed_until=until,
        admin_assignee_id="991267653",
        team_assignee_id=0,
        tags=["VIP", "81"],
        read=False,
        updated_at=1_700_000_000,
    )
    assert (after["state"], after["open"], after["snoozed_until"]) == ("snoozed", True, until)
    assert (after["admin_assignee_id"], after["team_assignee_id"]) == (991267653, 0)
    assert [(t["id"], t["name"]) for t in after["tags"]["tags"]] == [("86", "VIP"), ("81", "billing")]
    assert (after["read"], after["updated_at"]) == (False, 1_700_000_000)
    assert emu.count_parts("1") == parts_before
    closed = emu.set_conversation("1", state="closed")
    assert (closed["state"], closed["open"], closed["snoozed_until"]) == ("closed", False, None)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"state": "pending"}, ValueError), ({"state": "snoozed"}, ValueError), ({"tags": ["no-such-tag"]}, KeyError)],
)
def test_set_conversation_refuses_what_intercom_cannot_hold(
    emu: IntercomEmulator, kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        emu.set_conversation("2", **kwargs)  # type: ignore[arg-type]


def test_parts_and_count_parts_filter_by_type_and_author(emu: IntercomEmulator) -> None:
    emu.add_parts("3", 3, part_type="note", admin_id="991267715", body="Hello")
    notes = emu.parts("3", "note", author_id="991267715")
    assert len(notes) == emu.count_parts("3", "note", author_id="991267715") == 3
    assert notes[-1]["body"] == "<p>Hello</p>"
    assert emu.count_parts("3", "note", author_id="nobody") == 0


def test_the_workspace_has_admins_teams_and_tags_with_case_variants(emu: IntercomEmulator) -> None:
    assert emu.admin_id in [admin["id"] for admin in emu.admins()]
    assert len(emu.admins()) >= 3
    assert len(emu.teams()) >= 2
    names = [tag["name"] for tag in emu.tags()]
    assert len(names) == len(set(names))
    assert len({name.lower() for name in names}) < len(names)  # two names differ only in case
    added = emu.add_tag("Renewal")
    assert emu.tags()[-1] == added
    with pytest.raises(ValueError, match="taken"):
        emu.add_tag("Again", tag_id=added["id"])


def test_a_token_admin_outside_the_seed_joins_the_admins() -> None:
    emu = IntercomEmulator(conversations=1, admin_id="123", admin_name="Robin", admin_email="robin@example.com")
    assert emu.admins()[0]["id"] == "123"
