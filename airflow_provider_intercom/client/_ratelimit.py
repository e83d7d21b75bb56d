"""Pacing under Intercom's rate limit: the send-delay decision, and the limiter.

Intercom reports the app's budget of the current fixed window in ``X-RateLimit-Remaining`` and
when the window ends in ``X-RateLimit-Reset``; :mod:`._ratelimit_headers` keeps only values inside
their domains. :func:`rate_limit_send_delay` turns them, and the requests in flight, into a wait
before the next send, never longer than one window plus a little slack; :class:`RateLimitState` keeps what the
answers said; :class:`AdaptiveRateLimiter` wraps it for threads. The async bulk engine drives the
same :class:`RateLimitState` from its event loop, so both paths pace identically.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

from airflow_provider_intercom.client._error import IntercomCancelledError
from airflow_provider_intercom.client._ratelimit_headers import (
    RESET_SLACK,
    HeaderWarnings,
    RateLimitReading,
    WarningLogger,
    max_wait,
    read_rate_limit_headers,
)
from airflow_provider_intercom.client._ratelimit_headers import header_number as header_number
from airflow_provider_intercom.client._reorder import ReorderGroups
from airflow_provider_intercom.client.facts import RATE_LIMIT_WINDOW_SECONDS

#: Requests allowed in flight after a window's reset time, until an answer reports the new window.
WINDOW_PROBES = 4
#: How often a sender held back at a window change looks again, in seconds.
PROBE_POLL = 0.01
#: How far behind the clock the pacing schedule may fall: a sender that woke late may send what
#: fell due meanwhile at once, so senders can wake less often without losing rate. The bulk
#: engine wakes this far apart while paced: at Intercom's rate, about 33 sends per wake-up.
#: At most a fiftieth of the window (:attr:`RateLimitState.slack`): bursts stay small beside it.
PACING_SLACK = 0.2
#: The most wake-ups per window that the slack is cut to, for windows shorter than Intercom's.
SLACK_PER_WINDOW = 50
#: The least slack, whatever the windows look like.
MIN_SLACK = 0.01
#: Sends this close together (a batch of one wake-up, or threads racing) may reach Intercom in any
#: order, over separate connections; sends further apart are taken to arrive in the order sent.
REORDER_SPAN = 0.02


def rate_limit_send_delay(
    *,
    now: float,
    remaining: int | None,
    reset_at: float | None,
    in_flight: int,
    last_send_at: float | None,
    min_interval: float = 0.0,
    window: float = RATE_LIMIT_WINDOW_SECONDS,
) -> float:
    """Seconds to wait before sending the next request under Intercom's rate limit.

    The budget left is what Intercom reported minus the requests still in flight (they will spend
    it too). Spreading that budget evenly over the rest of the window, rather than spending it at
    once, keeps clear of 429s and adapts when other tasks share the app: their calls shrink
    ``remaining`` and so slow this one down.

    :param now: the current time in UNIX seconds.
    :param remaining: ``X-RateLimit-Remaining`` of the newest response in this window, if known.
    :param reset_at: ``X-RateLimit-Reset`` of that response, if known.
    :param in_flight: requests sent and not answered yet.
    :param last_send_at: when the previous request was sent, if any.
    :param min_interval: the smallest gap between two sends (from ``max_requests_per_minute``).
    :param window: the window's length in seconds: what the budget asks for is capped at
        :func:`~._ratelimit_headers.max_wait` of it, whatever the headers said.
    :return: 0 to send now, else the seconds to wait before asking again.
    """
    ceiling = 0.0  # the user's ceiling: not from a header, so not capped
    if last_send_at is not None and min_interval > 0:
        ceiling = last_send_at + min_interval - now
    return max(ceiling, min(_budget_delay(now, remaining, reset_at, in_flight, last_send_at), max_wait(window)), 0.0)


def _budget_delay(
    now: float, remaining: int | None, reset_at: float | None, in_flight: int, last_send_at: float | None
) -> float:
    if remaining is None or reset_at is None:
        # Nothing heard yet: the first answers will tell the budget.
        return 0.0
    if now >= reset_at:
        # The window should have rolled over, but until an answer from the new one arrives, only a
        # few probes go out: if this clock runs ahead of Intercom's, the rest would all be 429s.
        return 0.0 if in_flight < WINDOW_PROBES else PROBE_POLL
    budget = remaining - in_flight
    time_left = reset_at - now
    if budget <= 0:
        return time_left
    return 0.0 if last_send_at is None else last_send_at + time_left / budget - now


def next_window(
    *, now: float, reset_at: float, limit: int | None, window: float = RATE_LIMIT_WINDOW_SECONDS
) -> tuple[float, int] | None:
    """The window that follows a finished one, as ``(reset_at, remaining)``, if it can be known.

    Intercom's windows are fixed and back to back, so once a window has ended the next one starts
    with the full limit. Assuming so lets sending go on at the steady rate across the change,
    instead of waiting a round trip for the first answer of the new window, which at 1 s of
    latency would cost a tenth of every window. Answers from the new window then correct it.

    :param now: the current time in UNIX seconds.
    :param reset_at: the end of the last window heard of.
    :param limit: ``X-RateLimit-Limit`` of that window, if known.
    :param window: the window's length in seconds.
    :return: None while ``reset_at`` is still ahead or the limit is unknown.
    """
    if limit is None or limit <= 0 or now < reset_at or window <= 0:
        return None
    elapsed_windows = int((now - reset_at) // window) + 1
    return reset_at + elapsed_windows * window, limit


class RateLimitState:
    """What the answers said about the current window, and the requests in flight.

    Not thread-safe by itself: :class:`AdaptiveRateLimiter` guards it with a lock, and the async
    engine touches it from its event loop only.

    :param max_requests_per_minute: an optional ceiling below Intercom's.
    :param window: the rate-limit window's length in seconds: Intercom's documented one, unless a
        test server uses shorter ones. It bounds every wait and which resets are believed.
    :param logger: where unusable headers are reported, once per kind.
    :raises ValueError: if ``window`` is not a positive number of seconds.
    """

    def __init__(
        self,
        *,
        max_requests_per_minute: float | None = None,
        window: float = RATE_LIMIT_WINDOW_SECONDS,
        logger: WarningLogger | None = None,
    ) -> None:
        if not (math.isfinite(window) and window > 0):
            raise ValueError(f"the rate-limit window must be a positive number of seconds, not {window!r}")
        #: The window's length in seconds. Never inferred from the answers: a proxy's headers
        #: could pin it short, and the pacing would then aim at many times the limit.
        self.window = float(window)
        #: :data:`PACING_SLACK`, or less for a short window (a test server's).
        self.slack = min(PACING_SLACK, self.window / SLACK_PER_WINDOW)
        self._warnings = HeaderWarnings(logger)
        self.min_interval = 60.0 / max_requests_per_minute if max_requests_per_minute else 0.0
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self.in_flight = 0
        self.last_send_at: float | None = None
        #: Sends so far, and how many had been sent when the request whose answer set
        #: ``remaining`` went out: only the sends after it are missing from ``remaining``.
        #: (Intercom counts a request when it arrives, so a request still awaiting its answer
        #: has usually been counted already; charging every request in flight against the budget
        #: would leave rate x latency of each window unused.)
        self.sends = 0
        self._anchor = 0
        #: Which sends each answer's figure surely counts (:mod:`._reorder`): ``_anchor`` is the last
        #: of them, and ``_likely`` the last if sends arrived in the order sent. The likely budget sets
        #: the pace; the sure one, near its end, holds sends until the answers tell.
        self._groups = ReorderGroups(REORDER_SPAN)
        self._likely = 0
        #: Seconds this clock runs ahead of Intercom's, as 429s revealed (0 until one does), at most
        #: RESET_SLACK: a reset further behind is believed only as far as the slack allows.
        self.skew = 0.0
        #: The gap between sends the budget allowed at the last :meth:`send_delay`.
        self._spacing = self.min_interval
        #: The latest reset any answer reported (``reset_at`` may be a projection beyond it).
        self._heard_reset_at: float | None = None
        #: Requests answered (or failed) so far, and how many of those were 429s.
        self.sent = 0
        self.rate_limited = 0

    def send_delay(self, now: float) -> float:
        """Seconds to wait before the next send (0: send now).

        :param now: the current time in UNIX seconds.
        """
        # Every comparison with Intercom's reset times is made on Intercom's clock.
        now -= self.skew
        if self.reset_at is not None:
            projected = next_window(now=now, reset_at=self.reset_at, limit=self.limit, window=self.window)
            if projected is not None:
                self.reset_at, self.remaining = projected
                self._anchor = self._likely = self.sends
        budget = (self.remaining or 0) - (self.sends - self._likely)
        if self.reset_at is not None and budget > 0 and now < self.reset_at:
            self._spacing = max((self.reset_at - now) / budget, self.min_interval)
        else:
            self._spacing = self.min_interval
        over = self.reset_at is not None and now >= self.reset_at
        delay = rate_limit_send_delay(
            now=now,
            remaining=self.remaining,
            reset_at=self.reset_at,
            # Past the reset only requests on the wire count as probes: sends that the answers
            # never accounted for (their headers were unusable) must not hold the senders forever.
            in_flight=self.in_flight if over else self.sends - self._likely,
            last_send_at=self.last_send_at,
            min_interval=self.min_interval,
            window=self.window,
        )
        if not over and self.remaining is not None and self.remaining <= self.unaccounted:
            return max(delay, PROBE_POLL)  # maybe spent: the answers of the last batch will tell
        return delay

    @property
    def unaccounted(self) -> int:
        """Requests sent after the one whose answer set ``remaining``: not yet counted in it."""
        return self.sends - self._anchor

    def on_send(self, now: float) -> int:
        """Count a request as in flight; return its sequence number for :meth:`on_answer`.

        :param now: when it was sent, in UNIX seconds.
        """
        self.in_flight += 1
        self.sends += 1
        now -= self.skew  # kept on Intercom's clock, like every time send_delay compares
        self._groups.sent(self.sends, now)
        last = self.last_send_at
        # The schedule advances by the spacing, not to the clock: a send that went out late
        # (within the slack) does not push the next one back.
        self.last_send_at = now if last is None else max(min(now, last + self._spacing), now - self.slack)
        return self.sends

    def on_answer(
        self,
        headers: Mapping[str, str] | None,
        status: int | None,
        seq: int | None = None,
        sent_at: float | None = None,
        *,
        now: float,
    ) -> None:
        """Record the answer to a sent request.

        :param headers: the response headers, or None when no response came back.
        :param status: the response status, or None when no response came back.
        :param seq: what :meth:`on_send` returned for the request; None counts every request in
            flight as unaccounted (the cautious reading).
        :param sent_at: when the request was sent, in UNIX seconds; lets a 429 reveal a clock that
            runs ahead of Intercom's.
        :param now: when the answer came, in UNIX seconds: a reset must lie within a window of it.
        """
        reading = None if headers is None else read_rate_limit_headers(headers, now=now, window=self.window)
        whole = None
        if seq is None:
            seq = surely = self.sends - self.in_flight + 1
        else:
            figured = reading is not None and reading.remaining is not None and reading.reset_at is not None
            surely, whole = self._groups.answered(seq, figured=figured)
        self.in_flight = max(0, self.in_flight - 1)
        self.sent += 1
        if status == 429:
            self.rate_limited += 1
        if reading is not None:
            self._record(reading, status, (surely, seq), sent_at)
        if whole is not None:
            # Its group is all answered, each with a figure: the lowest figure kept counts them all.
            self._count((whole, whole))

    def _count(self, counted: tuple[int, int], *, replace: bool = False) -> None:
        """``remaining`` counts the sends up to these: surely, and likely (see ``_likely``)."""
        surely, likely = counted if replace else (max(self._anchor, counted[0]), max(self._likely, counted[1]))
        self._anchor, self._likely = surely, max(likely, surely)

    def _record(
        self, reading: RateLimitReading, status: int | None, counted: tuple[int, int], sent_at: float | None
    ) -> None:
        """Take in what an answer's headers say; ``counted``: the last sends its figure counts (:meth:`_count`)."""
        self._warnings.report(reading.rejected)
        remaining, reset_at = reading.remaining, reading.reset_at
        if reading.limit is not None:
            self.limit = reading.limit
        if reset_at is not None and status == 429:
            # A 429 can come while the app's headers still show budget (the workspace's shared
            # budget ran out): nothing more goes out until its window ends.
            remaining = 0
            if sent_at is not None and sent_at >= reset_at:
                # Intercom counted, in a window that this clock saw end before the request was even
                # sent, a request it received after that: this clock runs ahead of Intercom's by at
                # least that much. (The send time, not the answer's: latency is no skew.)
                skew = min(max(self.skew, sent_at - reset_at + PROBE_POLL), RESET_SLACK)
                if self.last_send_at is not None:
                    self.last_send_at -= skew - self.skew  # it too is kept on Intercom's clock
                self.skew = skew
        if remaining is None or reset_at is None:
            return
        heard = self._heard_reset_at
        newer = heard is None or reset_at > heard
        if newer:
            self._heard_reset_at = reset_at
            if heard is not None:
                # Windows that look shorter than the one set only ever make the slack smaller (more
                # wake-ups, never more sends): a test server's 1 s windows, say, unknown to the task.
                self.slack = max(min(self.slack, (reset_at - heard) / SLACK_PER_WINDOW), MIN_SLACK)
        if self.reset_at is None or reset_at > self.reset_at or newer:
            # A window later than any heard before replaces the budget, even when it ends before
            # a projected one (next_window's guess): what Intercom says wins over the guess.
            self.reset_at, self.remaining = reset_at, remaining
            self._count(counted, replace=True)
        elif (
            status == 429
            and self.reset_at is not None
            and reset_at < self.reset_at
            and heard is not None
            and reset_at >= heard
        ):
            # A 429 for a window that a projection took for over: it is not, at Intercom.
            self.reset_at, self.remaining = reset_at, 0
            self._count(counted)
        elif reset_at == self.reset_at and (self.remaining is None or remaining < self.remaining):
            # Within a window Intercom's count only grows, so the lowest figure is the freshest,
            # whichever request it answers: requests sent a moment apart over separate connections
            # may arrive in either order, so the answer to the latest send can be the older figure.
            self.remaining = remaining
            self._count(counted)
        # An answer from an earlier window says nothing about this one.

    def window_left(self, now: float) -> int | None:
        """Requests the current window still allows beyond those in flight, if known.

        :param now: the current time in UNIX seconds.
        """
        if self.remaining is None or self.reset_at is None or now >= self.reset_at:
            return None
        return max(self.remaining - self.unaccounted, 0)


class AdaptiveRateLimiter:
    """A :class:`RateLimitState` shared by threads: :meth:`acquire` before a send, :meth:`release` after.

    :param max_requests_per_minute: an optional ceiling below Intercom's, to leave budget for
        the app's other integrations.
    :param clock: UNIX time source (tests pass a fake one).
    :param window: the rate-limit window's length in seconds (see :class:`RateLimitState`).
    :param logger: where unusable rate-limit headers are reported, once per kind.
    """

    def __init__(
        self,
        *,
        max_requests_per_minute: float | None = None,
        clock: Callable[[], float] = time.time,
        window: float = RATE_LIMIT_WINDOW_SECONDS,
        logger: WarningLogger | None = None,
    ) -> None:
        self._clock = clock
        self._cond = threading.Condition()
        self.state = RateLimitState(max_requests_per_minute=max_requests_per_minute, window=window, logger=logger)

    @property
    def sent(self) -> int:
        """Requests answered (or failed) so far."""
        return self.state.sent

    @property
    def rate_limited(self) -> int:
        """How many answers were 429s."""
        return self.state.rate_limited

    def acquire(self, stop_event: threading.Event | None = None) -> int:
        """Block until a request may be sent, then count it as in flight; return its number.

        :param stop_event: when set, give up waiting.
        :raises IntercomCancelledError: if ``stop_event`` was set.
        """
        with self._cond:
            while True:
                if stop_event is not None and stop_event.is_set():
                    raise IntercomCancelledError("The task was stopped; no further request is sent.")
                now = self._clock()
                delay = self.state.send_delay(now)
                if delay <= 0:
                    return self.state.on_send(now)
                # Capped so that a stop request is noticed within a quarter second.
                self._cond.wait(min(delay, 0.25))

    def release(
        self,
        headers: Mapping[str, str] | None,
        status: int | None = None,
        seq: int | None = None,
        sent_at: float | None = None,
    ) -> None:
        """Record the answer to a request :meth:`acquire` let through.

        :param headers: the response headers, or None when no response came back.
        :param status: the response status, or None when no response came back.
        :param seq: what :meth:`acquire` returned for the request.
        :param sent_at: when the request was sent, in UNIX seconds.
        """
        with self._cond:
            self.state.on_answer(headers, status, seq, sent_at, now=self._clock())
            self._cond.notify_all()
