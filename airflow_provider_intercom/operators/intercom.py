"""Operators that update one Intercom conversation; the bulk ones are re-exported from :mod:`.bulk`.

They stay thin: validate the input, make one client call, return JSON-safe data. An error that
no retry can fix fails the task without Airflow's retries (:func:`~airflow_provider_intercom.exceptions.task_error`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_intercom._compat import BaseOperator, Context
from airflow_provider_intercom.client._error import IntercomError
from airflow_provider_intercom.client._validation import update_body_of, validate_conversation_id
from airflow_provider_intercom.connection import DEFAULT_CONN_ID
from airflow_provider_intercom.exceptions import task_error
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.links import CONVERSATION_URL_XCOM_KEY, IntercomConversationLink, conversation_url
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


class IntercomUpdateConversationOperator(BaseOperator):
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

    template_fields: Sequence[str] = (
        "conversation_id",
        "read",
        "title",
        "custom_attributes",
        "company_id",
        "intercom_conn_id",
    )
    operator_extra_links = (IntercomConversationLink(),)
    ui_color = "#e0f0ff"

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
        super().__init__(**kwargs)
        self.conversation_id = conversation_id
        self.read = read
        self.title = title
        self.custom_attributes = custom_attributes
        self.company_id = company_id
        self.remove_company = remove_company
        self.intercom_conn_id = intercom_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        """Update the conversation and return it.

        :param context: the Airflow task context.
        """
        try:
            conversation_id = validate_conversation_id(self.conversation_id)
            body = update_body_of(self, where=f"Task {self.task_id!r}")
            hook = IntercomHook(self.intercom_conn_id)
            try:
                conversation = hook.client.put_conversation(conversation_id, body)
                self.log.info(
                    "Updated Intercom conversation %s (%s): read=%s, state=%s.",
                    conversation_id,
                    ", ".join(sorted(body)),
                    conversation.get("read"),
                    conversation.get("state"),
                )
                # What the "View in Intercom" link needs, stored now: get_link must not call Intercom.
                app_id_code = hook.get_app_id_code()
            finally:
                hook.close()
        except IntercomError as err:
            error = task_error(err)
            if error is err:
                raise  # retryable: as it is (`raise err from err` would make it its own cause)
            raise error from err
        if app_id_code:
            url = conversation_url(hook.settings.app_base_url, app_id_code, conversation_id)
            context["ti"].xcom_push(key=CONVERSATION_URL_XCOM_KEY, value=url)
        return conversation


class IntercomMarkConversationReadOperator(IntercomUpdateConversationOperator):
    """Mark one Intercom conversation as read; the updated conversation becomes the XCom.

    Sends ``PUT /conversations/{conversation_id}`` with ``{"read": true}``. Works with
    ``.partial(...).expand(conversation_id=...)``; for more than a few hundred ids, prefer
    :class:`~airflow_provider_intercom.operators.bulk.IntercomMarkConversationsReadOperator`.

    :param conversation_id: the conversation id, digits such as ``"123"`` or an int. (templated)
    :param intercom_conn_id: the Airflow connection of type ``intercom``. (templated)
    """

    template_fields: Sequence[str] = ("conversation_id", "intercom_conn_id")

    def __init__(self, *, conversation_id: str | int, intercom_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(conversation_id=conversation_id, read=True, intercom_conn_id=intercom_conn_id, **kwargs)
