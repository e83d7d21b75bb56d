"""When a bulk run reads a message back, and what a read-back decides: pure functions.

A message (:mod:`airflow_provider_intercom.client._message`) whose send failed ambiguously is read
back with ``GET /conversations/{id}`` before anything else is sent to that id: first no earlier
than the request timeout after the send (Intercom may still be applying it), then once more
:data:`~airflow_provider_intercom.client.facts.READ_BACK_GAP_SECONDS` later. Only when both miss it
is it sent again. An id that an earlier try may have sent to is read back once before its send.
"""

from __future__ import annotations

from typing import Literal

from airflow_provider_intercom.client._message import Verdict

__all__ = ["READS_AFTER_AMBIGUOUS", "Next", "after_read", "first_read_at"]

#: Read-backs that must all miss a message whose send failed ambiguously before it is re-sent.
READS_AFTER_AMBIGUOUS = 2
#: What follows a read-back: the message is there; read again; send it; or give up on knowing.
Next = Literal["posted", "read_again", "send", "unverified"]


def first_read_at(sent_at: float, timeout: float, now: float) -> float:
    """When to read back a message whose send failed ambiguously (monotonic seconds).

    :param sent_at: when the send started.
    :param timeout: the request timeout: Intercom may still be applying the request until then.
    :param now: the time now.
    """
    return max(now, sent_at + timeout)


def after_read(verdict: Verdict, reads_left: int) -> Next:
    """What to do after a read-back.

    :param verdict: what :func:`~airflow_provider_intercom.client._message.find_part` found.
    :param reads_left: read-backs still planned, this one included.
    """
    if verdict == "posted":
        return "posted"
    if verdict == "unverifiable":
        return "unverified"
    return "read_again" if reads_left > 1 else "send"
