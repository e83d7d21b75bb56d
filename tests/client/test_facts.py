"""Intercom's API facts, defined once: consistent among themselves, and agreed on by the emulator."""

from __future__ import annotations

import pytest

from airflow_provider_intercom.client import IntercomClient, IntercomError, facts
from airflow_provider_intercom.connection import EXTRA_FIELDS
from airflow_provider_intercom.testing.emulator import IntercomEmulator


def test_the_regions_and_versions_hang_together() -> None:
    assert set(facts.API_BASE_URLS) == set(facts.APP_BASE_URLS) == set(facts.REGIONS) == {"us", "eu", "au"}
    assert facts.DEFAULT_REGION in facts.REGIONS
    assert len(set(facts.API_VERSIONS)) == len(facts.API_VERSIONS)
    assert facts.DEFAULT_API_VERSION == facts.NEWEST_API_VERSION == "2.16"
    assert facts.DEFAULT_API_VERSION in facts.API_VERSIONS
    assert {"1.0", "2.0", "2.10", "2.16", "Preview", "Unstable"} <= set(facts.API_VERSIONS)
    assert all(url.startswith("https://") for url in (*facts.API_BASE_URLS.values(), *facts.APP_BASE_URLS.values()))


def test_the_connection_form_offers_the_facts() -> None:
    extras = {extra.name: extra for extra in EXTRA_FIELDS}
    assert extras["region"].enum == facts.REGIONS
    assert extras["region"].default == facts.DEFAULT_REGION
    assert extras["api_version"].default == facts.DEFAULT_API_VERSION
    assert extras["timeout"].default == facts.DEFAULT_TIMEOUT
    assert extras["max_retries"].default == facts.DEFAULT_MAX_RETRIES


def test_the_emulator_enforces_intercoms_default_rate_limit(intercom_emulator: IntercomEmulator) -> None:
    assert intercom_emulator.rate_limit == (facts.APP_RATE_LIMIT_PER_WINDOW, facts.RATE_LIMIT_WINDOW_SECONDS)


def test_the_emulator_agrees_on_the_largest_search_page(
    intercom_emulator: IntercomEmulator, client: IntercomClient
) -> None:
    # Sent raw, past the client's own check, to see what the other side accepts.
    def search(per_page: int) -> object:
        body = {"query": {"field": "id", "operator": "=", "value": "1"}, "pagination": {"per_page": per_page}}
        return client.request("POST", "/conversations/search", json=body)

    assert search(facts.MAX_SEARCH_PAGE_SIZE)
    with pytest.raises(IntercomError) as info:
        search(facts.MAX_SEARCH_PAGE_SIZE + 1)
    assert (info.value.status, info.value.field) == (400, "pagination.per_page")


@pytest.mark.parametrize("version", facts.API_VERSIONS)
def test_the_emulator_answers_every_documented_version(intercom_emulator: IntercomEmulator, version: str) -> None:
    with IntercomClient(intercom_emulator.token, base_url=intercom_emulator.url, api_version=version) as client:
        assert client.get_me()["type"] == "admin"
