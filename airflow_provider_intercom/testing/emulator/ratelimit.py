"""Intercom's rate limits: fixed windows per app, and one window per workspace shared by its apps.

Windows are aligned to multiples of their length in UNIX time, and a call is counted when it
*arrives* (Intercom counts on arrival; how long the answer then takes does not matter). Only
calls that are accepted count: answers 401 and 429 do not use up a window; 400/403/404 do.

The ``X-RateLimit-*`` headers describe the calling app's window only. When the workspace's
window is spent first, the answer is a 429 whose headers still show the app's remaining calls,
as Intercom's do: a client cannot see that 429 coming.
"""

from __future__ import annotations

import argparse
import re
import threading
from dataclasses import dataclass

from airflow_provider_intercom.client import facts

__all__ = ["Admission", "RateLimiter", "exceeded_message", "parse_rate_limit", "rate_headers"]

_RATE_RE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d*)\s*(s|sec|m|min)?\s*)?$")


def parse_rate_limit(text: str) -> tuple[int, int]:
    """Parse ``N/Ss`` (``1667/10s``, ``50/1s``, ``50/s``) or ``N/m`` (``10000/m``) into (limit, window).

    :param text: the command-line value; a bare ``N`` means N per 10 s, Intercom's window.
    :raises argparse.ArgumentTypeError: when the text is not a rate.
    """
    match = _RATE_RE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"invalid rate limit {text!r}; use e.g. 1667/10s or 10000/m")
    limit, amount, unit = int(match.group(1)), match.group(2), match.group(3)
    if amount is None and unit is None and "/" not in text:
        return limit, facts.RATE_LIMIT_WINDOW_SECONDS
    window = int(amount) if amount else 1
    if unit in ("m", "min"):
        window *= 60
    if window < 1:
        raise argparse.ArgumentTypeError("the window must be at least 1 second")
    return limit, window


def rate_headers(limit: int, remaining: int, reset: int) -> list[tuple[str, str]]:
    """The ``X-RateLimit-*`` headers of an authenticated answer.

    :param limit: calls allowed per window.
    :param remaining: calls left in the current window.
    :param reset: UNIX second at which the window ends.
    """
    return list(zip(facts.RATE_LIMIT_HEADERS, (str(limit), str(max(remaining, 0)), str(reset)), strict=True))


def exceeded_message(limit: int, window: int) -> str:
    """The 429 message, worded like Intercom's ("Exceeded rate limit of 167 in 10_seconds").

    :param limit: the limit that was exceeded.
    :param window: its window in seconds.
    """
    return f"Exceeded rate limit of {limit} in {window}_seconds"


@dataclass(frozen=True)
class Admission:
    """The rate limiter's verdict on one call.

    :param allowed: whether the call is accepted (and was counted).
    :param headers: the app's ``X-RateLimit-*`` headers after counting.
    :param message: for a refused call, the 429 message.
    """

    allowed: bool
    headers: list[tuple[str, str]]
    message: str = ""


class _Counter:
    __slots__ = ("count", "limit", "start")

    def __init__(self, limit: int) -> None:
        self.limit, self.start, self.count = limit, 0, 0

    def roll(self, start: int) -> None:
        if start != self.start:
            self.start, self.count = start, 0


def _check_limit(limit: int) -> None:
    if limit < 0:
        raise ValueError("limit must be >= 0")


class RateLimiter:
    """Per-app fixed windows plus an optional workspace window they all draw from.

    :param token: the first app's access token.
    :param limit: that app's calls per window.
    :param window: the window length in whole seconds, shared by every app and the workspace.
    :param workspace_limit: calls per window for the whole workspace; ``None`` for no limit
        beyond the apps' own (Intercom's is ``facts.WORKSPACE_RATE_LIMIT_PER_WINDOW``).
    """

    def __init__(self, token: str, limit: int, window: int, workspace_limit: int | None = None) -> None:
        self._lock = threading.Lock()
        self._window = 1
        self._apps: dict[str, _Counter] = {}
        self._workspace: _Counter | None = None
        self.add_app(token, limit)
        self.set_limit(token, limit, window)
        self.set_workspace_limit(workspace_limit)

    def add_app(self, token: str, limit: int) -> None:
        """Register another app of the workspace, with its own token and limit.

        :param token: the app's access token.
        :param limit: its calls per window.
        """
        _check_limit(limit)
        with self._lock:
            self._apps[token] = _Counter(limit)

    def knows(self, token: str) -> bool:
        """Tell whether ``token`` belongs to one of the workspace's apps.

        :param token: a bearer token.
        """
        with self._lock:
            return token in self._apps

    def set_limit(self, token: str, limit: int, window: int | None = None) -> None:
        """Change an app's limit (the current window's count is kept) and, optionally, the window.

        :param token: the app's access token.
        :param limit: calls per window.
        :param window: new window length in whole seconds for every app and the workspace (their
            counts restart); unchanged when ``None``.
        """
        _check_limit(limit)
        if window is not None and (window < 1 or int(window) != window):
            raise ValueError("window must be a whole number of seconds >= 1")
        with self._lock:
            self._apps[token].limit = limit
            if window is not None and window != self._window:
                self._window = int(window)
                for counter in self._counters():
                    counter.start, counter.count = 0, 0

    def set_workspace_limit(self, limit: int | None) -> None:
        """Change the workspace's limit; ``None`` removes it.

        :param limit: calls per window for all apps together.
        """
        if limit is not None:
            _check_limit(limit)
        with self._lock:
            if limit is None:
                self._workspace = None
            elif self._workspace is None:
                self._workspace = _Counter(limit)
            else:
                self._workspace.limit = limit

    def limits(self, token: str) -> tuple[int, int]:
        """``(limit, window)`` of an app.

        :param token: the app's access token.
        """
        with self._lock:
            return self._apps[token].limit, self._window

    @property
    def workspace_limit(self) -> int | None:
        """The workspace's calls per window, ``None`` when unlimited."""
        with self._lock:
            return None if self._workspace is None else self._workspace.limit

    def window_end(self, now: float) -> int:
        """UNIX second at which the window holding ``now`` ends.

        :param now: a UNIX time.
        """
        with self._lock:
            return self._start(now) + self._window

    def admit(self, token: str, now: float) -> Admission:
        """Count a call of an app arriving at ``now`` if both its app and the workspace allow it.

        :param token: the app's access token (it must be known).
        :param now: the call's arrival, UNIX time.
        """
        with self._lock:
            app, workspace, start = self._rolled(token, now)
            reset = start + self._window
            if app.count >= app.limit:
                return Admission(False, rate_headers(app.limit, 0, reset), exceeded_message(app.limit, self._window))
            if workspace is not None and workspace.count >= workspace.limit:
                message = exceeded_message(workspace.limit, self._window)
                return Admission(False, rate_headers(app.limit, app.limit - app.count, reset), message)
            app.count += 1
            if workspace is not None:
                workspace.count += 1
            return Admission(True, rate_headers(app.limit, app.limit - app.count, reset))

    def refuse_for_workspace(self, token: str, now: float) -> Admission:
        """Refuse a call as if the workspace's window were spent, leaving the app's window as it is.

        :param token: the app's access token (it must be known).
        :param now: the call's arrival, UNIX time.
        """
        with self._lock:
            app, workspace, start = self._rolled(token, now)
            limit = facts.WORKSPACE_RATE_LIMIT_PER_WINDOW if workspace is None else workspace.limit
            headers = rate_headers(app.limit, app.limit - app.count, start + self._window)
            return Admission(False, headers, exceeded_message(limit, self._window))

    # Callers hold self._lock.
    def _start(self, now: float) -> int:
        return int(now // self._window) * self._window

    def _counters(self) -> list[_Counter]:
        return [*self._apps.values(), *([] if self._workspace is None else [self._workspace])]

    def _rolled(self, token: str, now: float) -> tuple[_Counter, _Counter | None, int]:
        start = self._start(now)
        app = self._apps[token]
        app.roll(start)
        if self._workspace is not None:
            self._workspace.roll(start)
        return app, self._workspace, start
