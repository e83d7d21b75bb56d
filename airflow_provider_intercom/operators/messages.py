"""Replies and notes, to one conversation or many, posted exactly once.

An admin's reply (``message_type="comment"``, seen by the customer) or note (``"note"``, seen by
teammates only): ``POST /conversations/{id}/reply`` with ``type: "admin"``. Intercom has no
idempotency key, so a message whose answer was lost is read back before it is ever sent again,
and a retried or cleared task posts nothing twice (docs/messages.md). The single operator goes
through the same engine as the bulk one, with one id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_intercom.client._actions import ConversationRequest, reply_request
from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._message import (
    validate_attachment_urls,
    validate_bodies,
    validate_body,
    validate_message_type,
)
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators._bulk_base import BULK_TEMPLATE_FIELDS, BulkConversationsOperator
from airflow_provider_intercom.operators._single_base import SINGLE_TEMPLATE_FIELDS, SingleConversationOperator
from airflow_provider_intercom.operators.actions import _Actor, _doc

__all__ = ["IntercomReplyToConversationOperator", "IntercomReplyToConversationsOperator"]


class _Reply(_Actor):
    """Post an admin's reply or note.

    :param body: the message, plain text or HTML. (templated)
    :param message_type: ``"comment"`` (the customer sees it) or ``"note"`` (teammates only).
    :param skip_notifications: do not notify the customer or the teammates of it.
    :param attachment_urls: up to 10 image URLs to attach. (templated)
    :param admin_id: the admin it is posted as; default: the connection's, else the token's owner. (templated)
    """

    fields = (*_Actor.fields, "body", "attachment_urls")
    #: Whether ``body`` may map each conversation to its own text (the bulk operator).
    per_conversation_bodies = False

    def __init__(
        self,
        *,
        body: Any,
        message_type: str,
        skip_notifications: bool = False,
        attachment_urls: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = f"Task {kwargs.get('task_id', '?')!r}"
        validate_message_type(message_type, where=f"{where}: message_type")
        self.body = body
        self.message_type = message_type
        self.skip_notifications = skip_notifications
        self.attachment_urls = attachment_urls

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        per_id = self.per_conversation_bodies and isinstance(self.body, Mapping)
        if not per_id:
            validate_body(self.body, where=f"{where}: body")
        validate_attachment_urls(self.attachment_urls, where=f"{where}: attachment_urls")
        self.checked_admin_id()
        # Built with a stand-in text when each conversation has its own: bind() puts them in.
        text = "(per conversation)" if per_id else self.body
        return reply_request(
            self.actor(hook),
            text,
            self.message_type,
            skip_notifications=self.skip_notifications,
            attachment_urls=self.attachment_urls,
            where=f"{where}: ",
        )


class IntercomReplyToConversationOperator(_Reply, SingleConversationOperator):  # type: ignore[misc]
    __doc__ = _doc("Reply to one Intercom conversation, or add a note to it, exactly once.", _Reply, bulk=False)
    template_fields: Sequence[str] = (*SINGLE_TEMPLATE_FIELDS, *_Reply.fields)

    def __init__(self, *, message_type: str = "comment", **kwargs: Any) -> None:
        super().__init__(message_type=message_type, **kwargs)


class IntercomReplyToConversationsOperator(_Reply, BulkConversationsOperator):  # type: ignore[misc]
    __doc__ = _doc(
        "Reply to many Intercom conversations, or add a note to each, exactly once, at Intercom's rate limit.\n\n"
        "``message_type`` has no default here, so that a forgotten argument cannot message every customer.\n"
        "``body`` may map each conversation id to its own body (e.g. an upstream task's ``.output``); the ids\n"
        "are then its keys, unless ``conversation_ids`` is given.",
        _Reply,
        bulk=True,
    )
    template_fields: Sequence[str] = (*BULK_TEMPLATE_FIELDS, *_Reply.fields)
    per_conversation_bodies = True

    def __init__(self, *, body: Any, conversation_ids: Any = None, search_query: Any = None, **kwargs: Any) -> None:
        where = f"Task {kwargs.get('task_id', '?')!r}"
        if isinstance(body, Mapping) and search_query is not None:
            raise IntercomValidationError(
                f"{where}: per-conversation bodies need the ids: give conversation_ids (or none: the bodies' "
                "keys are used), not search_query."
            )
        from_body = conversation_ids is None and search_query is None and not isinstance(body, str)
        super().__init__(
            body=body, conversation_ids=body if from_body else conversation_ids, search_query=search_query, **kwargs
        )
        self._ids_from_body = from_body

    def given_ids(self) -> Any:
        if self._ids_from_body:
            if not isinstance(self.conversation_ids, Mapping):
                raise IntercomValidationError(
                    f"Task {self.task_id!r}: body must be a string, or a mapping from conversation id to body "
                    f"when no conversation_ids or search_query is given; got {type(self.conversation_ids).__name__}."
                )
            return list(self.conversation_ids)
        return self.conversation_ids

    def bind(self, request: ConversationRequest, ids: list[str] | None, where: str) -> ConversationRequest:
        if not isinstance(self.body, Mapping):
            return request
        if ids is None:
            raise IntercomValidationError(f"{where}: per-conversation bodies need conversation_ids, not search_query.")
        bodies = validate_bodies(self.body, ids, where=f"{where}: body")
        return ConversationRequest(
            request.action,
            request.method,
            request.path,
            request.body,
            idempotent=False,
            message=request.message,
            bodies={cid: bodies[cid] for cid in ids},
        )
