"""Input validation: ids, search queries, page sizes and updates, before anything is sent."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.client import IntercomValidationError
from airflow_provider_intercom.client._validation import (
    validate_conversation_id,
    validate_conversation_ids,
    validate_per_page,
    validate_positive_number,
    validate_search_query,
    validate_update,
)
from airflow_provider_intercom.client.facts import MAX_CONVERSATION_ID_LENGTH as MAX_ID_LENGTH
from airflow_provider_intercom.client.facts import MAX_SEARCH_PAGE_SIZE


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


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("1,2,3", r"must be a list of ids, got a string.*XComArg"),
        ({"1": "a"}, "must be a list"),
        (7, "must be a list"),
        ([], "is empty: there is no conversation to act on"),
    ],
)
def test_bad_id_collections_say_what_to_pass_instead(ids: Any, message: str) -> None:
    with pytest.raises(IntercomValidationError, match=message):
        validate_conversation_ids(ids)


# -- per_page -------------------------------------------------------------------------------------


@pytest.mark.parametrize("per_page", [1, 20, MAX_SEARCH_PAGE_SIZE])
def test_page_sizes_in_range_pass(per_page: int) -> None:
    assert validate_per_page(per_page) == per_page


@pytest.mark.parametrize("per_page", [0, -1, MAX_SEARCH_PAGE_SIZE + 1, True, 1.5, "10", None])
def test_other_page_sizes_are_refused(per_page: Any) -> None:
    with pytest.raises(IntercomValidationError, match=f"per_page must be an int from 1 to {MAX_SEARCH_PAGE_SIZE}"):
        validate_per_page(per_page)


# -- update ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        ({"read": True}, {"read": True}),
        ({"read": False}, {"read": False}),
        ({"title": "Refund"}, {"title": "Refund"}),
        ({"title": ""}, {"title": ""}),
        (
            {"custom_attributes": {"issue": "Billing", "score": 3, "ratio": 0.5, "vip": False, "due": 1700000000}},
            {"custom_attributes": {"issue": "Billing", "score": 3, "ratio": 0.5, "vip": False, "due": 1700000000}},
        ),
        ({"company_id": "c-1"}, {"company_id": "c-1"}),
        ({"company_id": 42}, {"company_id": "42"}),
        ({"remove_company": True}, {"company_id": None}),
        ({"read": True, "remove_company": False}, {"read": True}),
        (
            {"read": True, "title": "T", "custom_attributes": {"a": 1}, "company_id": "c"},
            {"read": True, "title": "T", "custom_attributes": {"a": 1}, "company_id": "c"},
        ),
    ],
)
def test_the_update_body_is_exactly_what_was_given(fields: dict[str, Any], body: dict[str, Any]) -> None:
    assert validate_update(**fields) == body


def test_removing_the_company_is_not_the_same_as_leaving_it_alone() -> None:
    assert "company_id" not in validate_update(read=True)
    assert validate_update(read=True, remove_company=True) == {"read": True, "company_id": None}


_SCALARS = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)


@given(
    read=st.one_of(st.none(), st.booleans()),
    title=st.one_of(st.none(), st.text(max_size=30)),
    custom_attributes=st.one_of(
        st.none(), st.dictionaries(st.text(min_size=1).filter(str.strip), _SCALARS, min_size=1)
    ),
)
def test_any_valid_update_is_sent_as_given_and_as_strict_json(
    read: bool | None, title: str | None, custom_attributes: dict[str, Any] | None
) -> None:
    given_fields = {"read": read, "title": title, "custom_attributes": custom_attributes}
    expected = {name: value for name, value in given_fields.items() if value is not None}
    if not expected:
        return
    body = validate_update(**given_fields)
    assert body == expected
    assert json.loads(json.dumps(body, allow_nan=False)) == body


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "update is empty: give at least one of read, title, custom_attributes, company_id or remove_company"),
        ({"read": "yes"}, "read must be true or false; got 'yes'"),
        ({"read": 1}, "read must be true or false; got 1"),
        ({"title": 5}, "title must be a string; got 5"),
        ({"custom_attributes": {}}, "custom_attributes must be a non-empty dict"),
        ({"custom_attributes": [("a", 1)]}, "custom_attributes must be a non-empty dict"),
        ({"custom_attributes": {"": 1}}, "custom attribute names must be non-empty strings"),
        ({"custom_attributes": {1: "x"}}, "custom attribute names must be non-empty strings; got 1"),
        ({"custom_attributes": {"score": math.nan}}, "custom attribute 'score' is nan; Intercom accepts only finite"),
        ({"custom_attributes": {"score": math.inf}}, "custom attribute 'score' is inf"),
        ({"custom_attributes": {"score": -math.inf}}, "custom attribute 'score' is -inf"),
        ({"custom_attributes": {"tags": ["a"]}}, "custom attribute 'tags' must be a string, integer, decimal, boolean"),
        ({"custom_attributes": {"meta": {"a": 1}}}, "'meta' must be a string, integer, decimal, boolean or a date"),
        ({"custom_attributes": {"when": object()}}, "got object"),
        ({"custom_attributes": {"gone": None}}, "got NoneType None"),
        ({"company_id": ""}, "company_id must be the company's Intercom id"),
        ({"company_id": "  "}, "company_id must be the company's Intercom id"),
        ({"company_id": True}, "To remove the company, pass remove_company=True"),
        ({"company_id": 1.5}, "company_id must be the company's Intercom id"),
        ({"remove_company": "yes"}, "remove_company must be true or false"),
        ({"remove_company": None}, "remove_company must be true or false"),
        ({"company_id": "c", "remove_company": True}, "give company_id or remove_company=True, not both"),
    ],
)
def test_a_bad_update_is_refused_naming_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(IntercomValidationError) as info:
        validate_update(**fields)
    assert str(info.value).startswith("update")
    assert message in str(info.value)
    assert info.value.permanent


def test_the_update_is_named_as_the_caller_calls_it() -> None:
    with pytest.raises(IntercomValidationError, match=r"^update_fields\[3\]: read must be"):
        validate_update(read="no", where="update_fields[3]")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 0, -0.5, True, "60", None])
def test_a_rate_or_duration_must_be_a_finite_positive_number(value: Any) -> None:
    with pytest.raises(IntercomValidationError, match=r"^Task 't': max_requests_per_minute must be a finite number"):
        validate_positive_number(value, name="max_requests_per_minute", where="Task 't'")


@pytest.mark.parametrize("value", [1, 0.5, 10_000])
def test_finite_positive_numbers_pass(value: float) -> None:
    assert validate_positive_number(value, name="x", where="w") == value
