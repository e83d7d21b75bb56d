"""Close every open conversation found by a search: a dry run first, then the real run."""

from __future__ import annotations

import pendulum

try:
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow_provider_intercom.operators import (
    IntercomCloseConversationsOperator,
    IntercomSearchConversationsOperator,
    IntercomSnoozeConversationsOperator,
)

OPEN = {"field": "state", "operator": "=", "value": "open"}

with DAG(dag_id="test_intercom_close_by_search", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    preview = IntercomCloseConversationsOperator(task_id="preview", search_query=OPEN, dry_run=True)
    close = IntercomCloseConversationsOperator(task_id="close", search_query=OPEN)
    preview >> close

with DAG(dag_id="test_intercom_search_then_snooze", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    found = IntercomSearchConversationsOperator(
        task_id="find", search_query={"field": "tag_ids", "operator": "=", "value": "84"}
    )
    IntercomSnoozeConversationsOperator(task_id="snooze", conversation_ids=found.output, snoozed_until=1_900_000_000)
