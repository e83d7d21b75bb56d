"""The Intercom connection contract, in one place.

Everything a user can put in an ``intercom`` Airflow connection is declared in this package
once: the connection form and its extras (:mod:`._form`: declarative for Airflow >= 3.2,
classmethods for 2.x, built from the same table) and the validation of a connection into the
settings the hook uses (:mod:`._settings`, :class:`IntercomConnectionSettings`).

Airflow calls :func:`airflow_provider_intercom.get_provider_info` while it is still initialising
its own configuration, and that function imports this package, so nothing here may import
``airflow`` at module level.
"""

from __future__ import annotations

from airflow_provider_intercom.client.facts import DEFAULT_API_VERSION
from airflow_provider_intercom.connection._form import (
    CONN_NAME_ATTR,
    CONN_TYPE,
    DEFAULT_CONN_ID,
    EXTRA_FIELDS,
    HIDDEN_FIELDS,
    HOOK_CLASS_NAME,
    HOOK_NAME,
    PLACEHOLDERS,
    RELABELING,
    ExtraField,
    form_widgets,
    provider_connection_type,
    ui_field_behaviour,
)
from airflow_provider_intercom.connection._settings import IntercomConnectionSettings

__all__ = [
    "CONN_NAME_ATTR",
    "CONN_TYPE",
    "DEFAULT_API_VERSION",
    "DEFAULT_CONN_ID",
    "EXTRA_FIELDS",
    "HIDDEN_FIELDS",
    "HOOK_CLASS_NAME",
    "HOOK_NAME",
    "PLACEHOLDERS",
    "RELABELING",
    "ExtraField",
    "IntercomConnectionSettings",
    "form_widgets",
    "provider_connection_type",
    "ui_field_behaviour",
]
