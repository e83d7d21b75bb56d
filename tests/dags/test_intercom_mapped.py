"""A DAG the provider's authors did not ship: mapped single-id tasks, written by 'a user'."""

from __future__ import annotations

import pendulum

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationReadOperator

with DAG(dag_id="test_intercom_mapped", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):

    @task
    def pick() -> list[str]:
        return ["2", "4", "6"]

    marked = IntercomMarkConversationReadOperator.partial(task_id="mark").expand(conversation_id=pick())

    @task
    def collect(conversations: list[dict]) -> list[str]:  # type: ignore[type-arg]
        return sorted(c["id"] for c in conversations if c["read"])

    collect(marked.output)
