"""Search once, act several times: the ids of every conversation an Intercom search matches.

Its XCom is a plain list of id strings (about 10 bytes an id), for the bulk operators'
``conversation_ids`` and for an approval step to show. For very large sets, give the bulk
operators ``search_query`` instead: they keep the ids out of XCom.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from airflow_provider_intercom._compat import BaseOperator, Context
from airflow_provider_intercom.client._error import IntercomError
from airflow_provider_intercom.client._validation import validate_search_query
from airflow_provider_intercom.client.facts import DEFAULT_PROGRESS_INTERVAL
from airflow_provider_intercom.connection import DEFAULT_CONN_ID
from airflow_provider_intercom.exceptions import task_error
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.operators._search import search_ids

__all__ = ["IntercomSearchConversationsOperator"]


class IntercomSearchConversationsOperator(BaseOperator):
    """Collect the ids of every conversation an Intercom search matches; the list becomes the XCom.

    Intercom's search is eventually consistent: a conversation changed a moment ago may match
    late. Search once, then act on exactly these ids, as many times as needed.

    :param search_query: an Intercom search query (the ``query`` of POST /conversations/search),
        checked before any request. (templated)
    :param intercom_conn_id: the Airflow connection of type ``intercom``. (templated)
    :param progress_interval: seconds between progress lines while the search pages.
    """

    template_fields: Sequence[str] = ("search_query", "intercom_conn_id")
    ui_color = "#e0f0ff"

    def __init__(
        self,
        *,
        search_query: Any,
        intercom_conn_id: str = DEFAULT_CONN_ID,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.search_query = search_query
        self.intercom_conn_id = intercom_conn_id
        self.progress_interval = progress_interval
        self._stop_event: threading.Event | None = None

    def execute(self, context: Context) -> list[str]:
        """Page through the search and return the ids, as strings, in Intercom's order.

        :param context: the Airflow task context.
        """
        try:
            query = validate_search_query(self.search_query)
            self._stop_event = threading.Event()
            hook = IntercomHook(self.intercom_conn_id, stop_event=self._stop_event)
            try:
                return search_ids(hook, query, log=self.log, progress_interval=self.progress_interval)
            finally:
                hook.close()
        except IntercomError as err:
            error = task_error(err)
            if error is err:
                raise
            raise error from err

    def on_kill(self) -> None:
        """Stop paging: Airflow calls this when the task is killed."""
        if self._stop_event is not None:
            self._stop_event.set()
