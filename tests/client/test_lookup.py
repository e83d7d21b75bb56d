"""Tags by id or name, assignees by id: resolved before any write, with helpful refusals."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._lookup import check_assignee, resolve_tag

TAGS = [
    {"type": "tag", "id": "101", "name": "VIP"},
    {"type": "tag", "id": "102", "name": "vip"},
    {"type": "tag", "id": "103", "name": "Billing"},
    {"type": "tag", "id": "104", "name": "104"},
    {"type": "tag", "id": "105", "name": "Churn risk"},
]


@pytest.mark.parametrize(
    ("value", "expected_id"),
    [
        ("101", "101"),  # an id
        (103, "103"),
        ("VIP", "101"),  # exact name wins over the case-insensitive twin
        ("vip", "102"),
        ("billing", "103"),  # unique case-insensitive match
        ("CHURN RISK", "105"),
        ("104", "104"),
    ],
)
def test_resolves_ids_then_exact_names_then_unique_case_insensitive_names(value: Any, expected_id: str) -> None:
    assert resolve_tag(value, TAGS)["id"] == expected_id


def test_an_ambiguous_case_insensitive_name_is_refused() -> None:
    with pytest.raises(IntercomValidationError, match="several tags"):
        resolve_tag("Vip", TAGS)


def test_an_unknown_name_lists_the_closest_names() -> None:
    with pytest.raises(IntercomValidationError, match=r"Closest names: 'Billing'") as err:
        resolve_tag("Biling", TAGS)
    assert "5 tags" in str(err.value)


@pytest.mark.parametrize("bad", ["", "  ", None, True, ["VIP"]])
def test_a_missing_tag_value_is_refused(bad: Any) -> None:
    with pytest.raises(IntercomValidationError, match="tag's id or name"):
        resolve_tag(bad, TAGS)


ADMINS = [{"type": "admin", "id": "7", "name": "Ciaran"}, {"type": "admin", "id": "8", "name": "Dana"}]


def test_an_existing_assignee_is_named() -> None:
    assert check_assignee("8", "admin", ADMINS) == "Dana"


def test_a_missing_assignee_lists_who_there_is() -> None:
    refusal = r"not an admin of this workspace.*7 \(Ciaran\).*assignee_type='team'"
    with pytest.raises(IntercomValidationError, match=refusal):
        check_assignee("9", "admin", ADMINS)
    with pytest.raises(IntercomValidationError, match="not a team") as err:
        check_assignee("9", "team", [])
    assert "assignee_type='team'" not in str(err.value)
