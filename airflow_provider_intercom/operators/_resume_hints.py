"""What task logs tell a user about resuming a bulk run, by the running Airflow version.

Which actions keep the task state store (and with it the resume checkpoint) changed in 3.4:

- < 3.3: there is no store; every retry or clear sends every id again.
- 3.3: every clear keeps it (and the REST API refuses ``keep_task_state``).
- >= 3.4: a clear through the REST API or the UI's Clear dialog discards it unless it sets
  ``keep_task_state: true`` ("Keep task state and resume" in the dialog); a DAG-run clear,
  ``airflow tasks clear`` and marking success or failed keep it (apache/airflow#72929).

``docs/resume.md`` says the same for users.
"""

from __future__ import annotations

from airflow import __version__ as _airflow_version
from packaging.version import Version

__all__ = ["AIRFLOW_LINE", "failure_hint", "no_checkpoint_note"]


#: The running Airflow's major and minor version: ``3.4.0b2`` -> ``(3, 4)``.
AIRFLOW_LINE: tuple[int, int] = (Version(_airflow_version).major, Version(_airflow_version).minor)

_KEEP_OPTION = (
    'choose "Keep task state and resume" in the Clear dialog, or send "keep_task_state": true '
    "to the REST API's clearTaskInstances"
)


def failure_hint(line: tuple[int, int] = AIRFLOW_LINE, *, resume: bool = True) -> str:
    """The hint of a bulk run that failed with retryable failures.

    :param line: the Airflow version, (major, minor).
    :param resume: the operator's ``resume``.
    """
    safe = "The action is safe to repeat: clearing and re-running the task is safe"
    if not resume or line < (3, 3):
        return safe + "."
    if line < (3, 4):
        return safe + ", and a retry or a clear sends only what is not done yet."
    return (
        f"{safe}; a retry sends only what is not done yet, and so does a clear that keeps task state: {_KEEP_OPTION}."
    )


def no_checkpoint_note(line: tuple[int, int] = AIRFLOW_LINE) -> str:
    """Said when a retry finds no checkpoint: on 3.4+, a clear may have discarded it.

    :param line: the Airflow version, (major, minor).
    """
    if line < (3, 4):
        return ""
    return f" (a clear from the UI or the REST API discards it; to resume after a clear, {_KEEP_OPTION})"
