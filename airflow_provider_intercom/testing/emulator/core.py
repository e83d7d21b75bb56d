"""The :class:`IntercomEmulator`: settings, lifecycle, and the helpers tests use."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Collection, Mapping, Sequence
from types import TracebackType
from typing import Any

from airflow_provider_intercom.client import facts
from airflow_provider_intercom.testing.emulator.faults import (
    DEFAULT_PLAN_PATH,
    Fault,
    FaultBook,
    FaultKind,
    FirstAttemptFaults,
)
from airflow_provider_intercom.testing.emulator.latency import LatencyModel
from airflow_provider_intercom.testing.emulator.messages import RecordedRequest, RequestLog
from airflow_provider_intercom.testing.emulator.pipeline import RequestPipeline
from airflow_provider_intercom.testing.emulator.ratelimit import RateLimiter
from airflow_provider_intercom.testing.emulator.routes import Router
from airflow_provider_intercom.testing.emulator.server import DEFAULT_BACKLOG, EmulatorHTTPServer
from airflow_provider_intercom.testing.emulator.state import ConversationState
from airflow_provider_intercom.testing.emulator.store import ConversationStore
from airflow_provider_intercom.testing.emulator.workspace import DEFAULT_ADMIN, Workspace

__all__ = ["DEFAULT_CONVERSATIONS", "DEFAULT_TOKEN", "IntercomEmulator"]

DEFAULT_TOKEN = "emulator-token-not-a-secret"  # noqa: S105 - a fake token, only the emulator accepts it


def _check_version(version: str) -> str:
    if version not in facts.API_VERSIONS:
        raise ValueError(f"unknown Intercom API version {version!r}; expected one of {facts.API_VERSIONS}")
    return version


#: How many conversations the emulator seeds when not told otherwise.
DEFAULT_CONVERSATIONS = 50


class IntercomEmulator(ConversationState):
    """Serve Intercom's REST API on loopback, backed by seeded in-memory conversations.

    Tests set data up and read it back with the methods of :class:`~.state.ConversationState`
    (``conversation_ids``, ``get``, ``parts``, ``count_parts``, ``set_conversation``,
    ``add_parts``, ``admins``, ``teams``, ``tags``, ``add_tag``).

    :param conversations: how many conversations to create, with ids ``"1"`` .. ``str(conversations)``.
    :param seed: seed for the generated data; the same seed gives the same conversations.
    :param token: the access token of the workspace's first app (``Authorization: Bearer <token>``).
    :param port: TCP port to listen on; 0 picks a free one.
    :param host: address to bind; keep the loopback default unless you know why.
    :param rate_limit: that app's calls per window (Intercom: 10,000/min in 10 s windows = 1,667;
        some apps get less: ``facts.REPORTED_LOW_APP_RATE_LIMIT_PER_WINDOW``).
    :param window: window length in whole seconds, for every app and the workspace.
    :param workspace_rate_limit: calls per window for all apps together; ``None`` for no limit
        beyond each app's (Intercom's: ``facts.WORKSPACE_RATE_LIMIT_PER_WINDOW``).
    :param apps: more apps of the same workspace: access token -> its calls per window.
    :param latency: seconds added to every request (without blocking other connections); the
        median when ``latency_p95`` is given.
    :param latency_p95: 95th percentile of a lognormal latency with median ``latency``; ``None``
        for a fixed latency.
    :param latency_seed: seed of the latency draws, for reproducible runs.
    :param default_version: the app's default API version, used when a request sends no
        ``Intercom-Version`` (Intercom: whatever the Developer Hub says).
    :param region: ``app.region`` reported by ``GET /me``.
    :param app_id_code: ``app.id_code`` reported by ``GET /me``.
    :param app_name: ``app.name`` reported by ``GET /me``.
    :param admin_id: id of the admin owning the token.
    :param admin_name: that admin's name.
    :param admin_email: that admin's email.
    :param plan_restricted: answer every authenticated request 403 ``api_plan_restricted``.
    :param backlog: the listen backlog: connections the kernel queues before they are accepted.
    :param record_requests: keep every request in :attr:`requests`; turn it off for runs of
        millions of requests, whose log would otherwise hold gigabytes.
    """

    def __init__(
        self,
        *,
        conversations: int = DEFAULT_CONVERSATIONS,
        seed: int = 0,
        token: str = DEFAULT_TOKEN,
        port: int = 0,
        host: str = "127.0.0.1",
        rate_limit: int = facts.APP_RATE_LIMIT_PER_WINDOW,
        window: int = facts.RATE_LIMIT_WINDOW_SECONDS,
        workspace_rate_limit: int | None = None,
        apps: Mapping[str, int] | None = None,
        latency: float = 0.0,
        latency_p95: float | None = None,
        latency_seed: int | None = None,
        default_version: str = facts.EMULATOR_APP_DEFAULT_VERSION,
        region: str = "US",
        app_id_code: str = "emulatorapp",
        app_name: str = "Emulator Workspace",
        admin_id: str = DEFAULT_ADMIN["id"],
        admin_name: str = DEFAULT_ADMIN["name"],
        admin_email: str = DEFAULT_ADMIN["email"],
        plan_restricted: bool = False,
        backlog: int = DEFAULT_BACKLOG,
        record_requests: bool = True,
    ) -> None:
        self._token = token
        self.host = host
        self.region = region
        self.app_id_code = app_id_code
        self.app_name = app_name
        self.admin_id = admin_id
        self.admin_name = admin_name
        self.admin_email = admin_email
        #: When true, every authenticated request is answered 403 ``api_plan_restricted``.
        self.plan_restricted = plan_restricted
        self._default_version = _check_version(default_version)
        self.backlog = backlog
        self._requested_port = port
        self._store = ConversationStore(conversations, seed)
        self._workspace = Workspace(admin_id, admin_name, admin_email)
        self._limiter = RateLimiter(token, rate_limit, window, workspace_rate_limit)
        for app_token, app_limit in (apps or {}).items():
            self.add_app(app_token, app_limit)
        self._latency = LatencyModel(latency, latency_p95, latency_seed)
        self._faults = FaultBook()
        self._log = RequestLog(record_requests)
        self._pipeline = RequestPipeline(
            settings=self,
            router=Router(self._store, self._workspace, self),
            limiter=self._limiter,
            faults=self._faults,
            latency=self._latency,
            log=self._log,
        )
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> IntercomEmulator:
        """Bind the port and serve in a background thread; returns ``self``."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        self._pipeline.resume()
        server = EmulatorHTTPServer((self.host, self._requested_port), self._pipeline, backlog=self.backlog)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="intercom-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, abort open connections and pending waits; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self._pipeline.abort()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> IntercomEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port actually bound (only while running)."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    @property
    def token(self) -> str:
        """The access token of the workspace's first app."""
        return self._token

    @property
    def default_version(self) -> str:
        """The API version answered when a request sends no ``Intercom-Version``; settable."""
        return self._default_version

    @default_version.setter
    def default_version(self, version: str) -> None:
        self._default_version = _check_version(version)

    @property
    def latency(self) -> LatencyModel:
        """The latency added to each request (``median``, ``p95``, ``sample()``)."""
        return self._latency

    @property
    def open_connections(self) -> int:
        """How many client connections are open right now."""
        return self._pipeline.open_connections

    # ----------------------------------------------------------------- data and request log

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        return self._log.snapshot()

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._log.clear()

    def airflow_conn_json(self, **extra: Any) -> str:
        """The value for ``AIRFLOW_CONN_INTERCOM_DEFAULT`` that points Airflow at this emulator.

        :param extra: items for the connection's ``extra``.
        """
        return json.dumps({"conn_type": "intercom", "host": self.url, "password": self.token, "extra": extra})

    # ----------------------------------------------------------------- rate limits

    def set_rate_limit(self, limit: int, window: int | None = None, *, token: str | None = None) -> None:
        """Change an app's rate limit at runtime; the current window's count is kept.

        :param limit: accepted calls per window.
        :param window: window length in whole seconds, for every app; unchanged when ``None``
            (changing it restarts every window).
        :param token: the app; the first app when ``None``.
        """
        self._limiter.set_limit(self.token if token is None else token, limit, window)

    @property
    def rate_limit(self) -> tuple[int, int]:
        """``(limit, window_seconds)`` currently enforced for the first app."""
        return self._limiter.limits(self.token)

    def add_app(self, token: str, rate_limit: int = facts.APP_RATE_LIMIT_PER_WINDOW) -> None:
        """Add an app to the workspace: another token, with its own window, sharing the workspace's.

        :param token: its access token.
        :param rate_limit: its calls per window.
        """
        self._limiter.add_app(token, rate_limit)

    @property
    def workspace_rate_limit(self) -> int | None:
        """The workspace's calls per window, ``None`` when only the apps' limits apply."""
        return self._limiter.workspace_limit

    def set_workspace_rate_limit(self, limit: int | None) -> None:
        """Change the workspace's limit at runtime.

        :param limit: calls per window for all apps together; ``None`` removes it.
        """
        self._limiter.set_workspace_limit(limit)

    # ----------------------------------------------------------------- faults

    def inject(
        self,
        kind: FaultKind,
        *,
        times: int | None = 1,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        status: int | None = None,
        delay: float | None = None,
        code: str | None = None,
        message: str | None = None,
        field: str | None = None,
        reset_in: float | None = None,
    ) -> Fault:
        """Script a fault for the next matching request(s); faults are tried in the order added.

        Kinds:

        * ``"status"``: answer ``status`` (default 500) with an ``error.list`` whose code follows
          the status (500 ``server_error``, 502 ``server_error``, 503 ``service_unavailable``,
          504 ``request_timeout``, 400 ``parameter_invalid``, ...) unless ``code`` is given.
        * ``"rate_limit"``: a 429 ``rate_limit_exceeded`` with ``X-RateLimit-Remaining: 0`` and a
          reset at the end of the current window, or ``reset_in`` seconds from now. A "429 storm" is
          ``times=N`` or ``times=None``.
        * ``"workspace_rate_limit"``: a 429 as when the workspace's budget is spent: authenticated,
          with the app's own ``X-RateLimit-*`` headers unchanged (``Remaining`` still above 0).
        * ``"reset"``: abort the connection with a TCP RST, no response.
        * ``"slow"``: wait ``delay`` seconds (default 1), then answer normally.
        * ``"malformed_json"``: ``status`` (default 200), ``application/json``, truncated JSON.
        * ``"html"``: an HTML error page as a proxy would send, ``status`` default 502.

        Applied, then failed (the endpoint applies the request, then its answer is lost):

        * ``"apply_then_reset"``: the connection is reset (TCP RST) instead of the answer.
        * ``"apply_then_status"``: an error list with ``status`` (default 502) instead of the answer.
        * ``"apply_then_slow"``: the answer comes after ``delay`` seconds (default 1): set it above
          the client's read timeout.

        :param kind: one of the kinds above.
        :param times: how many matching requests to affect; ``None`` for all of them.
        :param method: only requests with this HTTP method.
        :param path: only requests whose path matches this fnmatch pattern (exact when it has no
            wildcards) or compiled regular expression (``fullmatch``).
        :param status: HTTP status for ``status``, ``malformed_json``, ``html`` and ``apply_then_status``.
        :param delay: seconds to wait, for ``slow`` and ``apply_then_slow``.
        :param code: error code for ``status`` and ``rate_limit``.
        :param message: error message for ``status`` and ``rate_limit``.
        :param field: error ``field`` for ``status``.
        :param reset_in: seconds until the reported reset (rounded up to a whole UNIX second), for
            ``rate_limit``.
        :return: the :class:`Fault`, whose ``hits`` counts the requests it answered.
        """
        return self._faults.add(Fault(kind, times, method, path, status, delay, code, message, field, reset_in))

    def inject_first_attempts(
        self,
        fraction: float,
        kinds: Sequence[FaultKind | Fault],
        *,
        seed: int = 0,
        methods: Collection[str] = ("POST", "PUT", "DELETE"),
        path: str | re.Pattern[str] | None = DEFAULT_PLAN_PATH,
    ) -> FirstAttemptFaults:
        """Fault a share of first attempts, each request target at most once, mixing kinds.

        A target is a method and path, e.g. ``POST /conversations/7/reply``. Whether its first
        attempt is faulted, and with which kind, follows from a hash of ``(seed, target)``: the
        same targets fail on every run, whatever the order of arrival. Retries pass. Consulted
        after the faults of :meth:`inject`.

        :param fraction: the share of first attempts to fault, 0 to 1 (about that share of a
            large run; exactly the targets for which ``plan.planned(method, path)`` is not ``None``).
        :param kinds: the faults to mix evenly: kinds, or :class:`Fault` templates for their
            ``status``/``delay`` (e.g. ``Fault("apply_then_slow", delay=35)``).
        :param seed: seed of the choice.
        :param methods: the methods covered, by default the writes.
        :param path: the paths covered (fnmatch pattern or regex); by default every
            per-conversation path (not search).
        :return: the plan; its ``faulted`` maps each faulted target to its kind.
        """
        return self._faults.add_plan(FirstAttemptFaults(fraction, kinds, seed, methods, path))

    def clear_faults(self) -> None:
        """Remove every injected fault and first-attempt plan."""
        self._faults.clear()
