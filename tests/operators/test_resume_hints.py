"""What task logs say about resuming after a failure, per Airflow version (docs/resume.md agrees)."""

from __future__ import annotations

import pytest

from airflow_provider_intercom.operators._resume_hints import AIRFLOW_LINE, failure_hint, no_checkpoint_note


def test_the_running_airflow_decides() -> None:
    import airflow

    assert airflow.__version__.startswith(f"{AIRFLOW_LINE[0]}.{AIRFLOW_LINE[1]}.")
    assert failure_hint() == failure_hint(AIRFLOW_LINE)


@pytest.mark.parametrize("line", [(2, 11), (3, 0), (3, 2)])
def test_before_3_3_no_resume_is_promised(line: tuple[int, int]) -> None:
    assert "done yet" not in failure_hint(line)
    assert no_checkpoint_note(line) == ""


def test_on_3_3_a_clear_resumes_and_keep_task_state_is_never_mentioned() -> None:
    hint = failure_hint((3, 3))

    assert "a retry or a clear sends only what is not done yet" in hint
    assert "keep" not in (hint + no_checkpoint_note((3, 3))).lower()


@pytest.mark.parametrize("line", [(3, 4), (3, 5), (4, 0)])
def test_from_3_4_a_clear_resumes_only_when_it_keeps_task_state(line: tuple[int, int]) -> None:
    for text in (failure_hint(line), no_checkpoint_note(line)):
        assert "Keep task state and resume" in text
        assert '"keep_task_state": true' in text


def test_resume_false_promises_nothing() -> None:
    assert "done yet" not in failure_hint((3, 4), resume=False)
