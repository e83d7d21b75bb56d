"""The Intercom connection form: its extras, labels and placeholders, declared once.

The declarative form of Airflow >= 3.2 (:func:`provider_connection_type`, read through
``get_provider_info``) and the classmethods of Airflow 2.x (:func:`ui_field_behaviour`,
:func:`form_widgets`) are both built from :data:`EXTRA_FIELDS`. Airflow calls
``get_provider_info`` while it is still initialising its own configuration, so nothing here may
import ``airflow`` at module level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_intercom.client.facts import (
    API_VERSIONS,
    DEFAULT_API_VERSION,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_TIME,
    DEFAULT_REGION,
    DEFAULT_TIMEOUT,
    MAX_RETRIES_LIMIT,
    REGIONS,
)

CONN_TYPE = "intercom"
DEFAULT_CONN_ID = "intercom_default"
CONN_NAME_ATTR = "intercom_conn_id"
HOOK_NAME = "Intercom"
HOOK_CLASS_NAME = "airflow_provider_intercom.hooks.intercom.IntercomHook"


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
        REGIONS,
    ),
    ExtraField(
        "api_version",
        "API version",
        "Sent as the Intercom-Version header, so responses keep their shape whatever the app's default version is. "
        "Preview is Intercom's current name for its unstable version (Unstable is still accepted).",
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
    ExtraField(
        "admin_id",
        "Admin id",
        "Optional admin that close, open, snooze, assign and tag act as (Intercom requires one; "
        "GET /admins lists them). An operator's admin_id wins; when both are empty, the admin that "
        "owns the access token (GET /me).",
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
