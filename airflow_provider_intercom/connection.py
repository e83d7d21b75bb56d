"""The Intercom connection contract, in one place.

Everything a user can put in an ``intercom`` Airflow connection is declared here once: the
connection form (declarative for Airflow >= 3.2, classmethods for 2.x are built from the same
table), the defaults, and :class:`IntercomConnectionSettings`, which validates a connection into
the settings the hook uses.

Airflow calls :func:`airflow_provider_intercom.get_provider_info` while it is still initialising
its own configuration, and that function imports this module, so nothing here may import
``airflow`` at module level.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

from airflow_provider_intercom.client._error import IntercomConfigError
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

CONN_TYPE = "intercom"
DEFAULT_CONN_ID = "intercom_default"
CONN_NAME_ATTR = "intercom_conn_id"
HOOK_NAME = "Intercom"
HOOK_CLASS_NAME = "airflow_provider_intercom.hooks.intercom.IntercomHook"

_REGION_BY_HOST: Mapping[str, str] = {url.split("://", 1)[1]: region for region, url in API_BASE_URLS.items()}

_TOKEN_RE = re.compile(r"^[\x21-\x7e]+$")
_DEFAULT_PORTS: Mapping[str, int] = {"http": 80, "https": 443}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class ExtraField:
    """One field of the connection's ``extra`` JSON, as the connection form shows it."""

    name: str
    label: str
    description: str
    json_type: str
    default: Any = None
    enum: tuple[str, ...] = ()


#: The extras, in the order the connection form shows them.
EXTRA_FIELDS: tuple[ExtraField, ...] = (
    ExtraField(
        "region",
        "Region",
        "Where the workspace is hosted: us (api.intercom.io), eu (api.eu.intercom.io) "
        "or au (api.au.intercom.io). An Intercom Host sets it; with a proxy Host it only names the "
        "workspace's region, for links and the Test button.",
        "string",
        DEFAULT_REGION,
        ("us", "eu", "au"),
    ),
    ExtraField(
        "api_version",
        "API version",
        "Sent as the Intercom-Version header, so responses keep their shape whatever the app's default version is.",
        "string",
        DEFAULT_API_VERSION,
        API_VERSIONS,
    ),
    ExtraField("timeout", "Timeout (seconds)", "Per-request timeout in seconds.", "number", DEFAULT_TIMEOUT),
    ExtraField(
        "max_retries",
        "Max retries",
        "Retries of one request after a 429, 5xx, timeout or connection error.",
        "integer",
        DEFAULT_MAX_RETRIES,
    ),
    ExtraField(
        "max_retry_time",
        "Max retry time (seconds)",
        "Upper bound on the time one request may spend waiting and retrying.",
        "number",
        DEFAULT_MAX_RETRY_TIME,
    ),
    ExtraField(
        "verify_ssl",
        "Verify TLS certificates",
        "Leave on. Turning it off logs a warning on every task.",
        "boolean",
        True,
    ),
    ExtraField(
        "app_id_code",
        "App id code",
        "Optional workspace id code (as in app.intercom.com/a/inbox/<id code>/...), used for "
        "'View in Intercom' links. Looked up with GET /me when empty.",
        "string",
    ),
)

HIDDEN_FIELDS: tuple[str, ...] = ("login", "schema")
# Port stays visible: Airflow 3.3.2's connection list sends port 0 for a portless connection when
# its Test button is pressed, and its API then refuses the test (400). A stored 443 avoids that;
# the client ignores the port unless Host is set.
RELABELING: Mapping[str, str] = {
    "password": "Access token",
    "host": "Base URL (optional)",
    "port": "Port (443, or your Base URL's port: the Test button needs it)",
}
PLACEHOLDERS: Mapping[str, str] = {
    "host": "https://api.intercom.io (leave empty to use the region)",
    "password": "Intercom access token",
    "port": "443",
}


def provider_connection_type() -> dict[str, Any]:
    """Return the ``connection-types`` entry of the provider info (declarative form, Airflow >= 3.2)."""
    conn_fields: dict[str, Any] = {}
    for extra in EXTRA_FIELDS:
        schema: dict[str, Any] = {"type": [extra.json_type, "null"]}
        if extra.default is not None:
            schema["default"] = extra.default
        if extra.enum:
            schema["enum"] = list(extra.enum)
        if extra.json_type == "number":
            schema["exclusiveMinimum"] = 0
        elif extra.json_type == "integer":
            schema["minimum"] = 0
            schema["maximum"] = MAX_RETRIES_LIMIT
        conn_fields[extra.name] = {"label": extra.label, "description": extra.description, "schema": schema}
    return {
        "connection-type": CONN_TYPE,
        "hook-class-name": HOOK_CLASS_NAME,
        "hook-name": HOOK_NAME,
        "ui-field-behaviour": {
            "hidden-fields": list(HIDDEN_FIELDS),
            "relabeling": dict(RELABELING),
            "placeholders": dict(PLACEHOLDERS),
        },
        "conn-fields": conn_fields,
    }


def ui_field_behaviour() -> dict[str, Any]:
    """The form layout in the shape of ``BaseHook.get_ui_field_behaviour`` (Airflow < 3.2)."""
    return {"hidden_fields": list(HIDDEN_FIELDS), "relabeling": dict(RELABELING), "placeholders": dict(PLACEHOLDERS)}


def form_widgets() -> dict[str, Any]:
    """The extras as WTForms fields, for ``BaseHook.get_connection_form_widgets`` (Airflow < 3.2).

    Flask-AppBuilder is imported here: only the webserver of those versions has it.
    """
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
        port: int | None = None,
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
            base_url = _base_url(conn_id, host.strip(), port)
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
    netloc = parts.netloc
    # The form asks for port 443 (Airflow 3.3.2's Test button needs a stored port); the scheme's
    # own port adds nothing to the URL.
    if port and parts.port is None and int(port) != _DEFAULT_PORTS[parts.scheme]:
        netloc = f"{netloc}:{int(port)}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def _positive_number(conn_id: str, name: str, value: Any, default: float) -> float:
    if value in (None, ""):
        return default
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        _fail(conn_id, f"has a non-numeric extra {name!r} {value!r}. Give a number of seconds, e.g. 30")
    if not math.isfinite(number) or number <= 0:
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
