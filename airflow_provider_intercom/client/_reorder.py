"""Which sends an answer's ``X-RateLimit-Remaining`` surely counts, when sends may arrive out of order.

Intercom counts a request when it arrives. Requests sent a moment apart over separate connections
(a batch that one wake-up of the bulk engine sends, or threads racing) may arrive in any order, so
the figure in one answer may or may not count the others of its batch. Requests sent further apart
(:data:`~._ratelimit.REORDER_SPAN`) are taken to arrive in the order sent. So the answer to a
request counts every send before its group for sure; once every request of a group is answered,
each with a figure, the lowest of those figures counts the whole group (the request that arrived
last got it). Trusting less than that lets sends beyond the window's budget go out: 429s.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReorderGroups"]


@dataclass
class _Group:
    first: int
    last: int
    unanswered: int = 0
    figured: bool = True


class ReorderGroups:
    """The groups of sends that may reach Intercom in any order; numbers are the sends' sequence numbers.

    :param span: sends at most this many seconds after a group's first one join that group.
    """

    def __init__(self, span: float) -> None:
        self._span = span
        self._open: _Group | None = None
        self._opened_at = 0.0
        self._group_of: dict[int, _Group] = {}

    def sent(self, seq: int, now: float) -> None:
        """Note send ``seq`` at ``now``.

        :param seq: the send's sequence number (increasing).
        :param now: when it was sent, in seconds.
        """
        group = self._open
        if group is None or not 0 <= now - self._opened_at <= self._span:
            group = self._open = _Group(seq, seq)
            self._opened_at = now
        group.last = seq
        group.unanswered += 1
        self._group_of[seq] = group

    def answered(self, seq: int, *, figured: bool) -> tuple[int, int | None]:
        """Note the answer to send ``seq``.

        :param seq: what :meth:`sent` was given for the request.
        :param figured: whether the answer carried a usable remaining count and reset.
        :return: the last send that the answer's figure surely counts, and the last send that the
            lowest figure heard now counts if the answer completed its group (else None). A send
            that joins the group later comes after those answers, so it arrived after them too.
        """
        group = self._group_of.pop(seq, None)
        if group is None:  # not noted: only that send itself is known to be counted
            return seq, None
        group.unanswered -= 1
        group.figured = group.figured and figured
        whole = group.last if group.unanswered == 0 and group.figured else None
        return group.first - 1, whole
