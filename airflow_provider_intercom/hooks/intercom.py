"""IntercomHook: an Airflow connection adapted to an :class:`~airflow_provider_intercom.client.IntercomClient`.

Like the Slack provider's hook over ``WebClient``, the hook only turns the connection into
settings and the settings into a client (:attr:`IntercomHook.client`, :meth:`IntercomHook.get_conn`).
It registers the token with Airflow's secrets masker, keeps the UI's Test button and connection
form, and delegates the API methods to the client so that DAG code can call them on the hook.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom._compat import AirflowNotFoundException, BaseHook, mask_secret
from airflow_provider_intercom.client._error import IntercomConfigError, IntercomError
from airflow_provider_intercom.client._retry import RetryPolicy
from airflow_provider_intercom.client.facts import QUICK_TIMEOUT
from airflow_provider_intercom.connection import (
    CONN_NAME_ATTR,
    CONN_TYPE,
    DEFAULT_CONN_ID,
    HOOK_NAME,
    IntercomConnectionSettings,
    form_widgets,
    ui_field_behaviour,
)

if TYPE_CHECKING:
    from airflow_provider_intercom.client import AdaptiveRateLimiter, IntercomClient

JSON = dict[str, Any]


class IntercomHook(BaseHook):
    """Talk to Intercom's REST API through an Airflow connection of type ``intercom``.

    The connection is read on first use, not when the hook is built, so building a hook in a
    DAG file or an operator's ``__init__`` costs nothing.

    :param intercom_conn_id: the Airflow connection id (default ``intercom_default``).
    :param settings: ready-made settings, instead of reading the Airflow connection.
    :param retry_policy: overrides the connection's ``max_retries`` / ``max_retry_time``.
    :param rate_limiter: paces every request through a shared limiter.
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

    @cached_property
    def settings(self) -> IntercomConnectionSettings:
        """The connection's validated settings, read on first use.

        :raises IntercomConfigError: if the connection is missing or invalid.
        """
        settings = self._given_settings or self._read_connection(self.intercom_conn_id)
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

    def _read_connection(self, name: str) -> IntercomConnectionSettings:
        # ``name`` is how messages call the connection: the Test button passes "" because Airflow
        # tests a form under a temporary id that would mean nothing to the user.
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
            name, password=conn.password, host=conn.host, port=conn.port, extra=conn.extra_dejson, warn=self.log.warning
        )

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        """The retry policy: the constructor's, else built from the connection's extras."""
        if self._given_retry_policy is not None:
            return self._given_retry_policy
        return RetryPolicy(max_retries=self.settings.max_retries, max_retry_time=self.settings.max_retry_time)

    @cached_property
    def client(self) -> IntercomClient:
        """The :class:`~airflow_provider_intercom.client.IntercomClient` of this connection, built on first use."""
        return self._client(self.settings, self.retry_policy)

    def get_conn(self) -> IntercomClient:
        """Return :attr:`client` (Airflow's usual hook entry point)."""
        return self.client

    def _client(self, settings: IntercomConnectionSettings, policy: RetryPolicy) -> IntercomClient:
        from airflow_provider_intercom.client import IntercomClient

        return IntercomClient(
            settings.token,
            base_url=settings.base_url,
            region=settings.region,
            api_version=settings.api_version,
            timeout=settings.timeout,
            retry_policy=policy,
            rate_limiter=self._rate_limiter,
            stop_event=self._stop_event,
            verify_ssl=settings.verify_ssl,
            conn_id=settings.conn_id or None,
            logger=self.log,
        )

    def close(self) -> None:
        """Close the client's HTTP session, if one was opened; a later request opens a new one."""
        client = self.__dict__.get("client")
        if client is not None:
            client.close()

    # -- API methods: the client's, so that DAG code can call them on the hook ------------------

    def __getattr__(self, name: str) -> Any:
        # One generic delegation (request, get_conversation, send_action, list_all, ...) rather
        # than a method per API call. The name is checked on the class, so that hasattr() on a
        # hook never reads its connection.
        from airflow_provider_intercom.client import IntercomClient

        if name.startswith("_") or not callable(getattr(IntercomClient, name, None)):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(self.client, name)

    @cached_property
    def me(self) -> JSON:
        """The admin that owns the token, with its ``app``: ``GET /me``, made once per hook."""
        return self.client.get_me()

    def actor_id(self, admin_id: Any = None) -> str:
        """The admin an action is performed as, which Intercom requires of every action.

        ``admin_id`` if given, else the connection's extra ``admin_id``, else the admin that owns
        the access token (``GET /me``, looked up once per hook).

        :param admin_id: the operator's ``admin_id``, if any.
        :raises IntercomValidationError: if the id given is not an admin id.
        """
        from airflow_provider_intercom.client._actions import validate_admin_id

        if admin_id is not None:
            return validate_admin_id(admin_id)
        if self.settings.admin_id:
            return self.settings.admin_id
        return validate_admin_id(self.me.get("id"), where="GET /me's admin id")

    # -- Airflow UI --------------------------------------------------------------------------

    def _quick_client(self, settings: IntercomConnectionSettings) -> IntercomClient:
        # For calls someone is waiting on that are not the task's job (the Test button, the link
        # lookup): one attempt, a short timeout, rather than minutes of retries.
        return self._client(settings, RetryPolicy(max_retries=0)).with_options(
            timeout=min(settings.timeout, QUICK_TIMEOUT)
        )

    def get_app_id_code(self) -> str | None:
        """The workspace's id code for inbox links: the connection's ``app_id_code``, else ``GET /me``.

        Makes one quick attempt; returns None (and logs why) if the lookup fails, since a missing
        link must not fail a task whose real work is done.
        """
        if self.settings.app_id_code:
            return self.settings.app_id_code
        try:
            me = self.__dict__.get("me")  # the actor's lookup, if one was made, serves the link too
            if me is None:
                with self._quick_client(self.settings) as quick:
                    me = quick.get_me()
            code = (me.get("app") or {}).get("id_code")
        except IntercomError as err:
            self.log.warning("Could not look up the workspace id code (for 'View in Intercom' links): %s", err)
            return None
        return str(code) if code else None

    def test_connection(self) -> tuple[bool, str]:
        """Check the connection with ``GET /me``; the Airflow UI's Test button shows the result.

        :return: ``(True, "<workspace>, region <region>, as <admin>")`` or ``(False, reason)``.
        """
        try:
            settings = self._given_settings or self._read_connection("")
            mask_secret(settings.token)
            with self._quick_client(settings) as quick:
                me = quick.get_me()
        except IntercomError as err:
            return False, str(err)
        app = me.get("app") or {}
        workspace = app.get("name") or app.get("id_code") or "unknown workspace"
        actual = str(app.get("region") or "").lower()
        admin = me.get("name") or me.get("email") or me.get("id") or "unknown admin"
        if actual and actual != settings.region:
            return False, (
                f"Reached workspace {workspace!r} as {admin}, but it is hosted in region {actual.upper()} "
                f"while this connection is configured for {settings.region.upper()}: set Region to {actual!r}."
            )
        return True, f"{workspace}, region {(actual or settings.region).upper()}, as {admin}"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Connection form layout for Airflow < 3.2 (3.2+ reads the provider info instead)."""
        return ui_field_behaviour()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Connection form extras for Airflow < 3.2 (3.2+ reads the provider info instead)."""
        return form_widgets()
