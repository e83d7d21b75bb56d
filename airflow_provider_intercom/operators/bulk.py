"""Operators that apply one update to many Intercom conversations, at Intercom's rate limit.

The flow -- checks, the search, the run, the summary -- is the bulk base's
(:mod:`._bulk_base`); an update operator only builds its ``PUT`` body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_intercom.client._actions import ConversationRequest, update_request
from airflow_provider_intercom.client._validation import update_body_of
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators._bulk_base import BULK_TEMPLATE_FIELDS, BulkConversationsOperator

__all__ = ["IntercomMarkConversationsReadOperator", "IntercomUpdateConversationsOperator"]


class IntercomUpdateConversationsOperator(BulkConversationsOperator):
    """Apply one update to many Intercom conversations in one task, at Intercom's rate limit.

    Give exactly one of ``conversation_ids`` or ``search_query``, and at least one field to set.
    Takes every option of :class:`~._bulk_base.BulkConversationsOperator` (``dry_run``,
    ``max_concurrency``, ``ignore_not_found``, ``xcom_fields``, ``resume`` ...) and returns its
    summary.

    :param read: mark read (True) or unread (False). (templated)
    :param title: a new title. (templated)
    :param custom_attributes: attribute name to value: a string, integer, decimal, boolean, or a
        date as a UNIX timestamp. (templated)
    :param company_id: the company to associate the conversations with. (templated)
    :param remove_company: remove the conversations' company (Intercom: ``company_id`` null).
    """

    template_fields: Sequence[str] = (*BULK_TEMPLATE_FIELDS, "read", "title", "custom_attributes", "company_id")

    def __init__(
        self,
        *,
        read: bool | None = None,
        title: str | None = None,
        custom_attributes: Mapping[str, Any] | None = None,
        company_id: str | None = None,
        remove_company: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
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


class IntercomMarkConversationsReadOperator(IntercomUpdateConversationsOperator):
    """Mark many Intercom conversations as read in one task, at Intercom's rate limit.

    The :class:`IntercomUpdateConversationsOperator` with ``read=True``; it takes the same
    arguments otherwise, and returns the same summary.
    """

    template_fields: Sequence[str] = BULK_TEMPLATE_FIELDS

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read=True, **kwargs)
