"""Every morning, flag the open urgent conversations for the escalation review, in one task.

The update operator searches first (``POST /conversations/search``), then sends the same update to
every match at Intercom's rate limit: a title, and custom attributes that record the review's date
(templated: ``{{ ds }}`` renders to the run's date). Only the fields given are sent. The summary
lands in XCom with the fields listed in ``xcom_fields``; ``report`` reads it from there.
"""

from __future__ import annotations

from typing import Any

import pendulum

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_intercom.operators.intercom import IntercomUpdateConversationsOperator

OPEN_AND_URGENT = {
    "operator": "AND",
    "value": [
        {"field": "state", "operator": "=", "value": "open"},
        {"field": "priority", "operator": "=", "value": "urgent"},
    ],
}

with DAG(
    dag_id="example_intercom_bulk_update",
    schedule="0 7 * * 1-5",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["intercom", "example"],
    doc_md=__doc__,
) as dag:
    flag_for_review = IntercomUpdateConversationsOperator(
        task_id="flag_open_urgent_for_review",
        search_query=OPEN_AND_URGENT,
        title="Escalation review {{ ds }}",
        custom_attributes={"escalation_review": "{{ ds }}", "escalated": True},
        xcom_fields=["id", "title", "custom_attributes"],
        # The report names every flagged conversation: one entry per id at any size, rather than
        # ranges past 256 KB (a few thousand a morning; for far more, use updated_ids_path).
        summary="full",
        ignore_not_found=True,  # deleted between the search and the update: nothing to do
        retries=2,
        retry_delay=pendulum.duration(minutes=5),
        execution_timeout=pendulum.duration(minutes=30),
    )

    @task(multiple_outputs=False)  # one XCom, not one per key
    def report(summary: dict[str, Any]) -> dict[str, Any]:
        """Return the counts and the flagged ids; a real DAG might post them to the on-call channel."""
        return {
            "flagged": [conversation["id"] for conversation in summary["updated"]],
            "failed": summary["counts"]["failed"],
        }

    report(flag_for_review.output)
