"""The DAG of the bench's million-id run (``_dagrun_child.py`` copies it into a DAGs folder).

``BENCH_MODE=bulk``: one ``IntercomMarkConversationsReadOperator`` on ``BENCH_IDS`` literal ids,
measured from inside the task: how long rendering its template fields took, and the largest value
it wrote to the task state store (the resume checkpoint), both written to ``BENCH_OUT`` as JSON.
``BENCH_MODE=trivial``: an operator that holds the same ids and does nothing, the baseline of
memory (its ids are not a template field: Airflow would render them one by one, for minutes).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pendulum

try:
    from airflow.sdk import DAG, BaseOperator
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.models import BaseOperator

from airflow_provider_intercom.operators.intercom import IntercomMarkConversationsReadOperator

IDS = [str(number) for number in range(1, int(os.environ.get("BENCH_IDS", "1000")) + 1)]
OUT = os.environ.get("BENCH_OUT", os.devnull)


class _RecordingStore:
    """The task state store, noting the size of every value written (in characters of JSON)."""

    def __init__(self, store: Any, sizes: list[int]) -> None:
        self._store, self._sizes = store, sizes

    def get(self, key: str) -> Any:
        return self._store.get(key)

    def set(self, key: str, value: Any, **kwargs: Any) -> None:
        self._sizes.append(len(value) if isinstance(value, str) else len(json.dumps(value)))
        self._store.set(key, value, **kwargs)

    def delete(self, key: str) -> Any:
        return self._store.delete(key)


class MeasuredMarkRead(IntercomMarkConversationsReadOperator):
    """The bulk operator, reporting its render time and checkpoint sizes to ``BENCH_OUT``."""

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        started = time.perf_counter()
        super().render_template_fields(context, jinja_env)
        self._render_seconds = time.perf_counter() - started

    def execute(self, context: Any) -> dict[str, Any]:
        sizes: list[int] = []
        store = context.get("task_state_store")
        if store is not None:
            context["task_state_store"] = _RecordingStore(store, sizes)
        try:
            return super().execute(context)
        finally:
            with open(OUT, "w", encoding="utf-8") as out:
                json.dump({"render_s": getattr(self, "_render_seconds", None), "checkpoint_sizes": sizes}, out)


class HoldIds(BaseOperator):
    """Holds the ids, does nothing."""

    def __init__(self, *, conversation_ids: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conversation_ids = conversation_ids

    def execute(self, context: Any) -> int:
        return len(self.conversation_ids)


with DAG(dag_id="bench_million", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")):
    if os.environ.get("BENCH_MODE") == "bulk":
        MeasuredMarkRead(task_id="ids", conversation_ids=IDS)
    else:
        HoldIds(task_id="ids", conversation_ids=IDS)
