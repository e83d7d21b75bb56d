"""Literal id lists in real DAG runs: kept as given, templated ids among them rendered, XComArgs resolved."""

from __future__ import annotations

import pendulum

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator

#: Enough literal ids that rendering each as a template would show (about 0.2 ms each).
LITERAL = [str(number) for number in range(1, 20_001)]

with DAG(
    dag_id="test_intercom_literal_ids",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    params={"extra": "20001", "one": "3"},
):
    # A dry run: the ids as the task resolved them land in its XCom, and nothing is sent.
    IntercomMarkConversationsReadOperator(
        task_id="literal", conversation_ids=[*LITERAL, "{{ params.extra }}"], dry_run=True
    )
    IntercomMarkConversationsReadOperator(
        task_id="mixed", conversation_ids=("2", "{{ params.one }}", 4), fail_on_error=True
    )

    @task
    def upstream() -> list[str]:
        return ["5", "6"]

    IntercomMarkConversationsReadOperator(task_id="from_upstream", conversation_ids=upstream())
