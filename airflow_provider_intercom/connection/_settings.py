"""An ``intercom`` Airflow connection validated into the settings the hook builds its client from.

:meth:`IntercomConnectionSettings.from_connection` checks every field, and raises an
:class:`~airflow_provider_intercom.client.IntercomConfigError` that names the connection, the field
and what to do. Nothing here imports ``airflow``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

from airflow_provider_intercom.client._error import IntercomConfigError
from airflow_provider_intercom.client._validation import is_positive_number
from airflow_provider_intercom.client.facts import (
    API_BASE_URLS,
    API_VERSIONS,
    APP_BASE_URLS,
    DEFAULT_API_VERSION,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_TIME,
    DEFAULT_REGION,
    DEFAULT_TIMEOUT,
    MAX_RETRIES_LIMIT,
)
from airflow_provider_intercom.connection._form import EXTRA_FIELDS

_REGION_BY_HOST: Mapping[str, str] = {url.split("://", 1)[1]: region for region, url in API_BASE_URLS.items()}

_TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")
_DEFAULT_PORTS: Mapping[str, int] = {"http": 80, "https": 443}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class IntercomConnectionSettings:
    """Validated settings of one Intercom connection.

    :param conn_id: the Airflow connection id, named in every error.
    :param token: the access token; never shown in ``repr``.
    :param base_url: API base URL without a trailing slash.
    :param region: ``us``, ``eu`` or ``au``; for links into the inbox.
    :param api_version: the ``Intercom-Version`` header.
    :param timeout: per-request timeout in seconds.
    :param max_retries: retries of one request.
    :param max_retry_time: seconds one request may spend retrying.
    :param verify_ssl: verify TLS certificates.
    :param app_id_code: the workspace id code for inbox links, if configured.
    :param admin_id: the admin that actions are performed as, if configured.
    """

    conn_id: str
    token: str = field(repr=False)
    base_url: str = API_BASE_URLS[DEFAULT_REGION]
    region: str = DEFAULT_REGION
    api_version: str = DEFAULT_API_VERSION
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    max_retry_time: float = DEFAULT_MAX_RETRY_TIME
    verify_ssl: bool = True
    app_id_code: str | None = None
    admin_id: str | None = None

    @property
    def app_base_url(self) -> str:
        """The inbox host of this connection's region."""
        return APP_BASE_URLS[self.region]

    @classmethod
    def from_connection(
        cls,
        conn_id: str,
        *,
        password: str | None,
        host: str | None,
        port: int | str | None = None,
        extra: Mapping[str, Any] | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> IntercomConnectionSettings:
        """Validate the fields of an Airflow connection.

        :param conn_id: the connection id, for error messages.
        :param password: the access token.
        :param host: optional base URL, overriding the region.
        :param port: optional port, for a host given without one.
        :param extra: the connection's extra JSON, already parsed.
        :param warn: where to report questionable but usable values (default: ``warnings.warn``).
        :raises IntercomConfigError: naming the connection and the field that is wrong.
        """
        extra = dict(extra or {})
        warn = warn or _warn
        # Checked even without a Host, which alone uses it: a bad value fails before any request.
        port_number = _port(conn_id, port)
        token = (password or "").strip()
        if not token:
            _fail(
                conn_id,
                "has no access token. Put the token in the connection's 'Access token' field "
                "(the password, in the CLI and in connection URIs)",
            )
        if not _TOKEN_RE.match(token):
            # Never echo it: a token with a stray newline would otherwise end up in the message.
            _fail(
                conn_id,
                "has an access token with spaces, line breaks or non-ASCII characters inside it; "
                "Intercom tokens have none. Copy the token again from Intercom's Developer Hub",
            )
        unknown = sorted(set(extra) - {f.name for f in EXTRA_FIELDS})
        if unknown:
            warn(
                f"{_name(conn_id)} has unknown extra field(s) {unknown}; they are ignored. "
                f"Known fields: {[f.name for f in EXTRA_FIELDS]}."
            )
        region = _region(conn_id, extra.get("region"))
        if host and host.strip():
            base_url = _base_url(conn_id, host.strip(), port_number)
            # A regional Intercom host says where the workspace lives (links, Test button).
            host_region = _REGION_BY_HOST.get(urlsplit(base_url).hostname or "")
            # The form saves every extra at its default: only another region is a choice, and only
            # Intercom's own Host can disagree with it (behind a proxy, region names the workspace's).
            if region != DEFAULT_REGION and host_region is not None and host_region != region:
                warn(
                    f"{_name(conn_id)} sets both Host ({base_url}) and extra 'region' "
                    f"({region}); Host wins. Remove one of them."
                )
            region = host_region or region
        else:
            base_url = API_BASE_URLS[region]
        raw_version = extra.get("api_version")
        if raw_version not in (None, "") and not isinstance(raw_version, str):
            # An unquoted 2.10 in JSON is the float 2.1: a valid version, but not the one meant.
            _fail(
                conn_id,
                f"has a non-string extra 'api_version' {raw_version!r}. Quote it in the JSON, e.g. "
                f'"api_version": "{DEFAULT_API_VERSION}", so that 2.10 does not become 2.1',
            )
        api_version = str(raw_version or DEFAULT_API_VERSION).strip()
        if api_version not in API_VERSIONS:
            _fail(
                conn_id,
                f"has an unknown extra 'api_version' {api_version!r}. Intercom accepts {', '.join(API_VERSIONS)}; "
                f"use {DEFAULT_API_VERSION!r} (quoted, so JSON keeps it a string) unless you need another",
            )
        app_id_code = extra.get("app_id_code")
        admin_id = extra.get("admin_id")
        if admin_id not in (None, ""):
            admin_id = str(admin_id).strip()
            if not admin_id.isdigit() or not admin_id.isascii():
                _fail(
                    conn_id,
                    f"has an extra 'admin_id' {admin_id[:40]!r} that is not an Intercom admin id (digits, "
                    "e.g. '991267'). GET /admins lists them; or leave it empty to act as the token's admin",
                )
        return cls(
            conn_id=conn_id,
            token=token,
            base_url=base_url,
            region=region,
            api_version=api_version,
            timeout=_positive_number(conn_id, "timeout", extra.get("timeout"), DEFAULT_TIMEOUT),
            max_retries=_retries(conn_id, extra.get("max_retries")),
            max_retry_time=_positive_number(
                conn_id, "max_retry_time", extra.get("max_retry_time"), DEFAULT_MAX_RETRY_TIME
            ),
            verify_ssl=_boolean(conn_id, "verify_ssl", extra.get("verify_ssl"), True),
            app_id_code=str(app_id_code).strip() if app_id_code not in (None, "") else None,
            admin_id=admin_id or None,
        )


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


def _fail(conn_id: str, problem: str) -> NoReturn:
    raise IntercomConfigError(f"{_name(conn_id)} {problem}.", conn_id=conn_id or None)


def _name(conn_id: str) -> str:
    # An empty id is the Test button's: Airflow tests a form under a temporary id, never shown.
    return f"Intercom connection {conn_id!r}" if conn_id else "This Intercom connection"


def _region(conn_id: str, value: Any) -> str:
    if value in (None, ""):
        return DEFAULT_REGION
    region = str(value).strip().lower()
    if region not in API_BASE_URLS:
        _fail(conn_id, f"has an unknown extra 'region' {value!r}. Use one of: {', '.join(API_BASE_URLS)}")
    return region


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    import ipaddress  # only needed for the rare plain-http host; Airflow imports this module early

    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _base_url(conn_id: str, host: str, port: int | None) -> str:
    """The API base URL of a Host, its path prefix kept: a proxy's ``https://proxy/intercom``."""
    # A URI-style connection (intercom://:token@api.eu.intercom.io) loses the scheme: default to https.
    url = host if "://" in host else f"https://{host}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        _fail(conn_id, f"has an invalid Host {host!r}. Use a full base URL such as https://api.eu.intercom.io")
    if parts.query or parts.fragment or parts.username or parts.password:
        _fail(conn_id, "has a Host with credentials, a query or a fragment. Use a plain base URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        _fail(
            conn_id,
            f"has a plain-http Host {parts.hostname!r}. The access token must never travel in clear "
            "text: use https:// (plain http is only allowed for loopback test servers)",
        )
    try:
        host_port = parts.port
    except ValueError:  # "https://proxy:abc": urlsplit accepts it, .port does not
        _fail(conn_id, f"has a Host {host!r} whose port is not a number from 1 to 65535. Fix the port in the Host")
    netloc = parts.netloc
    # The form asks for port 443 (Airflow 3.3.2's Test button needs a stored port); the scheme's
    # own port adds nothing to the URL.
    if port and host_port is None and port != _DEFAULT_PORTS[parts.scheme]:
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def _port(conn_id: str, value: Any) -> int | None:
    if value in (None, "", 0):
        return None  # Airflow 3.3.2's connection list sends 0 for a portless connection
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        _fail(
            conn_id,
            f"has a Port {value!r} that is not a whole number from 1 to 65535. Set the connection's Port field "
            "to 443 (or your Host's port), or leave it empty",
        )
    return int(text)


def _positive_number(conn_id: str, name: str, value: Any, default: float) -> float:
    if value in (None, ""):
        return default
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        _fail(conn_id, f"has a non-numeric extra {name!r} {value!r}. Give a number of seconds, e.g. 30")
    if not is_positive_number(number):
        _fail(conn_id, f"has extra {name!r} {value!r}; it must be a positive number of seconds")
    return number


def _retries(conn_id: str, value: Any) -> int:
    if value in (None, ""):
        return DEFAULT_MAX_RETRIES
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or int(text) > MAX_RETRIES_LIMIT:
        _fail(
            conn_id,
            f"has extra 'max_retries' {value!r}; it must be a whole number from 0 to {MAX_RETRIES_LIMIT}",
        )
    return int(text)


def _boolean(conn_id: str, name: str, value: Any, default: bool) -> bool:
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    _fail(conn_id, f"has extra {name!r} {value!r}; use true or false")
