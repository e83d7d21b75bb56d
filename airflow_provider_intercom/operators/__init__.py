"""Every operator of the provider, importable from here.

Importing this package imports neither ``aiohttp`` nor ``requests``: the bulk engine and the
transports are loaded when a task runs, not when a DAG file is parsed.
"""

from __future__ import annotations

from airflow_provider_intercom.operators.actions import (
    IntercomAssignConversationOperator,
    IntercomAssignConversationsOperator,
    IntercomCloseConversationOperator,
    IntercomCloseConversationsOperator,
    IntercomOpenConversationOperator,
    IntercomOpenConversationsOperator,
    IntercomSnoozeConversationOperator,
    IntercomSnoozeConversationsOperator,
    IntercomTagConversationOperator,
    IntercomTagConversationsOperator,
    IntercomUntagConversationOperator,
    IntercomUntagConversationsOperator,
)
from airflow_provider_intercom.operators.bulk import (
    IntercomMarkConversationsReadOperator,
    IntercomUpdateConversationsOperator,
)
from airflow_provider_intercom.operators.intercom import (
    IntercomMarkConversationReadOperator,
    IntercomUpdateConversationOperator,
)
from airflow_provider_intercom.operators.messages import (
    IntercomReplyToConversationOperator,
    IntercomReplyToConversationsOperator,
)
from airflow_provider_intercom.operators.search import IntercomSearchConversationsOperator

__all__ = [
    "IntercomAssignConversationOperator",
    "IntercomAssignConversationsOperator",
    "IntercomCloseConversationOperator",
    "IntercomCloseConversationsOperator",
    "IntercomMarkConversationReadOperator",
    "IntercomMarkConversationsReadOperator",
    "IntercomOpenConversationOperator",
    "IntercomOpenConversationsOperator",
    "IntercomReplyToConversationOperator",
    "IntercomReplyToConversationsOperator",
    "IntercomSearchConversationsOperator",
    "IntercomSnoozeConversationOperator",
    "IntercomSnoozeConversationsOperator",
    "IntercomTagConversationOperator",
    "IntercomTagConversationsOperator",
    "IntercomUntagConversationOperator",
    "IntercomUntagConversationsOperator",
    "IntercomUpdateConversationOperator",
    "IntercomUpdateConversationsOperator",
]
