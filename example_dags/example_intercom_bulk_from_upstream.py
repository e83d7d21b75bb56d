"""Mark the conversations an upstream task lists as read, in one bulk task.

``find_conversations`` stands for whatever decides which conversations to close the loop on (a
warehouse query, a support-ops rule). Its list reaches the bulk operator as an XComArg
(``.output``), which is how large lists should travel: a Jinja template would render to a string.
"""

from __future__ import annotations

import pendulum

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator

with DAG(
    dag_id="example_intercom_bulk_from_upstream",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["intercom", "example"],
    doc_md=__doc__,
) as dag:

    @task
    def find_conversations() -> list[str]:
        """Return the ids to mark read (here a fixed list; 2 appears twice and is sent once)."""
        return ["1", "2", "3", "2", "5"]

    IntercomMarkConversationsReadOperator(
        task_id="mark_listed_read",
        conversation_ids=find_conversations(),
        retries=2,
        retry_delay=pendulum.duration(minutes=5),
    )
