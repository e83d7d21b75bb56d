"""Mark one Intercom conversation read every hour, then use the updated conversation downstream.

Trigger it with ``{"conversation_id": "123"}`` as the run's config (params), or let it use the
default. The conversation Intercom returns lands in XCom, and ``summarize`` reads it from there.
"""

from __future__ import annotations

from typing import Any

import pendulum

try:
    from airflow.sdk import DAG, Param, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task
    from airflow.models.param import Param

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationReadOperator

with DAG(
    dag_id="example_intercom_mark_read",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={"conversation_id": Param("1", type="string", pattern=r"^\d+$", description="Conversation to mark read")},
    tags=["intercom", "example"],
    doc_md=__doc__,
) as dag:
    mark_read = IntercomMarkConversationReadOperator(
        task_id="mark_read",
        conversation_id="{{ params.conversation_id }}",
        intercom_conn_id="intercom_default",
        retries=2,
        retry_delay=pendulum.duration(minutes=2),
    )

    @task(multiple_outputs=False)  # one XCom, not one per key
    def summarize(conversation: dict[str, Any]) -> dict[str, Any]:
        """Keep what a report needs from the conversation the upstream task returned."""
        return {
            "id": conversation["id"],
            "read": conversation["read"],
            "state": conversation["state"],
            "updated_at": conversation["updated_at"],
        }

    summarize(mark_read.output)
