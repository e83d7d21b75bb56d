"""IntercomClient: Intercom's REST API over the sync transport, with retries and pacing.

The retry loop is a plain loop over the pure decisions of :mod:`._retry`; responses become results
or typed errors in :mod:`._responses`; the bytes move in :mod:`._http_client`. Clocks, sleeps and
randomness are injectable, so tests need no wall time.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from airflow_provider_intercom.client._actions import ConversationRequest
from airflow_provider_intercom.client._error import (
    IntercomCancelledError,
    IntercomConfigError,
    IntercomError,
    IntercomResponseError,
)
from airflow_provider_intercom.client._http_client import RequestsTransport
from airflow_provider_intercom.client._ratelimit import AdaptiveRateLimiter
from airflow_provider_intercom.client._responses import JSON, RequestInfo, parse_response
from airflow_provider_intercom.client._retry import RetryPolicy, retry_delay, retry_limits, should_retry
from airflow_provider_intercom.client._search import search_pages
from airflow_provider_intercom.client._token import Token, as_token
from airflow_provider_intercom.client._validation import (
    validate_conversation_id,
    validate_per_page,
    validate_search_query,
    validate_update,
)
from airflow_provider_intercom.client.facts import (
    API_BASE_URLS,
    API_VERSIONS,
    DEFAULT_API_VERSION,
    DEFAULT_REGION,
    DEFAULT_TIMEOUT,
    LISTS,
    MAX_SEARCH_PAGE_SIZE,
    Listable,
)

if TYPE_CHECKING:
    from airflow_provider_intercom.client._aiohttp_client import AiohttpTransport


class RetryLogger(Protocol):
    """Where the client logs retries: a ``logging.Logger``, or an Airflow task's ``self.log``."""

    def warning(self, msg: Any, /, *args: Any) -> Any:
        """Log a warning."""


class IntercomClient:
    """A client for Intercom's REST API; it imports nothing from Airflow.

    :param token: the access token (or a :class:`~._token.Token` holding it). Never logged, never
        in an error; kept in a holder that ``repr()`` and ``vars()`` do not show.
    :param base_url: the API base URL; None means the region's host.
    :param region: ``us``, ``eu`` or ``au``.
    :param api_version: the ``Intercom-Version`` header, one of :data:`.facts.API_VERSIONS`.
    :param timeout: seconds to wait for a connection and for each read.
    :param retry_policy: how hard each request tries.
    :param rate_limiter: paces every request through a shared limiter.
    :param stop_event: once set, no further request is sent and retry waits end early.
    :param verify_ssl: verify TLS certificates.
    :param conn_id: the name of the connection the settings came from, for error messages.
    :param logger: where retries are logged.
    :param clock: monotonic seconds, for the retry time budget.
    :param wall_clock: UNIX seconds, compared with ``X-RateLimit-Reset``.
    :param rand: jitter source in ``[0, 1)``.
    :param sleep: waits between attempts; by default ``stop_event.wait`` (or ``time.sleep``).
    :raises IntercomConfigError: if the region or API version is unknown, or the token empty.
    """

    def __init__(
        self,
        token: str | Token,
        *,
        base_url: str | None = None,
        region: str = DEFAULT_REGION,
        api_version: str = DEFAULT_API_VERSION,
        timeout: float = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy | None = None,
        rate_limiter: AdaptiveRateLimiter | None = None,
        stop_event: threading.Event | None = None,
        verify_ssl: bool = True,
        conn_id: str | None = None,
        logger: RetryLogger | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        secret = as_token(token)
        # Frame locals are what error trackers capture: from here on only the holder is one.
        del token
        where = f"connection {conn_id!r}" if conn_id else "IntercomClient"
        if not secret:
            raise IntercomConfigError(f"{where} has no access token.", conn_id=conn_id)
        if region not in API_BASE_URLS:
            raise IntercomConfigError(
                f"{where} has an unknown region {region!r}; use one of {', '.join(API_BASE_URLS)}.", conn_id=conn_id
            )
        if api_version not in API_VERSIONS:
            raise IntercomConfigError(
                f"{where} has an unknown API version {api_version!r}; Intercom accepts {', '.join(API_VERSIONS)}.",
                conn_id=conn_id,
            )
        self.base_url = (base_url or API_BASE_URLS[region]).rstrip("/")
        self.region = region
        self.api_version = api_version
        self.timeout = timeout
        self.verify_ssl = verify_ssl
        self.conn_id = conn_id
        self.retry_policy = retry_policy or RetryPolicy()
        self.rate_limiter = rate_limiter
        self.stop_event = stop_event
        self._token = secret
        self._log: RetryLogger = logger or logging.getLogger(__name__)
        self._clock, self._wall_clock, self._rand = clock, wall_clock, rand
        self._sleep = sleep
        self._transport = RequestsTransport(
            token=secret, api_version=api_version, timeout=timeout, verify_ssl=verify_ssl
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_version={self.api_version!r})"

    def with_options(self, *, retry_policy: RetryPolicy | None = None, timeout: float | None = None) -> IntercomClient:
        """A new client with the same settings and its own session, some options changed.

        :param retry_policy: the new client's retry policy; this one's by default.
        :param timeout: the new client's timeout; this one's by default.
        """
        return type(self)(
            self._token,
            base_url=self.base_url,
            region=self.region,
            api_version=self.api_version,
            timeout=self.timeout if timeout is None else timeout,
            retry_policy=retry_policy or self.retry_policy,
            rate_limiter=self.rate_limiter,
            stop_event=self.stop_event,
            verify_ssl=self.verify_ssl,
            conn_id=self.conn_id,
            logger=self._log,
            clock=self._clock,
            wall_clock=self._wall_clock,
            rand=self._rand,
            sleep=self._sleep,
        )

    def async_transport(self, *, max_connections: int) -> AiohttpTransport:
        """An ``aiohttp`` transport with this client's settings, for the async bulk engine.

        Call it inside the running event loop that will use it.

        :param max_connections: connections kept open at most.
        """
        from airflow_provider_intercom.client._aiohttp_client import AiohttpTransport

        return AiohttpTransport(
            token=self._token,
            api_version=self.api_version,
            timeout=self.timeout,
            verify_ssl=self.verify_ssl,
            max_connections=max_connections,
        )

    def close(self) -> None:
        """Close the HTTP session, if one was opened; a later request opens a new one."""
        self._transport.close()

    def __enter__(self) -> IntercomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- Sending -----------------------------------------------------------------------------

    def request_info(self, method: str, path: str, *, idempotent: bool = True) -> RequestInfo:
        """Describe a request for the transport and the error mapping.

        :param method: HTTP method.
        :param path: API path starting with ``/``.
        :param idempotent: whether sending the request twice is harmless.
        """
        return RequestInfo(method, path, self.conn_id, self.base_url, self.region, self.timeout, idempotent)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> JSON:
        """Send one API request, retrying what is safe to retry, and return the JSON object.

        :param method: HTTP method.
        :param path: API path starting with ``/``, e.g. ``/conversations/123``.
        :param json: request body.
        :param params: query parameters.
        :param idempotent: whether sending the request twice is harmless; if not, only 429s and
            connections that never opened are retried.
        :raises IntercomError: a subclass saying what went wrong.
        """
        info = self.request_info(method, path, idempotent=idempotent)
        policy = self.retry_policy
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send_once(info, json=json, params=params)
            except IntercomCancelledError:
                raise
            except IntercomError as err:
                elapsed = self._clock() - started
                delay = retry_delay(
                    attempt,
                    policy=policy,
                    rand=self._rand(),
                    now=self._wall_clock(),
                    rate_limited=err.status == 429,
                    reset_at=err.reset_at,
                )
                if not should_retry(err, attempt=attempt, elapsed=elapsed, delay=delay, policy=policy):
                    if attempt == 1:
                        raise
                    raise err.after_attempts(attempt, elapsed) from None
                retries, _ = retry_limits(err, policy)
                self._log.warning(
                    "Intercom request failed (attempt %d of at most %d): %s -- retrying in %.1fs",
                    attempt,
                    retries + 1,
                    err,
                    delay,
                )
                self._wait(delay, err)

    def _wait(self, seconds: float, previous: IntercomError) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
            stopped = self.stop_event is not None and self.stop_event.is_set()
        elif self.stop_event is not None:
            stopped = self.stop_event.wait(seconds)
        else:
            time.sleep(seconds)
            stopped = False
        if stopped:
            # Stopped while waiting to retry: say what was being retried; it may have applied.
            raise IntercomCancelledError(
                f"The task was stopped while waiting to retry after: {previous}",
                status=previous.status,
                code=previous.code,
                request_id=previous.request_id,
                conn_id=previous.conn_id,
            ) from previous

    def _send_once(
        self, info: RequestInfo, *, json: Mapping[str, Any] | None, params: Mapping[str, str] | None
    ) -> JSON:
        if self.stop_event is not None and self.stop_event.is_set():
            raise IntercomCancelledError("The task was stopped; no further request is sent.")
        limiter = self.rate_limiter
        seq = limiter.acquire(self.stop_event) if limiter is not None else None
        sent_at = self._wall_clock()
        headers: Mapping[str, str] | None = None
        status: int | None = None
        try:
            status, headers, content = self._transport.send(info, json=json, params=params)
        finally:
            if limiter is not None:
                limiter.release(headers, status, seq, sent_at)
        return parse_response(status, headers, content, info)

    # -- API methods -------------------------------------------------------------------------

    def get_me(self) -> JSON:
        """Return the admin that owns the token, with its ``app`` (workspace): ``GET /me``."""
        return self.request("GET", "/me")

    def get_conversation(self, conversation_id: str | int, *, display_as: str | None = None) -> JSON:
        """Return one conversation: ``GET /conversations/{id}``.

        :param conversation_id: the conversation id (digits, or an int).
        :param display_as: ``"plaintext"`` to get message bodies as plain text.
        """
        cid = validate_conversation_id(conversation_id)
        params = {"display_as": display_as} if display_as else None
        return self.request("GET", f"/conversations/{cid}", params=params)

    def update_conversation(
        self,
        conversation_id: str | int,
        *,
        read: bool | None = None,
        title: str | None = None,
        custom_attributes: Mapping[str, Any] | None = None,
        company_id: str | None = None,
        remove_company: bool = False,
        display_as: str | None = None,
    ) -> JSON:
        """Update a conversation and return it: ``PUT /conversations/{id}``.

        Only the fields that are given are sent.

        :param conversation_id: the conversation id (digits, or an int).
        :param read: mark the conversation read (True) or unread (False).
        :param title: a new title.
        :param custom_attributes: custom attributes to set (string, integer, decimal, boolean, or
            a date as a UNIX timestamp).
        :param company_id: the company to associate the conversation with.
        :param remove_company: remove the conversation's company (sends ``company_id: null``).
        :param display_as: ``"plaintext"`` to get message bodies back as plain text.
        :raises IntercomValidationError: before any request, if a field is invalid.
        """
        cid = validate_conversation_id(conversation_id)
        body = validate_update(
            read=read,
            title=title,
            custom_attributes=custom_attributes,
            company_id=company_id,
            remove_company=remove_company,
        )
        params = {"display_as": display_as} if display_as else None
        # Setting fields to given values is idempotent: a retried PUT leaves the same state.
        return self.request("PUT", f"/conversations/{cid}", json=body, params=params, idempotent=True)

    def mark_conversation_read(self, conversation_id: str | int) -> JSON:
        """Mark a conversation as read and return it: ``PUT /conversations/{id}`` ``{"read": true}``.

        :param conversation_id: the conversation id (digits, or an int).
        """
        return self.update_conversation(conversation_id, read=True)

    def send_action(self, request: ConversationRequest, conversation_id: str | int) -> JSON:
        """Send one action to one conversation and return Intercom's answer (the conversation, or the tag).

        Failures whose outcome is unknown (a 5xx, a timeout) are retried only for an idempotent
        request; an answer that means the action is already in effect (``request.already_done``)
        is returned as ``{"id": conversation_id, "already_done": <reason>}``.

        :param request: what to send, from a builder such as :func:`~._actions.close_request`.
        :param conversation_id: the conversation id (digits, or an int).
        :raises IntercomError: a subclass saying what went wrong.
        """
        cid = validate_conversation_id(conversation_id)
        try:
            return self.request(request.method, request.path_for(cid), json=request.body, idempotent=request.idempotent)
        except IntercomError as err:
            reason = request.already_done.get(err.code or "")
            if reason is None:
                raise
        return {"id": cid, "already_done": reason}

    def list_all(self, what: Listable) -> list[JSON]:
        """The workspace's ``tags``, ``admins`` (teammates) or ``teams``: ``GET /tags``, ``/admins``, ``/teams``.

        :param what: which list.
        """
        key = LISTS[what]
        items = self.request("GET", f"/{what}").get(key)
        if not isinstance(items, list):
            raise IntercomResponseError(
                f"answered GET /{what} without a {key!r} list", method="GET", path=f"/{what}", conn_id=self.conn_id
            )
        return [item for item in items if isinstance(item, dict)]

    def search_conversations(self, query: Mapping[str, Any], per_page: int = MAX_SEARCH_PAGE_SIZE) -> Iterator[JSON]:
        """Yield every conversation matching an Intercom search query, page by page.

        Follows ``pages.next.starting_after`` until the last page; a page is fetched only when
        the previous one has been consumed. The query is checked before the first request.

        :param query: the ``query`` of ``POST /conversations/search``, e.g.
            ``{"field": "state", "operator": "=", "value": "closed"}``.
        :param per_page: page size, 1 to 150.
        :raises IntercomValidationError: if the query or page size is invalid.
        """
        pages = self.search_pages(query, per_page)
        return (conversation for page in pages for conversation in page["conversations"])

    def search_pages(self, query: Mapping[str, Any], per_page: int = MAX_SEARCH_PAGE_SIZE) -> Iterator[JSON]:
        """Yield the pages of an Intercom search (each with ``conversations`` and ``total_count``).

        :param query: the ``query`` of ``POST /conversations/search``.
        :param per_page: page size, 1 to 150.
        :raises IntercomValidationError: if the query or page size is invalid.
        """
        checked = validate_search_query(query)
        return search_pages(self.request, checked, validate_per_page(per_page), conn_id=self.conn_id)
