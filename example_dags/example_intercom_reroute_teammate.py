"""Re-route a leaving teammate's open conversations to a team.

A conversation can carry both an admin and a team, so this takes two steps on the same ids:
assign them to the team, then unassign the admin. The search runs once (``find``) and both steps
take its ids: Intercom's search is eventually consistent, so searching again after the first step
could miss or repeat conversations. Trigger it with the teammate's admin id and the team's id::

    airflow dags trigger example_intercom_reroute_teammate \\
        --conf '{"leaving_admin_id": "991267801", "team_id": "5017691"}'
"""

from __future__ import annotations

import pendulum

try:
    from airflow.sdk import DAG, Param
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.models.param import Param

from airflow_provider_intercom.operators import (
    IntercomAssignConversationsOperator,
    IntercomSearchConversationsOperator,
)

with DAG(
    dag_id="example_intercom_reroute_teammate",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["intercom", "example"],
    doc_md=__doc__,
    params={
        "leaving_admin_id": Param("991267801", type="string", description="The teammate who is leaving."),
        "team_id": Param("5017691", type="string", description="The team that takes their conversations."),
    },
) as dag:
    find = IntercomSearchConversationsOperator(
        task_id="find",
        search_query={
            "operator": "AND",
            "value": [
                {"field": "state", "operator": "=", "value": "open"},
                {"field": "admin_assignee_id", "operator": "=", "value": "{{ params.leaving_admin_id }}"},
            ],
        },
    )
    to_team = IntercomAssignConversationsOperator(
        task_id="assign_to_team",
        conversation_ids=find.output,
        assignee_id="{{ params.team_id }}",
        assignee_type="team",
    )
    unassign_admin = IntercomAssignConversationsOperator(
        task_id="unassign_admin", conversation_ids=find.output, assignee_id=None
    )
    to_team >> unassign_admin
