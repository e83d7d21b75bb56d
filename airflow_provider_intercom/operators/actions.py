"""Conversation actions -- close, open, snooze, assign, tag, untag -- for one conversation or many.

Each action is written once, as a small mixin that holds its arguments and builds its request
(:meth:`prepare`: local checks first, then the read-only lookups it needs). Combined with
:class:`~._single_base.SingleConversationOperator` it acts on one conversation and returns
Intercom's answer; combined with :class:`~._bulk_base.BulkConversationsOperator` it acts on many
at Intercom's rate limit, resumably, with ``dry_run``, and returns the bulk summary.

Every action needs an actor, ``admin_id``: the operator's, else the connection's extra
``admin_id``, else the admin that owns the access token (``GET /me``, once per task).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from airflow_provider_intercom._compat import BaseOperator
from airflow_provider_intercom.client._actions import (
    ConversationRequest,
    assign_request,
    close_request,
    open_request,
    snooze_request,
    tag_request,
    untag_request,
    validate_admin_id,
    validate_assignee,
)
from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._lookup import check_assignee, resolve_tag
from airflow_provider_intercom.client._message import validate_body
from airflow_provider_intercom.client._snooze import parse_snoozed_until
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators._bulk_base import BULK_TEMPLATE_FIELDS, BulkConversationsOperator
from airflow_provider_intercom.operators._single_base import SINGLE_TEMPLATE_FIELDS, SingleConversationOperator

__all__ = [
    "IntercomAssignConversationOperator",
    "IntercomAssignConversationsOperator",
    "IntercomCloseConversationOperator",
    "IntercomCloseConversationsOperator",
    "IntercomOpenConversationOperator",
    "IntercomOpenConversationsOperator",
    "IntercomSnoozeConversationOperator",
    "IntercomSnoozeConversationsOperator",
    "IntercomTagConversationOperator",
    "IntercomTagConversationsOperator",
    "IntercomUntagConversationOperator",
    "IntercomUntagConversationsOperator",
]


class _Actor(BaseOperator):
    """An action performed by an admin: ``admin_id`` (templated), resolved when the task runs."""

    # A BaseOperator, though only ever mixed in: Airflow's metaclass then wraps this __init__,
    # which the operators inherit, and records upstream XComArgs exactly once per instance.

    fields: tuple[str, ...] = ("admin_id",)

    def __init__(self, *, admin_id: str | int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.admin_id = admin_id

    def actor(self, hook: IntercomHook) -> str:
        """The admin the action is performed as (a given one is checked before any request)."""
        return hook.actor_id(self.admin_id)

    def checked_admin_id(self) -> None:
        """Refuse a malformed ``admin_id`` before any lookup is made."""
        if self.admin_id is not None:
            validate_admin_id(self.admin_id)


class _Close(_Actor):
    """Close: the conversation's state becomes ``closed``.

    :param body: an optional message posted with the close, as the close part's own body (one
        part, not a separate reply); it is posted exactly once (docs/messages.md). (templated)
    :param admin_id: the admin who closes it; default: the connection's, else the token's owner. (templated)
    """

    fields = (*_Actor.fields, "body")

    def __init__(self, *, body: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.body = body

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        if self.body is not None:
            validate_body(self.body, where=f"{where}: body")
        self.checked_admin_id()
        return close_request(self.actor(hook), self.body, where=f"{where}: ")


class _Open(_Actor):
    """Open: the conversation's state becomes ``open``, and a snooze ends.

    :param admin_id: the admin who opens it; default: the connection's, else the token's owner. (templated)
    """

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        return open_request(self.actor(hook))


class _Snooze(_Actor):
    """Snooze until a time; the conversation reopens then.

    :param snoozed_until: an aware datetime, a timedelta from when the task runs, UNIX seconds, or
        an ISO-8601 string with an offset; it must be in the future when the task runs. (templated)
    :param admin_id: the admin who snoozes it; default: the connection's, else the token's owner. (templated)
    """

    fields = (*_Actor.fields, "snoozed_until")

    def __init__(self, *, snoozed_until: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.snoozed_until = snoozed_until

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        until = parse_snoozed_until(self.snoozed_until, now=time.time(), where=f"{where}: snoozed_until")
        self.checked_admin_id()
        request = snooze_request(self.actor(hook), until)
        # A timedelta gives each try another time: the run is the same one as long as what the
        # DAG asked for is, so a retry still resumes.
        return ConversationRequest(
            request.action,
            request.method,
            request.path,
            request.body,
            key={**(request.body or {}), "snoozed_until": str(self.snoozed_until)},
        )


class _Assign(_Actor):
    """Assign to an admin or a team, or unassign. Assigning a closed conversation reopens it.

    :param assignee_id: the admin or team to assign to; None unassigns. Checked to exist (one
        ``GET /admins`` or ``GET /teams``) before any write. (templated)
    :param assignee_type: ``"admin"`` (default) or ``"team"``. A conversation can carry both an
        admin and a team: each is assigned on its own.
    :param body: an optional message posted with the assignment, as its part's own body; it is
        posted exactly once (docs/messages.md). (templated)
    :param admin_id: the admin who assigns it; default: the connection's, else the token's owner. (templated)
    """

    fields = (*_Actor.fields, "assignee_id", "body")

    def __init__(
        self, *, assignee_id: str | int | None, assignee_type: str = "admin", body: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.assignee_id = assignee_id
        self.assignee_type = assignee_type
        self.body = body

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        assignee = validate_assignee(self.assignee_id, self.assignee_type, where=f"{where}: ")
        if self.body is not None:
            validate_body(self.body, where=f"{where}: body")
        self.checked_admin_id()
        actor = self.actor(hook)
        if assignee is not None:
            candidates = hook.client.list_all("admins" if self.assignee_type == "admin" else "teams")
            name = check_assignee(assignee, self.assignee_type, candidates, where=f"{where}: assignee_id")
            self.log.info("Assigning to %s %s (%s).", self.assignee_type, assignee, name)
        return assign_request(actor, assignee, self.assignee_type, self.body, where=f"{where}: ")


class _TagAction(_Actor):
    """Tag or untag with one tag, given by id or name (one ``GET /tags`` per task).

    :param tag: a tag's id, or its name: exact, else case-insensitive if that is unique. (templated)
    :param admin_id: the admin who tags; default: the connection's, else the token's owner. (templated)
    """

    fields = (*_Actor.fields, "tag")

    def __init__(self, *, tag: str | int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tag = tag
        self._resolved: dict[str, str] | None = None

    def resolved_tag(self, hook: IntercomHook, where: str) -> tuple[str, str]:
        if isinstance(self.tag, bool) or not isinstance(self.tag, (str, int)) or not str(self.tag).strip():
            raise IntercomValidationError(f"{where}: tag must be a tag's id or name; got {self.tag!r}.")
        self.checked_admin_id()
        actor = self.actor(hook)
        self._resolved = resolve_tag(self.tag, hook.client.list_all("tags"), where=f"{where}: tag")
        return actor, self._resolved["id"]

    def present(self, answer: dict[str, Any]) -> dict[str, Any]:
        if "already_done" in answer and self._resolved is not None:
            return {"type": "tag", **self._resolved, "already_done": answer["already_done"]}
        return answer


class _Tag(_TagAction):
    __doc__ = _TagAction.__doc__

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        return tag_request(*self.resolved_tag(hook, where))


class _Untag(_TagAction):
    __doc__ = _TagAction.__doc__

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        return untag_request(*self.resolved_tag(hook, where))


def _single(mixin: type[_Actor]) -> Sequence[str]:
    return (*SINGLE_TEMPLATE_FIELDS, *mixin.fields)


def _bulk(mixin: type[_Actor]) -> Sequence[str]:
    return (*BULK_TEMPLATE_FIELDS, *mixin.fields)


def _doc(what: str, mixin: type[_Actor], *, bulk: bool) -> str:
    # One text per action, for its single and its bulk operator: the action's own arguments,
    # after what the base (single or bulk) takes.
    base = (
        "Takes ``conversation_ids`` or ``search_query`` and every option of\n"
        ":class:`~airflow_provider_intercom.operators._bulk_base.BulkConversationsOperator` (``dry_run``,\n"
        "``resume``, ``max_concurrency`` ...), and returns its summary."
        if bulk
        else "Takes ``conversation_id`` and ``intercom_conn_id``; Intercom's answer becomes the XCom."
    )
    return f"{what}\n\n{base}\n\n{mixin.__doc__ or ''}"


class IntercomCloseConversationOperator(_Close, SingleConversationOperator):  # type: ignore[misc]
    __doc__ = _doc("Close one Intercom conversation.", _Close, bulk=False)
    template_fields: Sequence[str] = _single(_Close)


class IntercomCloseConversationsOperator(_Close, BulkConversationsOperator):  # type: ignore[misc]
    __doc__ = _doc("Close many Intercom conversations, at Intercom's rate limit.", _Close, bulk=True)
    template_fields: Sequence[str] = _bulk(_Close)


class IntercomOpenConversationOperator(_Open, SingleConversationOperator):  # type: ignore[misc]
    __doc__ = _doc("Open one Intercom conversation.", _Open, bulk=False)
    template_fields: Sequence[str] = _single(_Open)


class IntercomOpenConversationsOperator(_Open, BulkConversationsOperator):  # type: ignore[misc]
    __doc__ = _doc("Open many Intercom conversations, at Intercom's rate limit.", _Open, bulk=True)
    template_fields: Sequence[str] = _bulk(_Open)


class IntercomSnoozeConversationOperator(_Snooze, SingleConversationOperator):  # type: ignore[misc]
    __doc__ = _doc("Snooze one Intercom conversation.", _Snooze, bulk=False)
    template_fields: Sequence[str] = _single(_Snooze)


class IntercomSnoozeConversationsOperator(_Snooze, BulkConversationsOperator):  # type: ignore[misc]
    __doc__ = _doc("Snooze many Intercom conversations, at Intercom's rate limit.", _Snooze, bulk=True)
    template_fields: Sequence[str] = _bulk(_Snooze)


class IntercomAssignConversationOperator(_Assign, SingleConversationOperator):  # type: ignore[misc]
    __doc__ = _doc("Assign one Intercom conversation.", _Assign, bulk=False)
    template_fields: Sequence[str] = _single(_Assign)


class IntercomAssignConversationsOperator(_Assign, BulkConversationsOperator):  # type: ignore[misc]
    __doc__ = _doc("Assign many Intercom conversations, at Intercom's rate limit.", _Assign, bulk=True)
    template_fields: Sequence[str] = _bulk(_Assign)


class IntercomTagConversationOperator(_Tag, SingleConversationOperator):  # type: ignore[misc]
    __doc__ = _doc("Tag one Intercom conversation.", _Tag, bulk=False)
    template_fields: Sequence[str] = _single(_Tag)


class IntercomTagConversationsOperator(_Tag, BulkConversationsOperator):  # type: ignore[misc]
    __doc__ = _doc("Tag many Intercom conversations, at Intercom's rate limit.", _Tag, bulk=True)
    template_fields: Sequence[str] = _bulk(_Tag)


class IntercomUntagConversationOperator(_Untag, SingleConversationOperator):  # type: ignore[misc]
    __doc__ = _doc("Untag one Intercom conversation.", _Untag, bulk=False)
    template_fields: Sequence[str] = _single(_Untag)


class IntercomUntagConversationsOperator(_Untag, BulkConversationsOperator):  # type: ignore[misc]
    __doc__ = _doc("Untag many Intercom conversations, at Intercom's rate limit.", _Untag, bulk=True)
    template_fields: Sequence[str] = _bulk(_Untag)
