"""An Intercom REST API client that imports nothing from Airflow.

::

    from airflow_provider_intercom.client import IntercomClient

    with IntercomClient(token, region="eu") as client:
        client.mark_conversation_read("123")

One module per concern: :mod:`.facts` (Intercom's API facts), ``_error`` (data-only errors),
``_responses`` (an HTTP exchange to a result or an error), ``_retry`` (the retry policy and its
pure decisions), ``_ratelimit`` (header parsing, the send delay, the limiter), ``_http_client``
(the sync transport on ``requests``), ``_validation`` (arguments, checked before any request) and
``_client`` (:class:`IntercomClient`). The async bulk engine lives in
:mod:`airflow_provider_intercom.bulk`.
"""

from __future__ import annotations

from airflow_provider_intercom.client._client import IntercomClient
from airflow_provider_intercom.client._error import (
    IntercomAuthError,
    IntercomCancelledError,
    IntercomConfigError,
    IntercomConnectionError,
    IntercomError,
    IntercomForbiddenError,
    IntercomNotFoundError,
    IntercomRateLimitError,
    IntercomResponseError,
    IntercomServerError,
    IntercomValidationError,
)
from airflow_provider_intercom.client._ratelimit import AdaptiveRateLimiter
from airflow_provider_intercom.client._retry import RetryPolicy

__all__ = [
    "AdaptiveRateLimiter",
    "IntercomAuthError",
    "IntercomCancelledError",
    "IntercomClient",
    "IntercomConfigError",
    "IntercomConnectionError",
    "IntercomError",
    "IntercomForbiddenError",
    "IntercomNotFoundError",
    "IntercomRateLimitError",
    "IntercomResponseError",
    "IntercomServerError",
    "IntercomValidationError",
    "RetryPolicy",
]
