"""Run ``example_intercom_mark_read`` end to end with ``dag.test()`` and show what landed in XCom.

Called by ``scripts/demo.sh`` with the Airflow environment (``AIRFLOW_HOME``, ``DAGS_FOLDER``,
``AIRFLOW_CONN_INTERCOM_DEFAULT``) already set and the metadata DB migrated. Airflow logs a lot
to stdout and stderr while a DAG runs, so everything the process writes goes to ``--log``; only
this script's own report reaches the terminal, through a copy of the original stdout.

Exit status: 0 when the run and both tasks succeeded and the conversation is in XCom, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

DAG_ID = "example_intercom_mark_read"
TASK_ID = "mark_read"
UNREAD = {"field": "read", "operator": "=", "value": False}


def redirect_output(log_path: Path) -> TextIO:
    """Send fds 1 and 2 to ``log_path`` and return a stream on the terminal's stdout.

    Done at the file-descriptor level, before Airflow is imported, so that its logging handlers,
    warnings and anything a task prints all end up in the log, not on the terminal.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    terminal = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout.flush()
    sys.stderr.flush()
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, sys.stdout.fileno())
    os.dup2(log_fd, sys.stderr.fileno())
    os.close(log_fd)
    return terminal


def first_unread_conversation() -> str:
    """Ask the emulator (through the provider's hook) for a conversation that is still unread."""
    from airflow_provider_intercom.hooks.intercom import IntercomHook

    for conversation in IntercomHook(intercom_conn_id="intercom_default").search_conversations(UNREAD, per_page=1):
        return str(conversation["id"])
    raise LookupError("the Intercom workspace has no unread conversation to mark read")


def run(dag_id: str, conversation_id: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``dag.test()`` the DAG; return the run's state, each task's state and its return_value XComs."""
    from airflow_provider_intercom.testing.dagrun import load_dag, run_dag

    dags_folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    result = run_dag(load_dag(dags_folder, dags_folder, dag_id), {"conversation_id": conversation_id})
    task_states = {task_id: state for (task_id, _), state in result.task_states.items()}
    xcoms = {task_id: value for (task_id, _, key), value in result.xcoms.items() if key == "return_value"}
    return result.state, task_states, xcoms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, required=True, help="file that receives Airflow's own output")
    parser.add_argument("--conversation-id", help="default: the first unread conversation in the workspace")
    args = parser.parse_args(argv)

    out = redirect_output(args.log)
    try:
        conversation_id = args.conversation_id or first_unread_conversation()
        print(f"Running {DAG_ID} with conf {{'conversation_id': '{conversation_id}'}} ...", file=out)
        run_state, task_states, xcoms = run(DAG_ID, conversation_id)
    except Exception as exc:  # noqa: BLE001 - report any failure in one line; the traceback is in the log
        import traceback

        traceback.print_exc()  # into the log
        print(f"FAILED: {type(exc).__name__}: {exc}", file=out)
        return 1

    conversation = xcoms.get(TASK_ID)
    if conversation is not None:
        print(f"XCom {TASK_ID}.return_value (the conversation Intercom returned):", file=out)
        print(json.dumps(conversation, indent=2, sort_keys=True, default=str), file=out)
    if "summarize" in xcoms:
        print(f"XCom summarize.return_value: {json.dumps(xcoms['summarize'], default=str)}", file=out)
    tasks = ", ".join(f"{task}={state}" for task, state in sorted(task_states.items()))
    print(f"DAG run: {run_state} ({tasks})", file=out)

    if run_state != "success" or task_states.get(TASK_ID) != "success":
        print(f"FAILED: the run ended {run_state!r}, {TASK_ID} {task_states.get(TASK_ID)!r}", file=out)
        return 1
    if not isinstance(conversation, dict):
        print(f"FAILED: {TASK_ID} left no conversation in XCom (got {conversation!r})", file=out)
        return 1
    read = json.dumps(conversation.get("read"))
    print(
        f"{TASK_ID}: {task_states[TASK_ID]}; conversation {conversation.get('id')} "
        f"read={read} state={conversation.get('state')}",
        file=out,
    )
    if conversation.get("read") is not True or str(conversation.get("id")) != conversation_id:
        print(f"FAILED: expected conversation {conversation_id} with read=true", file=out)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
