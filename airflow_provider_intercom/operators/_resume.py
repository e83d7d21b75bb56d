"""Durable bulk runs on Airflow: its task state store, adapted to the bulk run's progress.

On Airflow >= 3.3 the task context carries ``task_state_store`` (AIP-103): a sync key-value store
scoped to the task instance, kept across tries. :class:`TaskStateStore` adapts it to the small
store protocol of :mod:`airflow_provider_intercom.bulk._progress`, which owns the progress of a
run (the resume checkpoint, and the write-ahead record of messages). :func:`open_checkpoint` reads
what only the task context knows: the store, the try number, and when the DAG run was due.
``docs/resume.md`` and ``docs/messages.md`` describe the behaviour for users.

``airflow.providers.common.compat`` offers ``ResumableJobMixin`` (one external job id, submit then
poll), which does not fit a run over many ids, so the store is used directly, through the context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_intercom._compat import AirflowRuntimeError, Context
from airflow_provider_intercom.bulk._progress import META_KEY, Progress, StoreError, _Log, open_progress
from airflow_provider_intercom.operators._resume_hints import no_checkpoint_note

__all__ = ["META_KEY", "Progress", "TaskStateStore", "open_checkpoint"]

#: What Airflow's store raises: its API's errors, and a value it cannot take (a wrong type).
_AIRFLOW_STORE_ERRORS: tuple[type[Exception], ...] = (AirflowRuntimeError, OSError, ValueError, TypeError, KeyError)


class TaskStateStore:
    """Airflow's ``TaskStateStoreAccessor`` as the bulk run's store: its failures become :class:`StoreError`.

    :param store: ``context["task_state_store"]``.
    """

    def __init__(self, store: Any) -> None:
        self._store = store
        if getattr(store, "delete", None) is not None:
            self.delete = self._delete

    def get(self, key: str) -> Any:
        """The stored value, or None."""
        try:
            return self._store.get(key)
        except _AIRFLOW_STORE_ERRORS as err:
            raise StoreError(f"{type(err).__name__}: {err}") from err

    def set(self, key: str, value: Any, *, retention: timedelta | None = None) -> None:
        """Store a value (with Airflow's default retention unless one is given)."""
        try:
            if retention is None:
                self._store.set(key, value)
            else:
                self._store.set(key, value, retention=retention)
        except _AIRFLOW_STORE_ERRORS as err:
            raise StoreError(f"{type(err).__name__}: {err}") from err

    def _delete(self, key: str) -> None:
        try:
            self._store.delete(key)
        except _AIRFLOW_STORE_ERRORS as err:
            raise StoreError(f"{type(err).__name__}: {err}") from err


def open_checkpoint(
    context: Context,
    *,
    enabled: bool,
    ids: Sequence[str] | None,
    query: Mapping[str, Any] | None,
    body: Mapping[str, Any],
    log: _Log,
    messages: bool = False,
    resend: bool = False,
) -> Progress:
    """The progress of this task's run: continued from an earlier try when that is safe.

    Logs one line when a try resumes, starts over from a record it cannot use, or cannot resume
    at all (Airflow < 3.3).

    :param context: the Airflow task context.
    :param enabled: the operator's ``resume``; False also discards a stored checkpoint.
    :param ids: the given ids, or None for a search-driven run.
    :param query: the search query of a search-driven run.
    :param body: what identifies the request.
    :param log: where to say whether the run resumes.
    :param messages: the run posts messages: on a try after the first, ids an earlier try may
        have sent to are read back before their send (:attr:`Progress.read_below`), and all of
        them when the record cannot be trusted.
    :param resend: messages: ignore what earlier runs posted, and read nothing back.
    """
    remember = messages and not resend
    try_number = int(getattr(context.get("ti"), "try_number", 1) or 1)
    store = context.get("task_state_store")
    if store is None:
        if enabled or messages:
            log.info(
                "Resume is unavailable: it needs Airflow 3.3+ (no task_state_store in the task context); %s",
                "a retry reads every conversation back before it sends a message, so nothing is posted twice."
                if remember
                else "a retry re-sends every id, which is safe because updates are idempotent.",
            )
        progress = Progress()
    else:
        progress = open_progress(
            TaskStateStore(store),
            enabled=enabled or messages,
            ids=ids,
            query=query,
            body=body,
            try_number=try_number,
            log=log,
            messages=remember,
            no_record_note=no_checkpoint_note(),
        )
    if remember and try_number > 1 and progress.read_below == 0 and not progress.resumed:
        # An empty record is never trusted on a retry: it may be missing, expired or discarded.
        progress.read_all, progress.read_after = True, _due(context)
        log.info(
            "Try %d: every conversation is read back before its message is sent, so that nothing an "
            "earlier try posted is posted twice (one GET each).",
            try_number,
        )
    return progress


def _due(context: Context) -> float:
    """UNIX seconds from which this DAG run's tries can have posted: when the run was due."""
    run = context.get("dag_run")
    for name in ("run_after", "data_interval_end", "logical_date"):
        value = getattr(run, name, None) or context.get(name)  # type: ignore[misc]
        if isinstance(value, datetime):
            return value.timestamp()
    return 0.0
