"""The single operators' log line about their one conversation, for each kind of answer."""

from __future__ import annotations

from airflow_provider_intercom.operators._single_base import outcome_line


def test_a_message_an_earlier_try_posted_says_nothing_was_posted_again() -> None:
    line = outcome_line("12", "reply", {"id": "12", "resumed": True})

    assert line == (
        "Intercom conversation 12: already replied to by an earlier try of this task; "
        "nothing was posted again (resend=True posts it again)."
    )


def test_a_message_found_by_a_read_back_says_so() -> None:
    line = outcome_line("7", "note", {"id": "7", "verified": True})

    assert line == (
        "Intercom conversation 7 given a note: the answer was lost, and reading the conversation back "
        "found the message posted once."
    )


def test_an_answer_names_the_conversations_state() -> None:
    line = outcome_line("3", "close", {"id": "3", "state": "closed", "read": False, "source": {}})

    assert line == "Intercom conversation 3 closed: state='closed', read=False."


def test_an_action_already_done_says_there_was_nothing_to_do() -> None:
    line = outcome_line("4", "untag", {"id": "4", "already_done": "tag 81 is not attached"})

    assert line == "Intercom conversation 4 untagged: nothing to do (tag 81 is not attached)."
