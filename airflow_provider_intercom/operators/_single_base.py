"""The base of every single-conversation operator: check, send one request, return JSON-safe data.

A single operator only says which request its action sends (:meth:`SingleConversationOperator.prepare`);
this base validates the id, sends the request through the hook's client, stores what the "View in
Intercom" link needs, and fails without Airflow's retries when no retry can help
(:func:`~airflow_provider_intercom.exceptions.task_error`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom._compat import BaseOperator, Context
from airflow_provider_intercom.client._actions import PAST_TENSE
from airflow_provider_intercom.client._error import IntercomError
from airflow_provider_intercom.client._validation import validate_conversation_id
from airflow_provider_intercom.connection import DEFAULT_CONN_ID
from airflow_provider_intercom.exceptions import task_error
from airflow_provider_intercom.hooks.intercom import IntercomHook
from airflow_provider_intercom.links import CONVERSATION_URL_XCOM_KEY, IntercomConversationLink, conversation_url

if TYPE_CHECKING:
    from airflow_provider_intercom.client._actions import ConversationRequest

#: The template fields every single-conversation operator has.
SINGLE_TEMPLATE_FIELDS: tuple[str, ...] = ("conversation_id", "intercom_conn_id")


def outcome_line(conversation_id: str, action: str, answer: dict[str, Any]) -> str:
    """The task log's line for what the request did, from the answer the task returns.

    :param conversation_id: the conversation id.
    :param action: the request's action (``"reply"``, ``"close"``, ...).
    :param answer: Intercom's answer, or what the exactly-once path returned instead of it.
    """
    done = PAST_TENSE[action]
    if answer.get("resumed"):
        # A clear (or retry) of a task that already posted: say plainly that nothing was sent.
        return (
            f"Intercom conversation {conversation_id}: already {done} by an earlier try of this task; "
            "nothing was posted again (resend=True posts it again)."
        )
    if answer.get("verified"):
        return (
            f"Intercom conversation {conversation_id} {done}: the answer was lost, and reading the conversation "
            "back found the message posted once."
        )
    if "already_done" in answer:
        return f"Intercom conversation {conversation_id} {done}: nothing to do ({answer['already_done']})."
    details = ", ".join(f"{key}={answer.get(key)!r}" for key in ("state", "read", "name") if key in answer)
    return f"Intercom conversation {conversation_id} {done}: {details}."


class SingleConversationOperator(BaseOperator):
    """Apply one action to one Intercom conversation; Intercom's answer becomes the XCom.

    :param conversation_id: the conversation id, digits such as ``"123"`` or an int. (templated)
    :param intercom_conn_id: the Airflow connection of type ``intercom``. (templated)
    :param resend: for actions that post a message (a reply, a note, a close or an assignment
        with a ``body``): make no read-back, and post again what an earlier run of this task
        posted (clearing a task that succeeded posts every message again). On Airflow >= 3.3 a
        retry within one run still skips what an earlier try confirmed. By default a retried or
        cleared task posts nothing twice (docs/messages.md).
    """

    template_fields: Sequence[str] = SINGLE_TEMPLATE_FIELDS
    operator_extra_links = (IntercomConversationLink(),)
    ui_color = "#e0f0ff"

    def __init__(
        self,
        *,
        conversation_id: str | int,
        intercom_conn_id: str = DEFAULT_CONN_ID,
        resend: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.conversation_id = conversation_id
        self.intercom_conn_id = intercom_conn_id
        self.resend = resend
        self._stop_event: threading.Event | None = None

    def prepare(self, hook: IntercomHook, where: str) -> ConversationRequest:
        """The request this operator sends.

        Check the operator's own arguments first, then make the read-only lookups the action needs
        (the actor, a tag, an assignee) through ``hook``: bad input must fail before any request.

        :param hook: the task's hook.
        :param where: how messages name the task.
        """
        raise NotImplementedError

    def present(self, answer: dict[str, Any]) -> dict[str, Any]:
        """What the task returns of Intercom's answer (by default, all of it).

        :param answer: what :meth:`.IntercomClient.send_action` returned.
        """
        return answer

    def execute(self, context: Context) -> dict[str, Any]:
        """Send the request and return the answer.

        :param context: the Airflow task context.
        """
        where = f"Task {self.task_id!r}"
        try:
            conversation_id = validate_conversation_id(self.conversation_id)
            hook = IntercomHook(self.intercom_conn_id)
            try:
                request = self.prepare(hook, where)
                if request.message is not None:
                    # Imported here: the bulk engine behind it is not for DAG parsing to pay for.
                    from airflow_provider_intercom.operators._post_once import post_once

                    # Created here, not in __init__: Airflow copies operators, and an Event cannot be copied.
                    self._stop_event = threading.Event()
                    answer = post_once(
                        context,
                        hook,
                        request,
                        conversation_id,
                        log=self.log,
                        resend=self.resend,
                        stop_event=self._stop_event,
                    )
                else:
                    answer = hook.client.send_action(request, conversation_id)
                self.log.info("%s", outcome_line(conversation_id, request.action, answer))
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
        return self.present(answer)

    def on_kill(self) -> None:
        """Stop a message that is being posted: Airflow calls this when the task is killed."""
        if self._stop_event is not None:
            self._stop_event.set()
