"""Reply to each of several conversations with its own generated text, exactly once.

``draft_replies`` stands for whatever writes the replies (a template per customer, a model): it
returns a mapping from conversation id to reply. The bulk operator posts each one as a comment
the customer sees. A retried or cleared task posts nothing twice: a reply whose answer was lost
is read back before it is ever sent again (docs/messages.md).
"""

from __future__ import annotations

import pendulum

try:
    from airflow.sdk import DAG, task
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.decorators import task

from airflow_provider_intercom.operators import IntercomReplyToConversationsOperator

with DAG(
    dag_id="example_intercom_reply_generated",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["intercom", "example"],
    doc_md=__doc__,
) as dag:

    @task
    def draft_replies() -> dict[str, str]:
        """Return one reply per conversation (here a fixed template)."""
        refunds = {"3": "19.99", "5": "42.00", "9": "7.50"}
        return {cid: f"Good news: your refund of ${amount} is on its way." for cid, amount in refunds.items()}

    IntercomReplyToConversationsOperator(
        task_id="reply",
        body=draft_replies(),  # the ids are the mapping's keys
        message_type="comment",  # the bulk operator has no default: say who sees it
        retries=2,
        retry_delay=pendulum.duration(minutes=5),
    )
