"""Every night, mark every closed, unread Intercom conversation as read, in one task.

The bulk operator searches first (``POST /conversations/search``), then marks the matches read
at Intercom's rate limit. Its summary lands in XCom; ``report`` reads the counts from there.
"""

from __future__ import annotations

from typing import Any

import pendulum

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator

CLOSED_AND_UNREAD = {
    "operator": "AND",
    "value": [
        {"field": "state", "operator": "=", "value": "closed"},
        {"field": "read", "operator": "=", "value": False},
    ],
}

with DAG(
    dag_id="example_intercom_bulk_nightly",
    schedule="0 3 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["intercom", "example"],
    doc_md=__doc__,
) as dag:
    mark_closed_read = IntercomMarkConversationsReadOperator(
        task_id="mark_closed_unread_read",
        search_query=CLOSED_AND_UNREAD,
        max_requests_per_minute=8000,  # leave a fifth of the app's budget to other integrations
        ignore_not_found=True,  # deleted between the search and the update: nothing to do
        retries=2,
        retry_delay=pendulum.duration(minutes=5),
        execution_timeout=pendulum.duration(hours=1),
    )

    @task(multiple_outputs=False)  # one XCom, not one per key
    def report(summary: dict[str, Any]) -> dict[str, int]:
        """Return the counts; a real DAG might post them to Slack."""
        return {key: summary["counts"][key] for key in ("total", "updated", "skipped", "failed")}

    report(mark_closed_read.output)
