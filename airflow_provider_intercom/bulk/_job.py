"""A bulk run's unit of scheduled work: one id's next send, or its next read-back."""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_intercom.client._error import IntercomError

__all__ = ["Job"]


@dataclass(frozen=True)
class Job:
    """One id's next step in a run: a send, or a read-back of a message (``reads`` > 0).

    :param index: the id's index in the run.
    :param attempt: sends made so far, plus one.
    :param first_sent: monotonic seconds of the id's first send in this run.
    :param last_error: what the last send failed with.
    """

    index: int
    attempt: int
    first_sent: float | None
    last_error: IntercomError | None = None
    #: Messages: read-backs still to make before the next send (0: send).
    reads: int = 0
    #: Messages: UNIX seconds of the first send; older parts do not count as this message.
    sent_after: float | None = None
    #: Replies: the ``created_at`` sent, the same on every send of this id.
    created_at: int | None = None
    #: Failed read-backs in a row (a read is retried like any idempotent request).
    read_failures: int = 0
