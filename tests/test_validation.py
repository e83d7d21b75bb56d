"""Input validation: ids and search queries, before anything is sent."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.exceptions import IntercomValidationError
from airflow_provider_intercom.validation import (
    MAX_ID_LENGTH,
    validate_conversation_id,
    validate_conversation_ids,
    validate_search_query,
)


@given(st.integers(min_value=0, max_value=10**30))
def test_non_negative_ints_become_digit_strings(value: int) -> None:
    assert validate_conversation_id(value) == str(value)


@given(st.text(alphabet="0123456789", min_size=1, max_size=MAX_ID_LENGTH))
def test_ascii_digit_strings_pass_unchanged(value: str) -> None:
    assert validate_conversation_id(value) == value


@given(st.text(min_size=0, max_size=50).filter(lambda s: not (s.isascii() and s.isdigit() and len(s) <= MAX_ID_LENGTH)))
def test_anything_else_is_rejected(value: str) -> None:
    with pytest.raises(IntercomValidationError):
        validate_conversation_id(value)


@given(st.one_of(st.none(), st.booleans(), st.floats(), st.lists(st.integers()), st.dictionaries(st.text(), st.text())))
def test_non_id_types_are_rejected(value: Any) -> None:
    with pytest.raises(IntercomValidationError, match="conversation_id"):
        validate_conversation_id(value)


@pytest.mark.parametrize("bad", ["../me", "1/../../me", "1?x=y", "1\n", "١٢٣", "²", "-5", "9" * (MAX_ID_LENGTH + 1)])
def test_path_tricks_and_unicode_digits_are_rejected(bad: str) -> None:
    with pytest.raises(IntercomValidationError):
        validate_conversation_id(bad)


def test_ids_are_deduplicated_keeping_the_first_occurrence() -> None:
    assert validate_conversation_ids(["3", 1, "3", "2", 1]) == ["3", "1", "2"]
    assert validate_conversation_ids(iter(["5"])) == ["5"]
    assert validate_conversation_ids(("7", "8")) == ["7", "8"]


def test_a_bad_id_is_named_with_its_position() -> None:
    with pytest.raises(IntercomValidationError, match=r"conversation_ids\[2\].*'x'"):
        validate_conversation_ids(["1", "2", "x"])


VALID = [
    {"field": "state", "operator": "=", "value": "closed"},
    {"field": "read", "operator": "=", "value": False},
    {"field": "id", "operator": "IN", "value": ["1", "2"]},
    {
        "operator": "AND",
        "value": [
            {"field": "open", "operator": "=", "value": True},
            {"field": "updated_at", "operator": ">", "value": 1700000000},
        ],
    },
    {
        "operator": "OR",
        "value": [
            {"operator": "AND", "value": [{"field": "read", "operator": "=", "value": True}]},
            {"field": "state", "operator": "!=", "value": "snoozed"},
        ],
    },
]


@pytest.mark.parametrize("query", VALID)
def test_valid_queries_pass(query: dict[str, Any]) -> None:
    assert validate_search_query(query) == query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("state = closed", "must be an Intercom search query"),
        ({"field": "state", "operator": "LIKE", "value": "x"}, "not an Intercom search operator"),
        ({"field": "state", "value": "x"}, "exactly the keys"),
        ({"field": "", "operator": "=", "value": "x"}, "field must be a field name"),
        ({"field": "id", "operator": "IN", "value": "1"}, "needs a list"),
        ({"field": "id", "operator": "=", "value": {"a": 1}}, "must be a string, number or boolean"),
        ({"operator": "AND", "value": []}, "non-empty list"),
        ({"operator": "AND", "value": [{"field": "id", "operator": "=", "value": "1"}] * 16}, "at most 15"),
        (
            {
                "operator": "AND",
                "value": [
                    {
                        "operator": "OR",
                        "value": [
                            {
                                "operator": "AND",
                                "value": [
                                    {"operator": "OR", "value": [{"field": "id", "operator": "=", "value": "1"}]}
                                ],
                            }
                        ],
                    }
                ],
            },
            "too deeply",
        ),
    ],
)
def test_invalid_queries_say_what_is_wrong(query: Any, message: str) -> None:
    with pytest.raises(IntercomValidationError, match=message):
        validate_search_query(query)
