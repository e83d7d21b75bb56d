"""Messages: how a posted part is recognised, what failure is ambiguous, and the checks before any request."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_intercom.client import IntercomValidationError
from airflow_provider_intercom.client._actions import assign_request, close_request, reply_request
from airflow_provider_intercom.client._error import (
    IntercomConnectionError,
    IntercomError,
    IntercomRateLimitError,
    IntercomResponseError,
    IntercomServerError,
)
from airflow_provider_intercom.client._message import (
    MessageSpec,
    body_matches,
    find_part,
    is_ambiguous,
    is_conversation,
    validate_attachment_urls,
    validate_bodies,
)
from airflow_provider_intercom.testing.emulator.markup import to_html
from tests.helpers.spec import request_problems

ADMIN = "991267653"
NOTE = MessageSpec(frozenset({"note"}), ADMIN)
SENT = 1_800_000_000.0


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        # The 2.16 examples: manageConversation and replyConversation.
        ("Goodbye :)", "<p>Goodbye :)</p>"),
        (
            "<html> <body>  <h2>An Unordered HTML List</h2>  <ul>   <li>Coffee</li>   <li>Tea</li> </ul> "
            "</body> </html>",
            "<h2>An Unordered HTML List</h2>\n<ul>\n<li>Coffee</li>\n<li>Tea</li>\n</ul>",
        ),
        ("Fish & chips <3", "<p>Fish &amp; chips &lt;3</p>"),
        ("two\n\nparagraphs\nand a break", "<p>two</p><p>paragraphs<br>and a break</p>"),
    ],
)
def test_a_body_matches_what_intercom_answers_for_it(sent: str, answered: str) -> None:
    assert body_matches(sent, answered)


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1))
def test_any_plain_text_matches_its_html_form(text: str) -> None:
    # The emulator's to_html is Intercom's documented conversion of plain text. A miss would post twice.
    assert body_matches(text, to_html(text))


@pytest.mark.parametrize(
    ("sent", "answered"),
    [
        ("<>", "<p>&lt;&gt;</p>"),
        ("if a <b> c then", "<p>if a &lt;b&gt; c then</p>"),
        ("x < y > z", "<p>x &lt; y &gt; z</p>"),
    ],
)
def test_plain_text_that_looks_like_markup_matches_its_escaped_form(sent: str, answered: str) -> None:
    assert body_matches(sent, answered)


@pytest.mark.parametrize(
    ("sent", "answered"), [("Escalated", "<p>Escalated again</p>"), ("a <b>c</b>", "<p>a c d</p>")]
)
def test_another_body_does_not_match(sent: str, answered: str) -> None:
    assert not body_matches(sent, answered)


def _part(part_type: str = "note", author: str = ADMIN, body: str = "<p>Escalated</p>", created: Any = SENT) -> Any:
    return {"part_type": part_type, "author": {"type": "admin", "id": author}, "body": body, "created_at": created}


def _conversation(*parts: Any, total: int | None = None) -> dict[str, Any]:
    listed = {"type": "conversation_part.list", "conversation_parts": list(parts)}
    if total is not None:
        listed["total_count"] = total
    return {"type": "conversation", "id": "7", "conversation_parts": listed}


@pytest.mark.parametrize(
    ("parts", "verdict"),
    [
        ([_part()], "posted"),
        ([_part(created=SENT - 60)], "posted"),  # within the clock skew
        ([_part(created=SENT - 3600)], "absent"),  # an older, identical note: not this one
        ([_part(part_type="comment")], "absent"),
        ([_part(author="1")], "absent"),
        ([_part(body="<p>Escalated!</p>")], "absent"),
        ([_part(body=None)], "absent"),
        ([_part(created="1800000000")], "absent"),
        ([], "absent"),
        ([_part(body="<p>other</p>", created=SENT + i) for i in range(500)], "unverifiable"),
        ([_part(body="<p>other</p>", created=SENT - 1000 + i) for i in range(500)], "absent"),
    ],
    ids=[
        "posted",
        "within skew",
        "older",
        "other type",
        "other author",
        "other text",
        "no body",
        "string time",
        "no parts",
        "500 newer parts",
        "500 parts reaching back",
    ],
)
def test_find_part(parts: list[Any], verdict: str) -> None:
    assert find_part(_conversation(*parts), NOTE, "Escalated", sent_after=SENT) == verdict


def test_a_count_beyond_the_parts_shown_hides_older_ones() -> None:
    shown = [_part(body="<p>other</p>", created=SENT + 5)]
    assert find_part(_conversation(*shown, total=501), NOTE, "Escalated", sent_after=SENT) == "unverifiable"


def test_only_a_conversation_with_its_parts_is_an_answer() -> None:
    assert is_conversation(_conversation(), "7")
    assert not is_conversation(_conversation(), "8")
    assert not is_conversation({"type": "conversation", "id": "7"}, "7")
    assert not is_conversation({"status": "ok"}, "7")


@pytest.mark.parametrize(
    ("error", "ambiguous"),
    [
        (IntercomConnectionError("timed out", sent=True), True),
        (IntercomConnectionError("reset after the request", sent=True), True),
        (IntercomConnectionError("refused", sent=False), False),
        (IntercomServerError("502", status=502), True),
        (IntercomResponseError("html", status=200), True),
        (IntercomRateLimitError("429", status=429), False),
        (IntercomError("bad", status=400), False),
        (IntercomError("missing", status=404), False),
    ],
    ids=["timeout", "reset", "refused", "5xx", "2xx not readable", "429", "400", "404"],
)
def test_what_is_ambiguous(error: IntercomError, ambiguous: bool) -> None:
    assert is_ambiguous(error) is ambiguous


def test_a_reply_sends_its_documented_fields_and_is_a_message() -> None:
    request = reply_request(ADMIN, "Hi", "comment", skip_notifications=True, attachment_urls=["https://x.test/a.png"])
    assert request.message is not None
    assert not request.idempotent
    assert (request.method, request.path_for("7")) == ("POST", "/conversations/7/reply")
    body = request.payload("7", created_at=1_800_000_000)
    assert body is not None
    assert request_problems("/conversations/{conversation_id}/reply", "POST", body) == []
    assert b'"created_at":1800000000' in body


def test_a_close_or_assignment_with_a_body_is_one_request_and_a_message() -> None:
    plain, with_body = close_request(ADMIN), close_request(ADMIN, "Bye")
    assert plain.message is None
    assert plain.idempotent
    assert with_body.message is not None
    assert not with_body.idempotent
    assert with_body.body == {**(plain.body or {}), "body": "Bye"}
    assign = assign_request(ADMIN, "5017691", "team", "Over to billing")
    assert assign.message is not None
    assert "assign_and_reopen" in assign.message.part_types
    for request in (with_body, assign):
        assert request_problems("/conversations/{conversation_id}/parts", "POST", request.payload("1")) == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: reply_request(ADMIN, "", "note"), r"body must be a non-empty string"),
        (lambda: reply_request(ADMIN, "<p> </p>", "note"), r"body must be a non-empty string"),
        (lambda: reply_request(ADMIN, "Hi", "email"), r"message_type must be 'comment'.*or 'note'"),
        (lambda: reply_request(ADMIN, "Hi", "note", skip_notifications="yes"), r"skip_notifications"),
        (lambda: reply_request("me", "Hi", "note"), r"admin_id must be an Intercom admin id"),
        (lambda: validate_attachment_urls(["https://x.test"] * 11, where="u"), r"at most 10"),
        (lambda: validate_attachment_urls("https://x.test", where="u"), r"list of http\(s\) URLs"),
        (lambda: validate_bodies({"1": "a"}, ["1", "2"], where="body"), r"no body for 1 of the 2"),
        (lambda: validate_bodies(["a"], ["1"], where="body"), r"must map conversation ids to bodies"),
        (lambda: close_request(ADMIN, "  "), r"body must be a non-empty string"),
    ],
    ids=[
        "empty",
        "blank html",
        "type",
        "notifications",
        "admin",
        "11 urls",
        "url string",
        "missing",
        "not a map",
        "close",
    ],
)
def test_a_bad_message_is_refused_saying_what_to_fix(call: Any, message: str) -> None:
    with pytest.raises(IntercomValidationError, match=message):
        call()
