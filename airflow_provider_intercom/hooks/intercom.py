"""IntercomHook: the one place that talks to Intercom's REST API.

The hook has four layers, each built on the one before:

1. :attr:`IntercomHook.settings` -- the Airflow connection, validated, resolved lazily and once;
2. :attr:`IntercomHook.session` -- one cached ``requests.Session`` with the auth and version headers;
3. :meth:`IntercomHook.request` -- the only method that sends; it owns timeouts, retries and the
   mapping of failures to typed :mod:`~airflow_provider_intercom.exceptions`;
4. small typed API methods (:meth:`~IntercomHook.get_me`, :meth:`~IntercomHook.mark_conversation_read`,
   the generator :meth:`~IntercomHook.search_conversations`, ...).

``requests`` is imported lazily so that DAG files importing the operators stay cheap to parse.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom import __version__
from airflow_provider_intercom._compat import AirflowNotFoundException, BaseHook, mask_secret
from airflow_provider_intercom.connection import (
    CONN_NAME_ATTR,
    CONN_TYPE,
    DEFAULT_CONN_ID,
    EXTRA_FIELDS,
    HIDDEN_FIELDS,
    HOOK_NAME,
    PLACEHOLDERS,
    RELABELING,
    IntercomConnectionSettings,
)
from airflow_provider_intercom.exceptions import (
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
from airflow_provider_intercom.ratelimit import AdaptiveRateLimiter, header_number
from airflow_provider_intercom.retry import RetryPolicy, is_retryable, retry_budget_spent, retry_delay, retry_limits
from airflow_provider_intercom.validation import validate_conversation_id, validate_search_query

if TYPE_CHECKING:
    import requests
    from tenacity import RetryCallState

JSON = dict[str, Any]
MAX_SEARCH_PAGE_SIZE = 150
#: Seconds the Test button and the link lookup wait at most.
QUICK_TIMEOUT = 10.0
_SNIPPET_BYTES = 120
_CONVERSATION_PATH = re.compile(r"^/conversations/(\d+)$")


class IntercomHook(BaseHook):
    """Talk to Intercom's REST API through an Airflow connection of type ``intercom``.

    The connection is read on first use, not when the hook is built, so building a hook in a
    DAG file or an operator's ``__init__`` costs nothing.

    :param intercom_conn_id: the Airflow connection id (default ``intercom_default``).
    :param settings: ready-made settings, instead of reading the Airflow connection.
    :param retry_policy: overrides the connection's ``max_retries`` / ``max_retry_time``.
    :param rate_limiter: paces every request through a shared limiter (bulk runs).
    :param stop_event: once set, no further request is sent and retry waits end early.
    """

    conn_name_attr = CONN_NAME_ATTR
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = HOOK_NAME

    def __init__(
        self,
        intercom_conn_id: str = DEFAULT_CONN_ID,
        *,
        settings: IntercomConnectionSettings | None = None,
        retry_policy: RetryPolicy | None = None,
        rate_limiter: AdaptiveRateLimiter | None = None,
        stop_event: threading.Event | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.intercom_conn_id = intercom_conn_id
        self._given_settings = settings
        self._given_retry_policy = retry_policy
        self._rate_limiter = rate_limiter
        self._stop_event = stop_event

    def __repr__(self) -> str:
        return f"{type(self).__name__}(intercom_conn_id={self.intercom_conn_id!r})"

    # -- Layer 1: settings -------------------------------------------------------------------

    @cached_property
    def settings(self) -> IntercomConnectionSettings:
        """The connection's validated settings, read on first use.

        :raises IntercomConfigError: if the connection is missing or invalid.
        """
        settings = self._given_settings or self._read_connection()
        # Registered here rather than trusting Airflow to have done it: its masking of connection
        # passwords has had gaps, and the token would otherwise be one log line from leaking.
        mask_secret(settings.token)
        if not settings.verify_ssl:
            self.log.warning(
                "TLS certificate verification is OFF for Intercom connection %r (extra verify_ssl=false); "
                "the access token can be intercepted. Turn it back on outside of tests.",
                settings.conn_id,
            )
        return settings

    def _read_connection(self) -> IntercomConnectionSettings:
        try:
            conn = self.get_connection(self.intercom_conn_id)
        except AirflowNotFoundException:
            env = f"AIRFLOW_CONN_{self.intercom_conn_id.upper()}"
            raise IntercomConfigError(
                f"Airflow connection {self.intercom_conn_id!r} is not defined. Create it under Admin > "
                f"Connections (type Intercom), or set the environment variable {env} to its JSON.",
                conn_id=self.intercom_conn_id,
            ) from None
        if conn.password:
            # As stored, before validation: a token that validation refuses is a secret all the same.
            mask_secret(conn.password)
        if conn.conn_type and conn.conn_type != CONN_TYPE:
            self.log.warning(
                "Airflow connection %r has type %r, not %r; reading it as an Intercom connection.",
                self.intercom_conn_id,
                conn.conn_type,
                CONN_TYPE,
            )
        return IntercomConnectionSettings.from_connection(
            self.intercom_conn_id,
            password=conn.password,
            host=conn.host,
            port=conn.port,
            extra=conn.extra_dejson,
            warn=self.log.warning,
        )

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy: the constructor's, else built from the connection's extras."""
        if self._given_retry_policy is not None:
            return self._given_retry_policy
        return RetryPolicy(max_retries=self.settings.max_retries, max_retry_time=self.settings.max_retry_time)

    # -- Layer 2: session --------------------------------------------------------------------

    @cached_property
    def session(self) -> requests.Session:
        """The hook's HTTP session, created on first use and reused for every request."""
        return self.new_session()

    def get_conn(self) -> requests.Session:
        """Return the cached HTTP session (Airflow's usual hook entry point)."""
        return self.session

    def new_session(self) -> requests.Session:
        """Build a session with this connection's headers and TLS setting.

        ``requests.Session`` is not documented as thread-safe, so each thread of a bulk run gets
        its own from here (see :meth:`worker_copy`).
        """
        import requests
        from requests.adapters import HTTPAdapter

        settings = self.settings
        session = requests.Session()
        session.headers.update(
            {
                "Authorization": f"Bearer {settings.token}",
                "Accept": "application/json",
                "Intercom-Version": settings.api_version,
                "User-Agent": f"airflow-provider-intercom/{__version__} python-requests/{requests.__version__}",
            }
        )
        session.verify = settings.verify_ssl
        # Retries are the hook's job: urllib3's own would hide 429s and double-count attempts.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def close(self) -> None:
        """Close the session, if one was opened; a later request opens a new one."""
        session = self.__dict__.pop("session", None)
        if session is not None:
            session.close()

    def worker_copy(
        self,
        *,
        rate_limiter: AdaptiveRateLimiter | None = None,
        stop_event: threading.Event | None = None,
        retry_policy: RetryPolicy | None = None,
        settings: IntercomConnectionSettings | None = None,
    ) -> IntercomHook:
        """A hook for another thread: same settings, its own session.

        :param rate_limiter: the limiter the copy's requests go through.
        :param stop_event: the event that cancels the copy's requests.
        :param retry_policy: the copy's retry policy; this hook's by default.
        :param settings: the copy's settings; this hook's by default.
        """
        settings = settings or self.settings
        copy = type(self)(
            self.intercom_conn_id,
            settings=settings,
            retry_policy=retry_policy or self.retry_policy,
            rate_limiter=rate_limiter,
            stop_event=stop_event,
        )
        # This hook already registered the token and warned about the settings: once is enough,
        # so the copy's settings property is filled in rather than computed again.
        copy.__dict__["settings"] = settings
        return copy

    # -- Layer 3: the request method ---------------------------------------------------------

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
        :raises IntercomError: a subclass saying what went wrong; see :mod:`.exceptions`.
        """
        # Imported here, like requests: DAG files import this module, and only tasks send requests.
        from tenacity import Retrying, retry_if_exception

        policy = self.retry_policy
        # The errors retried so far; tenacity forgets an attempt's outcome before sleeping.
        retried: list[IntercomError] = []
        retrying = Retrying(
            retry=retry_if_exception(
                lambda exc: isinstance(exc, IntercomError) and is_retryable(exc, idempotent=idempotent)
            ),
            wait=lambda state: retry_delay(
                state.attempt_number,
                policy=policy,
                rand=random.random(),
                now=time.time(),
                reset_at=getattr(_outcome_error(state), "reset_at", None),
            ),
            stop=lambda state: retry_budget_spent(
                _outcome_error(state),
                attempt=state.attempt_number,
                elapsed=state.seconds_since_start or 0.0,
                delay=state.upcoming_sleep,
                policy=policy,
            ),
            sleep=self._sleep,
            before_sleep=lambda state: retried.append(self._log_retry(state)),
            reraise=True,
        )
        state: RetryCallState | None = None
        try:
            for attempt in retrying:
                state = attempt.retry_state
                with attempt:
                    return self._send_once(method, path, json=json, params=params)
        except IntercomCancelledError:
            previous = retried[-1] if retried else None
            if previous is not None:
                # Stopped while waiting to retry: say what was being retried; it may have applied.
                raise IntercomCancelledError(
                    f"The task was stopped while waiting to retry after: {previous}",
                    status=previous.status,
                    code=previous.code,
                    request_id=previous.request_id,
                    conn_id=previous.conn_id,
                ) from previous
            raise
        except IntercomError as err:
            if state is not None:
                err.attempts = state.attempt_number
                err.elapsed = time.monotonic() - state.start_time
            raise
        raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover

    def _sleep(self, seconds: float) -> None:
        if self._stop_event is None:
            time.sleep(seconds)
        elif self._stop_event.wait(seconds):
            raise IntercomCancelledError("The task was stopped while waiting to retry; nothing more is sent.")

    def _log_retry(self, state: RetryCallState) -> IntercomError:
        err = _outcome_error(state)
        assert isinstance(err, IntercomError)  # only IntercomErrors are retried
        retries, _ = retry_limits(err, self.retry_policy)
        self.log.warning(
            "Intercom request failed (attempt %d of at most %d): %s -- retrying in %.1fs",
            state.attempt_number,
            retries + 1,
            err,
            state.upcoming_sleep,
        )
        return err

    def _send_once(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None,
        params: Mapping[str, str] | None,
    ) -> JSON:
        import requests

        if self._stop_event is not None and self._stop_event.is_set():
            raise IntercomCancelledError("The task was stopped; no further request is sent.")
        settings = self.settings
        limiter = self._rate_limiter
        if limiter is not None:
            limiter.acquire(self._stop_event)
        headers: Mapping[str, str] | None = None
        status: int | None = None
        try:
            response = self.session.request(
                method, settings.base_url + path, json=json, params=params, timeout=settings.timeout
            )
            headers, status = response.headers, response.status_code
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            raise self._network_error(exc, method, path) from exc
        except (requests.RequestException, ValueError, TypeError) as exc:
            # Raised before anything is sent (a header or body requests cannot encode). Its text can
            # quote the headers, token included, so only the class name is kept.
            raise IntercomValidationError(
                f"Could not build the request {method} {path}: {type(exc).__name__}. Check the values "
                "passed to the hook (JSON-serializable, finite numbers) and the connection's fields.",
                method=None,
                conn_id=settings.conn_id,
            ) from None
        finally:
            if limiter is not None:
                limiter.release(headers, status)
        return self._parse(response, method, path)

    def _network_error(self, exc: Exception, method: str, path: str) -> IntercomConnectionError:
        import requests
        from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

        settings = self.settings
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        connect_failed = isinstance(exc, requests.ConnectTimeout) or isinstance(
            reason, (NewConnectionError, ConnectTimeoutError)
        )
        if isinstance(exc, requests.exceptions.SSLError):
            message, hint = (
                f"TLS handshake with {settings.base_url} failed ({type(exc).__name__})",
                "Check the Host; if it is a test server with a self-signed certificate, "
                "set extra verify_ssl=false there only.",
            )
        elif isinstance(exc, requests.Timeout) and not connect_failed:
            message, hint = (
                f"no response from {settings.base_url} within {settings.timeout:g}s",
                "Raise the connection's extra 'timeout' if Intercom is slow for you.",
            )
        elif connect_failed:
            message, hint = (
                f"could not connect to {settings.base_url} ({_root_cause(exc)})",
                "Check the connection's Host/region and the worker's network (DNS, proxy, firewall).",
            )
        else:
            message, hint = (
                f"the connection to {settings.base_url} broke before a response arrived ({_root_cause(exc)})",
                "This is usually transient; the task's own retries will try again.",
            )
        err = IntercomConnectionError(message, method=method, path=path, conn_id=settings.conn_id, hint=hint)
        err.sent = not connect_failed
        err.transient = not isinstance(exc, requests.exceptions.SSLError)
        return err

    def _parse(self, response: requests.Response, method: str, path: str) -> JSON:
        status = response.status_code
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            if 200 <= status < 300:
                raise IntercomResponseError(
                    f"answered {status} with a body that is not valid JSON: {_snippet(response.content)}",
                    status=status,
                    method=method,
                    path=path,
                    conn_id=self.settings.conn_id,
                    request_id=response.headers.get("X-Request-Id"),
                    hint="Something between the worker and Intercom (a proxy?) may have altered it; "
                    "the task's own retries will try again.",
                ) from None
        if 200 <= status < 300:
            if not isinstance(body, dict):
                raise IntercomResponseError(
                    f"answered {status} with JSON that is not an object: {_snippet(response.content)}",
                    status=status,
                    method=method,
                    path=path,
                    conn_id=self.settings.conn_id,
                )
            return body
        raise self._http_error(response, body, method, path)

    def _http_error(self, response: requests.Response, body: Any, method: str, path: str) -> IntercomError:
        status = response.status_code
        settings = self.settings
        code = field = None
        request_id = response.headers.get("X-Request-Id")
        if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
            first = body["errors"][0] if isinstance(body["errors"][0], dict) else {}
            code, field = first.get("code"), first.get("field")
            message = str(first.get("message") or code or "no message")
            request_id = body.get("request_id") or request_id
        else:
            content_type = response.headers.get("Content-Type", "unknown").split(";")[0]
            message = f"unexpected {content_type} response: {_snippet(response.content)}"
        common: dict[str, Any] = {
            "status": status,
            "code": code,
            "field": field,
            "request_id": request_id,
            "method": method,
            "path": path,
            "conn_id": settings.conn_id,
        }
        if status == 401:
            return IntercomAuthError(
                message,
                hint=f"Check the access token of Airflow connection {settings.conn_id!r} (its Password "
                "field): it is missing, wrong, revoked, or belongs to another region.",
                **common,
            )
        if status == 403:
            if code == "api_plan_restricted":
                hint = (
                    "The workspace's Intercom plan does not include this API. The access token is fine: "
                    "an Intercom admin must change the plan (ask Intercom support which one)."
                )
            else:
                hint = (
                    "The token's app lacks permission for this call: grant the missing scope to the "
                    "app in Intercom's Developer Hub."
                )
            return IntercomForbiddenError(message, hint=hint, **common)
        if status == 404:
            match = _CONVERSATION_PATH.match(path)
            what = f"Conversation {match.group(1)}" if match else f"Nothing at {path}; it"
            return IntercomNotFoundError(
                message,
                hint=f"{what} does not exist in this workspace: check the id, and that connection "
                f"{settings.conn_id!r} points at the workspace's region (now {settings.region}).",
                **common,
            )
        if status == 429:
            err = IntercomRateLimitError(
                message,
                hint="Intercom's rate limit was exceeded and retrying did not get under it; other tasks "
                "or integrations share the app's budget. Run Intercom tasks in an Airflow pool, or give "
                "bulk tasks fewer max_workers or a max_requests_per_minute.",
                **common,
            )
            err.reset_at = header_number(response.headers, "X-RateLimit-Reset")
            return err
        if status >= 500:
            return IntercomServerError(
                message,
                hint="Intercom had a server-side problem; quote the request_id to Intercom support if it persists.",
                **common,
            )
        return IntercomError(
            message,
            hint="Intercom rejected the request; fix the value it names."
            if field
            else "Intercom rejected the request; check the values sent against Intercom's API reference.",
            **common,
        )

    # -- Layer 4: API methods ----------------------------------------------------------------

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
        display_as: str | None = None,
    ) -> JSON:
        """Update a conversation and return it: ``PUT /conversations/{id}``.

        Only the fields that are given are sent.

        :param conversation_id: the conversation id (digits, or an int).
        :param read: mark the conversation read (True) or unread (False).
        :param title: a new title.
        :param custom_attributes: custom attributes to set.
        :param company_id: the company to associate the conversation with.
        :param display_as: ``"plaintext"`` to get message bodies back as plain text.
        """
        cid = validate_conversation_id(conversation_id)
        body: dict[str, Any] = {}
        if read is not None:
            body["read"] = bool(read)
        if title is not None:
            body["title"] = title
        if custom_attributes is not None:
            body["custom_attributes"] = dict(custom_attributes)
        if company_id is not None:
            body["company_id"] = company_id
        params = {"display_as": display_as} if display_as else None
        # Setting fields to given values is idempotent: a retried PUT leaves the same state.
        return self.request("PUT", f"/conversations/{cid}", json=body, params=params, idempotent=True)

    def mark_conversation_read(self, conversation_id: str | int) -> JSON:
        """Mark a conversation as read and return it: ``PUT /conversations/{id}`` ``{"read": true}``.

        :param conversation_id: the conversation id (digits, or an int).
        """
        return self.update_conversation(conversation_id, read=True)

    def search_conversations(self, query: Mapping[str, Any], per_page: int = MAX_SEARCH_PAGE_SIZE) -> Iterator[JSON]:
        """Yield every conversation matching an Intercom search query, page by page.

        Follows ``pages.next.starting_after`` until the last page; a page is fetched only when
        the previous one has been consumed.

        :param query: the ``query`` of ``POST /conversations/search``, e.g.
            ``{"field": "state", "operator": "=", "value": "closed"}``.
        :param per_page: page size, 1 to 150.
        """
        query = validate_search_query(query)
        if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= MAX_SEARCH_PAGE_SIZE:
            raise IntercomValidationError(
                f"per_page must be an int from 1 to {MAX_SEARCH_PAGE_SIZE}; got {per_page!r}."
            )
        return self._search_pages(dict(query), per_page)

    def _search_pages(self, query: JSON, per_page: int) -> Iterator[JSON]:
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while True:
            pagination: dict[str, Any] = {"per_page": per_page}
            if cursor:
                pagination["starting_after"] = cursor
            # A search only reads, so it is as safe to retry as a GET.
            page = self.request("POST", "/conversations/search", json={"query": query, "pagination": pagination})
            conversations = page.get("conversations")
            if not isinstance(conversations, list):
                raise IntercomResponseError(
                    "answered a search without a 'conversations' list",
                    method="POST",
                    path="/conversations/search",
                    conn_id=self.settings.conn_id,
                )
            yield from conversations
            next_page = (page.get("pages") or {}).get("next") or {}
            cursor = next_page.get("starting_after") if isinstance(next_page, dict) else None
            if not cursor:
                return
            if cursor in seen_cursors:
                raise IntercomResponseError(
                    f"returned the search cursor {cursor!r} twice; stopping rather than looping forever",
                    method="POST",
                    path="/conversations/search",
                    conn_id=self.settings.conn_id,
                )
            seen_cursors.add(cursor)

    # -- Airflow UI --------------------------------------------------------------------------

    def _quick(self) -> IntercomHook:
        # For calls someone is waiting on that are not the task's job (the Test button, the link
        # lookup): one attempt, a short timeout, rather than minutes of retries.
        return self.worker_copy(
            retry_policy=RetryPolicy(max_retries=0),
            settings=replace(self.settings, timeout=min(self.settings.timeout, QUICK_TIMEOUT)),
        )

    def get_app_id_code(self) -> str | None:
        """The workspace's id code for inbox links: the connection's ``app_id_code``, else ``GET /me``.

        Makes one quick attempt; returns None (and logs why) if the lookup fails, since a missing
        link must not fail a task whose real work is done.
        """
        if self.settings.app_id_code:
            return self.settings.app_id_code
        quick = self._quick()
        try:
            code = (quick.get_me().get("app") or {}).get("id_code")
        except IntercomError as err:
            self.log.warning("Could not look up the workspace id code (for 'View in Intercom' links): %s", err)
            return None
        finally:
            quick.close()
        return str(code) if code else None

    def test_connection(self) -> tuple[bool, str]:
        """Check the connection with ``GET /me``; the Airflow UI's Test button shows the result.

        :return: ``(True, "<workspace>, region <region>, as <admin>")`` or ``(False, reason)``.
        """
        quick = self._quick()
        try:
            me = quick.get_me()
        except IntercomError as err:
            return False, str(err)
        finally:
            quick.close()
        app = me.get("app") or {}
        workspace = app.get("name") or app.get("id_code") or "unknown workspace"
        actual = str(app.get("region") or "").lower()
        admin = me.get("name") or me.get("email") or me.get("id") or "unknown admin"
        configured = self.settings.region
        if actual and actual != configured:
            return False, (
                f"Reached workspace {workspace!r} as {admin}, but it is hosted in region {actual.upper()} "
                f"while connection {self.intercom_conn_id!r} is configured for {configured.upper()}: "
                f"set extra region to {actual!r}."
            )
        return True, f"{workspace}, region {(actual or configured).upper()}, as {admin}"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Connection form layout for Airflow 2.x (3.2+ reads the provider info instead)."""
        return {
            "hidden_fields": list(HIDDEN_FIELDS),
            "relabeling": dict(RELABELING),
            "placeholders": dict(PLACEHOLDERS),
        }

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Connection form extras for Airflow 2.x (3.2+ reads the provider info instead)."""
        from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, StringField

        widgets: dict[str, Any] = {}
        for extra in EXTRA_FIELDS:
            if extra.json_type == "boolean":
                widgets[extra.name] = BooleanField(
                    lazy_gettext(extra.label), description=extra.description, default=extra.default
                )
            else:
                widgets[extra.name] = StringField(
                    lazy_gettext(extra.label),
                    widget=BS3TextFieldWidget(),
                    description=extra.description,
                    default=None if extra.default is None else str(extra.default),
                )
        return widgets


def _outcome_error(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


def _root_cause(exc: BaseException) -> str:
    # requests nests urllib3's reason several levels deep; the innermost one says the most.
    seen: set[int] = set()
    while exc.__context__ is not None and id(exc.__context__) not in seen:
        seen.add(id(exc))
        exc = exc.__context__
    return f"{type(exc).__name__}: {exc}"[:200]


def _snippet(content: bytes) -> str:
    text = content[:_SNIPPET_BYTES].decode("utf-8", errors="replace")
    suffix = "..." if len(content) > _SNIPPET_BYTES else ""
    return repr(" ".join(text.split()) + suffix)
