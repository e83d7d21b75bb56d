"""The bulk engine: one update applied to many conversations, at Intercom's rate limit.

``_engine`` (the asyncio engine: pacing, concurrency, retries), ``_concurrency`` (pure
concurrency decisions and the latency estimate), ``_runner`` (the engine in its own thread, so
that Airflow's stops reach it), ``_outcomes`` (each id's outcome, a byte per success),
``_summary`` (the one summary schema, and :func:`updated_ids` to read it). The async transport is the
client's (:mod:`airflow_provider_intercom.client._aiohttp_client`). Nothing here imports Airflow,
and ``aiohttp`` is imported only when a run starts.
"""

from __future__ import annotations

from airflow_provider_intercom.bulk._engine import AsyncBulkEngine
from airflow_provider_intercom.bulk._options import BulkOptions, write_ahead_batch
from airflow_provider_intercom.bulk._runner import BulkRun
from airflow_provider_intercom.bulk._summary import updated_ids

__all__ = ["AsyncBulkEngine", "BulkOptions", "BulkRun", "updated_ids", "write_ahead_batch"]
