"""pytest plugin: an Intercom emulator per test, wired into Airflow's default Intercom connection.

Installed with the package (entry point ``pytest11``/``intercom_emulator``), so any test can ask
for the ``intercom_emulator`` fixture::

    def test_marks_read(intercom_emulator):
        IntercomHook().mark_conversation_read("7")  # uses AIRFLOW_CONN_INTERCOM_DEFAULT
        assert intercom_emulator.get("7")["read"] is True

The fixture starts an :class:`~airflow_provider_intercom.testing.emulator.IntercomEmulator`, sets
``AIRFLOW_CONN_INTERCOM_DEFAULT`` to :meth:`~.IntercomEmulator.airflow_conn_json` for the duration
of the test, and stops the emulator afterwards.

Tune the emulator's constructor arguments in either (or both) of two ways; the marker wins:

* per test, with the ``intercom_emulator`` marker::

      @pytest.mark.intercom_emulator(conversations=10, rate_limit=5, window=1)
      def test_small(intercom_emulator): ...

* per module, class or conftest, by overriding the ``intercom_emulator_options`` fixture::

      @pytest.fixture
      def intercom_emulator_options():
          return {"conversations": 1000, "latency": 0.05}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_provider_intercom.testing.emulator import IntercomEmulator

__all__ = ["intercom_emulator", "intercom_emulator_options"]

CONN_ENV = "AIRFLOW_CONN_INTERCOM_DEFAULT"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``intercom_emulator`` marker (the project runs with ``--strict-markers``)."""
    config.addinivalue_line(
        "markers",
        "intercom_emulator(**kwargs): IntercomEmulator constructor arguments for the intercom_emulator fixture",
    )


@pytest.fixture
def intercom_emulator_options() -> dict[str, Any]:
    """Constructor keyword arguments for the ``intercom_emulator`` fixture; override to change them."""
    return {}


@pytest.fixture
def intercom_emulator(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    intercom_emulator_options: dict[str, Any],
) -> Iterator[IntercomEmulator]:
    """A running emulator, with ``AIRFLOW_CONN_INTERCOM_DEFAULT`` pointing at it.

    :param request: pytest's request, to read the ``intercom_emulator`` marker.
    :param monkeypatch: used to set the connection environment variable for this test only.
    :param intercom_emulator_options: base constructor arguments.
    """
    options = dict(intercom_emulator_options)
    marker = request.node.get_closest_marker("intercom_emulator")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.intercom_emulator takes keyword arguments only")
        options.update(marker.kwargs)
    with IntercomEmulator(**options) as emulator:
        monkeypatch.setenv(CONN_ENV, emulator.airflow_conn_json())
        yield emulator
