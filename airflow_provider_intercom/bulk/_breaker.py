"""When a bulk run stops for every id: a pure decision over the ids' final outcomes.

The engine feeds each id's outcome, in the order the answers arrive, to
:meth:`CircuitBreaker.record`; whatever it returns stops the run. What an error means is read
from its ``scope`` (decided when the error is built, :mod:`airflow_provider_intercom.client._error`):

* ``"account"`` (a 401, an account-wide code, a bad connection): the first one stops the run;
* ``"host"`` (a 404 that is not Intercom's error list: the Host or its path is wrong): the
  :data:`HOST_ANSWERS`-th one stops it, so that one stray page from a proxy does not;
* ``"input"`` (400, 403, 422, or a 404 naming another object than the conversation): when
  :data:`SAME_ERROR_STREAK` ids in a row -- the first ones answered included -- fail with the same
  status and code, the input common to every id is wrong (the update, the actor, the assignee),
  and the run stops naming that code;
* ``"id"`` (a deleted conversation's 404, a 5xx or a 429 that retries did not get past): a fact
  about that id, which never trips the breaker, nor breaks a streak.

An id that was updated ends the streak. The breaker keys on ``(status, code)`` only, so any
action's refusals are counted alike, whatever its endpoint.
"""

from __future__ import annotations

from airflow_provider_intercom.client._error import IntercomError

__all__ = ["HOST_ANSWERS", "SAME_ERROR_STREAK", "CircuitBreaker"]

#: Ids in a row failing with the same refusal that stop the run.
SAME_ERROR_STREAK = 5
#: Answers that are not Intercom's (a proxy's HTML 404) that stop the run.
HOST_ANSWERS = 3

_WHAT_TO_FIX = {
    400: "Intercom refuses the request itself: fix the value it names in the task's arguments",
    422: "Intercom refuses the request itself: fix the value it names in the task's arguments",
    403: "The access token's app may not do this: grant the app the missing permission in Intercom's "
    "Developer Hub, or use a connection whose token may",
    404: "What the request names besides the conversation (an admin, an assignee, a team) does not "
    "exist in this workspace: fix that id in the task's arguments",
}


class CircuitBreaker:
    """Decides, id by id, whether the run must stop.

    :param streak: ids in a row failing with the same ``input`` error that stop the run.
    :param host_answers: ``host`` errors that stop the run.
    """

    def __init__(self, *, streak: int = SAME_ERROR_STREAK, host_answers: int = HOST_ANSWERS) -> None:
        self._streak_limit = streak
        self._host_limit = host_answers
        self._key: tuple[int | None, str | None] | None = None
        self._streak = 0
        self._host = 0

    def record(self, error: IntercomError | None) -> IntercomError | None:
        """Take one id's final outcome; return the error that stops the run, or None to go on.

        :param error: what the id failed (or was skipped) with; None if it was updated.
        """
        if error is None:
            self._key, self._streak = None, 0
            return None
        if error.scope == "account":
            return error
        if error.scope == "host":
            self._host += 1
            return error if self._host >= self._host_limit else None
        if error.scope != "input":
            return None
        key = (error.status, error.code)
        self._streak = self._streak + 1 if key == self._key else 1
        self._key = key
        return _tripped(error, self._streak) if self._streak >= self._streak_limit else None


def _tripped(error: IntercomError, streak: int) -> IntercomError:
    """The error that stops the run: the last one, saying that it repeated and what to fix."""
    fix = _WHAT_TO_FIX.get(error.status or 0, "Fix what Intercom names")
    return type(error)(
        f"{streak} conversations in a row failed with this same error, so the run stopped; the rest were "
        f"not sent: {error.message}",
        **{
            **error.fields(),
            "hint": f"{fix} (code {error.code or error.status}), then clear the task.",
            "permanent": True,
            "scope": "account",
            "retryable": False,
        },
    )
