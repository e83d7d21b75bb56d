"""The message operators refuse bad input before any request, saying what to fix."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_intercom.client import IntercomValidationError
from airflow_provider_intercom.exceptions import IntercomPermanentError
from airflow_provider_intercom.operators import (
    IntercomAssignConversationOperator,
    IntercomCloseConversationsOperator,
    IntercomReplyToConversationOperator,
    IntercomReplyToConversationsOperator,
)
from airflow_provider_intercom.testing.emulator import IntercomEmulator
from tests.helpers.fixtures import FakeTaskInstance, execute

ADMIN = "991267653"
OPEN = {"field": "state", "operator": "=", "value": "open"}


def test_the_bulk_reply_has_no_default_message_type() -> None:
    # Airflow 3 raises TypeError; Airflow 2's BaseOperator metaclass raises AirflowException.
    with pytest.raises(Exception, match=r"missing .*message_type"):
        IntercomReplyToConversationsOperator(task_id="t", conversation_ids=["1"], body="Hi")  # type: ignore[call-arg]


def test_the_single_reply_is_a_comment_by_default() -> None:
    assert IntercomReplyToConversationOperator(task_id="t", conversation_id="1", body="Hi").message_type == "comment"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: IntercomReplyToConversationsOperator(
                task_id="t", conversation_ids=["1"], body="Hi", message_type="email"
            ),
            r"message_type must be 'comment'",
        ),
        (
            lambda: IntercomReplyToConversationsOperator(
                task_id="t", search_query=OPEN, body={"1": "Hi"}, message_type="note"
            ),
            r"per-conversation bodies need the ids",
        ),
    ],
    ids=["message_type", "bodies with a search"],
)
def test_bad_arguments_fail_when_the_dag_is_parsed(make: Any, message: str) -> None:
    with pytest.raises(IntercomValidationError, match=message):
        make()


_BAD_INPUT = [
    pytest.param(
        lambda: IntercomReplyToConversationOperator(task_id="t", conversation_id="1", body={"1": "Hi"}),
        r"Task 't': body must be a non-empty string",
        id="one conversation, a mapping of bodies",
    ),
    pytest.param(
        lambda: IntercomReplyToConversationOperator(task_id="t", conversation_id="1", body=""),
        r"Task 't': body must be a non-empty string",
        id="empty body",
    ),
    pytest.param(
        lambda: IntercomReplyToConversationsOperator(
            task_id="t",
            conversation_ids=["1"],
            body="Hi",
            message_type="note",
            attachment_urls=[f"https://x.test/{n}.png" for n in range(11)],
        ),
        r"attachment_urls holds 11 URLs; Intercom takes at most 10",
        id="11 attachments",
    ),
    pytest.param(
        lambda: IntercomReplyToConversationsOperator(
            task_id="t", conversation_ids=["1", "2"], body={"1": "Hi"}, message_type="comment"
        ),
        r"body has no body for 1 of the 2 conversations, e.g. 2",
        id="an id without a body",
    ),
    pytest.param(
        lambda: IntercomReplyToConversationsOperator(task_id="t", body={"1": "Hi", "x": "Yo"}, message_type="note"),
        r"conversation_ids\[1\]",
        id="a bad id among the bodies",
    ),
    pytest.param(
        lambda: IntercomCloseConversationsOperator(task_id="t", conversation_ids=["1"], body=["Bye"]),
        r"Task 't': body must be a non-empty string",
        id="close body",
    ),
    pytest.param(
        lambda: IntercomAssignConversationOperator(task_id="t", conversation_id="1", assignee_id=ADMIN, body=" "),
        r"Task 't': body must be a non-empty string",
        id="assign body",
    ),
    pytest.param(
        lambda: IntercomReplyToConversationOperator(task_id="t", conversation_id="1", body="Hi", admin_id="me"),
        r"admin_id must be an Intercom admin id",
        id="admin_id",
    ),
]


@pytest.mark.parametrize(("make", "message"), _BAD_INPUT)
def test_bad_input_fails_before_any_request_and_says_what_to_fix(
    intercom_emulator: IntercomEmulator, make: Any, message: str
) -> None:
    with pytest.raises(IntercomPermanentError, match=message) as info:
        execute(make(), FakeTaskInstance())

    assert isinstance(info.value.error, IntercomValidationError)  # and Airflow does not retry it
    assert [r for r in intercom_emulator.requests if r.method == "POST"] == []


def test_a_dry_run_of_a_bulk_note_posts_nothing(intercom_emulator: IntercomEmulator) -> None:
    op = IntercomReplyToConversationsOperator(
        task_id="t", conversation_ids=["1", "2"], body="Hi", message_type="note", admin_id=ADMIN, dry_run=True
    )
    summary = execute(op)
    assert (summary["dry_run"], summary["action"], summary["counts"]) == (True, "note", {"total": 2})
    assert [r for r in intercom_emulator.requests if r.method == "POST"] == []
