"""Close open conversations untouched for 14 days: preview, approve, then close exactly those.

1. ``preview`` is a dry run: it searches once, makes the read-only checks (the actor), sends no
   write, and returns the ids it would close with ``counts.total``.
2. ``approve`` (Airflow >= 3.1, the standard provider's ``ApprovalOperator``) shows the count and
   a sample in the Required Actions page; a human approves or rejects.
3. ``close`` takes the previewed ids and never searches again: what was approved is what gets
   closed. Intercom's search is eventually consistent, so a second search could differ.

When nothing is stale, ``anything_to_close`` skips the approval and the close. On Airflow 2.x
and 3.0, which have no ``ApprovalOperator``, the DAG runs without step 2.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow import __version__ as AIRFLOW_VERSION
from packaging.version import Version

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_intercom.operators import IntercomCloseConversationsOperator

#: How long a conversation must be untouched to count as stale.
STALE_AFTER = timedelta(days=14)

# The standard provider's Human-in-the-loop operators need Airflow >= 3.1 (3.0 refuses the import).
APPROVAL = Version(Version(AIRFLOW_VERSION).base_version) >= Version("3.1")

with DAG(
    dag_id="example_intercom_close_stale",
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["intercom", "example"],
    doc_md=__doc__,
) as dag:

    @task
    def stale_query() -> dict[str, Any]:
        """Open conversations untouched for STALE_AFTER when the task runs, as an Intercom search query."""
        cutoff = int(pendulum.now("UTC").timestamp() - STALE_AFTER.total_seconds())
        return {
            "operator": "AND",
            "value": [
                {"field": "state", "operator": "=", "value": "open"},
                {"field": "updated_at", "operator": "<", "value": cutoff},
            ],
        }

    preview = IntercomCloseConversationsOperator(task_id="preview", search_query=stale_query(), dry_run=True)

    @task
    def previewed_ids(summary: dict[str, Any]) -> list[str]:
        """The ids the dry run resolved: the close acts on these and on nothing else."""
        return list(summary["conversation_ids"])

    @task.short_circuit
    def anything_to_close(ids: list[str]) -> bool:
        """A week without stale conversations is normal: then skip the approval and the close."""
        return bool(ids)

    targets = previewed_ids(preview.output)
    gate = anything_to_close(targets)
    close = IntercomCloseConversationsOperator(task_id="close", conversation_ids=targets)
    gate >> close

    if APPROVAL:
        from airflow.providers.standard.operators.hitl import ApprovalOperator

        approve = ApprovalOperator(
            task_id="approve",
            subject="Close {{ ti.xcom_pull(task_ids='preview')['counts']['total'] }} stale Intercom conversations?",
            body=(
                "Open conversations untouched for 14 days or more. "
                "First ids: {{ ti.xcom_pull(task_ids='preview')['conversation_ids'][:20] | join(', ') }}"
            ),
            response_timeout=timedelta(days=2),
        )
        gate >> approve >> close
