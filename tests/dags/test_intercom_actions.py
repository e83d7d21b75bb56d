"""Every conversation action, single and bulk, in one DAG run: ids 1-6 one at a time, 11-40 in bulk."""

from __future__ import annotations

from datetime import timedelta

import pendulum

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow_provider_intercom.operators import (
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

SUPPORT_TEAM = "5017691"
AOIFE = "991267653"


def _ids(first: int, count: int) -> list[str]:
    return [str(i) for i in range(first, first + count)]


with DAG(dag_id="test_intercom_actions", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    # One at a time: the single operators. Each conversation gets its own action.
    close = IntercomCloseConversationOperator(task_id="close", conversation_id="1")
    reopen = IntercomOpenConversationOperator(task_id="open", conversation_id="2")
    snooze = IntercomSnoozeConversationOperator(task_id="snooze", conversation_id="3", snoozed_until=timedelta(hours=2))
    assign = IntercomAssignConversationOperator(
        task_id="assign", conversation_id="4", assignee_id=SUPPORT_TEAM, assignee_type="team", admin_id=AOIFE
    )
    tag = IntercomTagConversationOperator(task_id="tag", conversation_id="5", tag="Needs-Review")
    untag = IntercomUntagConversationOperator(task_id="untag", conversation_id="6", tag="billing")
    # Many at a time: the bulk operators, five ids each.
    bulk_close = IntercomCloseConversationsOperator(task_id="bulk_close", conversation_ids=_ids(11, 5))
    bulk_open = IntercomOpenConversationsOperator(task_id="bulk_open", conversation_ids=_ids(16, 5))
    bulk_snooze = IntercomSnoozeConversationsOperator(
        task_id="bulk_snooze",
        conversation_ids=_ids(21, 5),
        # Templated, as a DAG would take it from its params or logical date.
        snoozed_until="{{ (macros.datetime.now(macros.dateutil.tz.UTC) + macros.timedelta(days=1)).isoformat() }}",
    )
    bulk_assign = IntercomAssignConversationsOperator(
        task_id="bulk_assign", conversation_ids=_ids(26, 5), assignee_id=AOIFE
    )
    bulk_tag = IntercomTagConversationsOperator(task_id="bulk_tag", conversation_ids=_ids(31, 5), tag="84")
    bulk_untag = IntercomUntagConversationsOperator(task_id="bulk_untag", conversation_ids=_ids(36, 5), tag="vip")
