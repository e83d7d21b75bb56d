"""Apache Airflow provider for Intercom."""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"

__all__ = ["__version__", "get_provider_info"]


def get_provider_info() -> dict[str, Any]:
    """Describe this provider to Airflow's ProvidersManager (the ``apache_airflow_provider`` entry point)."""
    # Imported here so that the entry point stays cheap: Airflow calls it in every process.
    from airflow_provider_intercom.connection import provider_connection_type

    return {
        "package-name": "airflow-provider-intercom",
        "name": "Intercom",
        "description": "Mark Intercom conversations read or update them from Airflow, one or thousands at a time.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Intercom",
                "external-doc-url": "https://developers.intercom.com/docs/references/rest-api/api.intercom.io/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Intercom",
                "python-modules": ["airflow_provider_intercom.hooks.intercom"],
            }
        ],
        "operators": [
            {
                "integration-name": "Intercom",
                "python-modules": [
                    "airflow_provider_intercom.operators.intercom",
                    "airflow_provider_intercom.operators.bulk",
                    "airflow_provider_intercom.operators.actions",
                    "airflow_provider_intercom.operators.messages",
                    "airflow_provider_intercom.operators.search",
                ],
            }
        ],
        "connection-types": [provider_connection_type()],
        "extra-links": ["airflow_provider_intercom.links.IntercomConversationLink"],
    }
