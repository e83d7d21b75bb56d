"""The "View in Intercom" extra link on the single-conversation task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_intercom._compat import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.sdk.types import TaskInstanceKey

    from airflow_provider_intercom._compat import BaseOperator

#: The XCom key under which ``execute()`` stores the finished URL.
CONVERSATION_URL_XCOM_KEY = "intercom_conversation_url"


def conversation_url(app_base_url: str, app_id_code: str, conversation_id: str) -> str:
    """The inbox URL of a conversation.

    :param app_base_url: the region's inbox host, e.g. ``https://app.eu.intercom.com``.
    :param app_id_code: the workspace's id code (``app.id_code`` of ``GET /me``).
    :param conversation_id: the conversation id.
    """
    return f"{app_base_url}/a/inbox/{app_id_code}/inbox/conversation/{conversation_id}"


class IntercomConversationLink(BaseOperatorLink):
    """Opens the task's conversation in Intercom's inbox.

    ``execute()`` stores the URL in XCom, so this only reads it: Airflow 3 resolves links in the
    worker when the task ends, Airflow 2 in the webserver, which must not call Intercom.
    """

    name = "View in Intercom"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        """Return the stored URL, or an empty string (no button) if the task stored none.

        :param operator: the task's operator.
        :param ti_key: the task instance to read the URL of.
        """
        url = XCom.get_value(ti_key=ti_key, key=CONVERSATION_URL_XCOM_KEY)
        return url if isinstance(url, str) else ""
