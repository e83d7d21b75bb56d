"""Tag the conversations an upstream task lists, in one bulk task.

``at_risk_conversations`` stands for whatever decides which conversations to tag (a warehouse
query, a churn model). The tag is given by name: the task looks it up once (``GET /tags``) and
fails before any write if no tag has that name, naming the closest ones.
"""

from __future__ import annotations

import pendulum

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_intercom.operators import IntercomTagConversationsOperator

with DAG(
    dag_id="example_intercom_tag_from_upstream",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["intercom", "example"],
    doc_md=__doc__,
) as dag:

    @task
    def at_risk_conversations() -> list[str]:
        """Return the ids to tag (here a fixed list)."""
        return ["2", "4", "6", "8"]

    IntercomTagConversationsOperator(
        task_id="tag_churn_risk",
        conversation_ids=at_risk_conversations(),
        tag="churn-risk",
        retries=2,
        retry_delay=pendulum.duration(minutes=5),
    )
