"""Operators that update one Intercom conversation; every other operator is re-exported here too.

They stay thin: the base (:mod:`._single_base`) validates the id, sends one request and returns
JSON-safe data; an update operator only builds its ``PUT`` body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_intercom.client._actions import ConversationRequest, update_request
from airflow_provider_intercom.client._validation import update_body_of
from airflow_provider_intercom.connection import DEFAULT_CONN_ID
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators._single_base import SINGLE_TEMPLATE_FIELDS, SingleConversationOperator
from airflow_provider_intercom.operators.bulk import (
    IntercomMarkConversationsReadOperator,
    IntercomUpdateConversationsOperator,
)

__all__ = [
    "IntercomMarkConversationReadOperator",
    "IntercomMarkConversationsReadOperator",
    "IntercomUpdateConversationOperator",
    "IntercomUpdateConversationsOperator",
]


class IntercomUpdateConversationOperator(SingleConversationOperator):
    """Update one Intercom conversation; the updated conversation becomes the XCom.

    Sends ``PUT /conversations/{conversation_id}`` with the fields given (only those) and returns
    Intercom's Conversation JSON, which Airflow stores as the XCom ``return_value``. Every field
    is checked before any request.

    :param conversation_id: the conversation id, digits such as ``"123"`` or an int. (templated)
    :param read: mark the conversation read (True) or unread (False). (templated)
    :param title: a new title. (templated)
    :param custom_attributes: attribute name to value: a string, integer, decimal, boolean, or a
        date as a UNIX timestamp. (templated)
    :param company_id: the company to associate the conversation with. (templated)
    :param remove_company: remove the conversation's company (Intercom: ``company_id`` null).
    :param intercom_conn_id: the Airflow connection of type ``intercom``. (templated)
    """

    template_fields: Sequence[str] = (*SINGLE_TEMPLATE_FIELDS, "read", "title", "custom_attributes", "company_id")

    def __init__(
        self,
        *,
        conversation_id: str | int,
        read: bool | None = None,
        title: str | None = None,
        custom_attributes: Mapping[str, Any] | None = None,
        company_id: str | None = None,
        remove_company: bool = False,
        intercom_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(conversation_id=conversation_id, intercom_conn_id=intercom_conn_id, **kwargs)
        self.read = read
        self.title = title
        self.custom_attributes = custom_attributes
        self.company_id = company_id
        self.remove_company = remove_company

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        """``PUT /conversations/{id}`` with the fields given.

        :param hook: the task's hook (an update needs no lookup).
        :param where: how messages name the task.
        """
        return update_request(update_body_of(self, where=where))


class IntercomMarkConversationReadOperator(IntercomUpdateConversationOperator):
    """Mark one Intercom conversation as read; the updated conversation becomes the XCom.

    Sends ``PUT /conversations/{conversation_id}`` with ``{"read": true}``. Works with
    ``.partial(...).expand(conversation_id=...)``; for more than a few hundred ids, prefer
    :class:`~airflow_provider_intercom.operators.bulk.IntercomMarkConversationsReadOperator`.

    :param conversation_id: the conversation id, digits such as ``"123"`` or an int. (templated)
    :param intercom_conn_id: the Airflow connection of type ``intercom``. (templated)
    """

    template_fields: Sequence[str] = SINGLE_TEMPLATE_FIELDS

    def __init__(self, *, conversation_id: str | int, intercom_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(conversation_id=conversation_id, read=True, intercom_conn_id=intercom_conn_id, **kwargs)
