"""Seeded, deterministic conversations for the emulator.

The shapes follow ``components/schemas/conversation`` of Intercom's API 2.16 and the spec's own
example (``conversation_example.json``). Every timestamp lies before :data:`ANCHOR_TIME`, a fixed
instant in the past, so that the same ``(seed, id)`` always yields byte-identical data and any
update made "now" moves ``updated_at`` forwards. Each conversation is drawn from a random
generator of its own, seeded with ``(seed, id)``: one can be built without the others, so that a
store of a million conversations builds only those that are asked for.
"""

from __future__ import annotations

import random
from typing import Any

from airflow_provider_intercom.testing.emulator.workspace import CONVERSATION_TAGS, SEED_ADMINS, SEED_TEAMS

__all__ = ["ANCHOR_TIME", "generate_conversations", "seeded_conversation"]

#: 2024-12-18T16:00:00Z, close to the timestamps in Intercom's own examples.
ANCHOR_TIME = 1_734_537_600

_ADMINS = SEED_ADMINS
_TEAMS: list[int] = [team_id for team_id, _, _ in SEED_TEAMS]
_TAGS: list[tuple[str, str]] = list(CONVERSATION_TAGS)
_SOURCE_TYPES: list[str] = ["conversation", "email", "conversation", "email", "whatsapp", "sms"]
_PRIORITIES: list[str] = ["none", "none", "none", "low", "medium", "high", "urgent"]
_ISSUE_TYPES: list[str] = ["Billing", "Bug", "Question", "Onboarding", "Account"]
_SUBJECTS: list[str] = [
    "Invoice for last month",
    "Cannot log in",
    "Export to CSV fails",
    "How do I invite my team?",
    "Refund request",
    "API returns 500",
    "Change billing email",
    "Feature idea: dark mode",
]
_FIRST_NAMES: list[str] = ["Alex", "Sam", "Robin", "Kim", "Jo", "Noor", "Lee", "Ana", "Ravi", "Mia"]


def _contact(rng: random.Random, serial: int) -> dict[str, Any]:
    # Intercom contact ids are 24 hex digits (Mongo-style object ids).
    return {
        "type": "contact",
        "id": f"6762f1{rng.getrandbits(72):018x}",
        "external_id": str(serial) if rng.random() < 0.7 else None,
    }


def _part(
    rng: random.Random, part_id: int, created_at: int, contact_id: str, admin: tuple[int, str, str]
) -> dict[str, Any]:
    by_admin = rng.random() < 0.6
    if by_admin:
        author: dict[str, Any] = {"id": str(admin[0]), "type": "admin", "name": admin[1], "email": admin[2]}
        part_type, body = "comment", "<p>Thanks for reaching out, looking into it now.</p>"
    else:
        author = {"id": contact_id, "type": "user", "name": rng.choice(_FIRST_NAMES), "email": ""}
        author["email"] = f"{author['name'].lower()}{part_id}@customer.example.com"
        part_type, body = "comment", "<p>Any update on this?</p>"
    return {
        "type": "conversation_part",
        "id": str(part_id),
        "part_type": part_type,
        "body": body,
        "created_at": created_at,
        "updated_at": created_at,
        "notified_at": created_at,
        "assigned_to": None,
        "author": author,
        "attachments": [],
        "external_id": None,
        "redacted": False,
        "metadata": {},
        "email_message_metadata": None,
        "app_package_code": None,
    }


def _one(rng: random.Random, number: int) -> dict[str, Any]:
    created_at = ANCHOR_TIME - rng.randrange(3600, 365 * 86400)
    updated_at = min(ANCHOR_TIME - 60, created_at + rng.randrange(60, 30 * 86400))
    state = rng.choices(["open", "closed", "snoozed"], weights=[5, 4, 1])[0]
    admin = rng.choice(_ADMINS)
    team = rng.choice(_TEAMS)
    contact = _contact(rng, number)
    source_type = rng.choice(_SOURCE_TYPES)
    subject = rng.choice(_SUBJECTS)
    ai = rng.random() < 0.25
    tags = [
        {
            "type": "tag",
            "id": tag_id,
            "name": name,
            "applied_at": updated_at,
            "applied_by": {"type": "admin", "id": str(admin[0])},
        }
        for tag_id, name in rng.sample(_TAGS, rng.choice([0, 0, 1, 1, 2]))
    ]
    first_reply = created_at + rng.randrange(30, 4 * 3600)
    part_base = number * 10
    parts = [
        _part(rng, part_base + 1, first_reply, contact["id"], admin),
        _part(rng, part_base + 2, min(updated_at, first_reply + rng.randrange(60, 86400)), contact["id"], admin),
    ]
    statistics: dict[str, Any] | None = None
    if rng.random() < 0.8:
        statistics = {
            "type": "conversation_statistics",
            "time_to_assignment": 0,
            "time_to_admin_reply": first_reply - created_at,
            "time_to_first_close": updated_at - created_at,
            "time_to_last_close": updated_at - created_at,
            "median_time_to_reply": first_reply - created_at,
            "first_contact_reply_at": created_at,
            "first_assignment_at": created_at,
            "first_admin_reply_at": first_reply,
            "first_close_at": updated_at,
            "last_assignment_at": created_at,
            "last_assignment_admin_reply_at": first_reply,
            "last_contact_reply_at": created_at,
            "last_admin_reply_at": first_reply,
            "last_close_at": updated_at,
            "last_closed_by_id": str(admin[0]),
            "count_reopens": rng.randrange(0, 3),
            "count_assignments": 1,
            "count_conversation_parts": len(parts) + 1,
            "handling_time": rng.randrange(60, 3600),
            "adjusted_handling_time": None,
        }
    rating: dict[str, Any] | None = None
    if state == "closed" and rng.random() < 0.3:
        rating = {
            "rating": rng.randrange(1, 6),
            "remark": rng.choice(["", "Quick and helpful", "Took a while"]),
            "created_at": updated_at,
            "updated_at": updated_at,
            "contact": dict(contact, external_id=contact["external_id"]),
            "teammate": {"type": "admin", "id": str(admin[0])},
        }
    return {
        "type": "conversation",
        "id": str(number),
        "created_at": created_at,
        "updated_at": updated_at,
        # Only conversations waiting on a teammate have waiting_since; snoozed ones wake up later.
        "waiting_since": updated_at if state == "open" and rng.random() < 0.5 else None,
        "snoozed_until": ANCHOR_TIME + rng.randrange(3600, 14 * 86400) if state == "snoozed" else None,
        "source": {
            "type": source_type,
            "id": str(403918000 + number),
            "delivered_as": "customer_initiated" if rng.random() < 0.8 else "admin_initiated",
            "subject": subject if source_type == "email" else "",
            "body": f"<p>{subject}. Can you help?</p>",
            "author": {
                "type": "user",
                "id": contact["id"],
                "name": rng.choice(_FIRST_NAMES),
                "email": f"customer{number}@customer.example.com",
            },
            "attachments": [],
            "url": None,
            "redacted": False,
        },
        "contacts": {"type": "contact.list", "contacts": [contact]},
        "first_contact_reply": {"created_at": created_at, "type": source_type, "url": None},
        "admin_assignee_id": admin[0],
        "team_assignee_id": team,
        "open": state != "closed",
        "state": state,
        "read": rng.random() < 0.5,
        "tags": {"type": "tag.list", "tags": tags},
        "priority": rng.choice(_PRIORITIES),
        "sla_applied": (
            {"type": "conversation_sla_summary", "sla_name": "VIP 1h", "sla_status": "hit"}
            if any(tag["name"] == "vip" for tag in tags)
            else None
        ),
        "statistics": statistics,
        "conversation_rating": rating,
        "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": str(admin[0])}]},
        "title": subject if rng.random() < 0.3 else None,
        "custom_attributes": {"issue_type": rng.choice(_ISSUE_TYPES), "seats": rng.randrange(1, 200)},
        "topics": {},
        "ticket": None,
        "linked_objects": {"type": "list", "data": [], "total_count": 0, "has_more": False},
        "ai_agent": (
            {
                "source_type": "workflow",
                "source_title": "Fin answers billing questions",
                "last_answer_type": "ai_answer",
                "resolution_state": rng.choice(["assumed_resolution", "confirmed_resolution", "escalated"]),
                "rating": None,
                "rating_remark": None,
                "created_at": created_at,
                "updated_at": first_reply,
            }
            if ai
            else None
        ),
        "ai_agent_participated": ai,
        "channel": {"initial": source_type, "current": source_type},
        "conversation_parts": {
            "type": "conversation_part.list",
            "conversation_parts": parts,
            "total_count": len(parts),
        },
    }


def seeded_conversation(number: int, seed: int) -> dict[str, Any]:
    """Build conversation ``number``, the same for the same ``(number, seed)``, whatever else exists.

    :param number: the conversation's id, as a number (1 or more).
    :param seed: the seed of the emulator's data.
    """
    # A string seed is hashed (SHA-512) into the generator's state: distinct for every pair, and
    # the same in every process (unlike hash()).
    return _one(random.Random(f"{seed}/{number}"), number)


def generate_conversations(count: int, seed: int) -> dict[str, dict[str, Any]]:
    """Build ``count`` conversations with ids ``"1"`` .. ``str(count)``.

    :param count: how many conversations to create.
    :param seed: the seed of the emulator's data.
    :return: the conversations keyed by id, in ascending numeric id order.
    """
    return {str(number): seeded_conversation(number, seed) for number in range(1, count + 1)}
