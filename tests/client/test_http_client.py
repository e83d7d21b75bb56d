"""The sync transport over real loopback HTTP: connections that fail, answers mangled on the way, TLS.

A proxy between the worker and Intercom can mangle an answer (a body that claims gzip but is not).
The request may have been applied by then: this is a network failure, retried like a broken
connection, never "the request could not be built". (Proxies, CA bundles and cut handshakes on
both transports: test_network.py; redirects: test_redirects.py.)
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_intercom.client import IntercomClient, IntercomConnectionError, RetryPolicy
from tests.helpers.fixtures import CONN_ID, Sleeps, make_client
from tests.helpers.loopback import answer, serving


class _Proxy(BaseHTTPRequestHandler):
    """Answers with a body that is not gzip, though it says it is."""

    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        answer(self, b"this is not gzip", **{"Content-Encoding": "gzip"})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[str]:
    _Proxy.hits = 0
    with serving(_Proxy) as url:
        yield url


def test_an_answer_mangled_on_the_way_back_is_a_retried_network_failure(proxy: str) -> None:
    sleeps = Sleeps()
    client = IntercomClient(
        "fake-token", base_url=proxy, conn_id=CONN_ID, retry_policy=RetryPolicy(max_retries=2), sleep=sleeps
    )
    with client, pytest.raises(IntercomConnectionError) as info:
        client.get_me()

    error = info.value
    assert (error.attempts, error.sent, error.permanent, len(sleeps)) == (3, True, False, 2)
    assert "broke before a response arrived" in str(error)
    assert "Could not build the request" not in str(error)
    assert "fake-token" not in str(error)
    assert _Proxy.hits >= 3


def test_connection_refused_is_retried_then_clear(sleeps: Sleeps) -> None:
    with make_client(_nowhere(), sleep=sleeps) as client, pytest.raises(IntercomConnectionError) as info:
        client.get_me()
    assert (info.value.attempts, info.value.sent, len(sleeps)) == (4, False, 3)
    assert f"could not connect to {client.base_url}" in str(info.value)
    assert "Check the connection's Host/region and the worker's network" in str(info.value)


def _nowhere() -> Any:
    """Something with a ``url`` nothing listens on (a port that was free a moment ago)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    class Nowhere:
        token = "fake-token"
        url = f"http://127.0.0.1:{port}"

    return Nowhere()


# -- TLS ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTPS server with a self-signed certificate that answers every GET with an admin."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    folder: Path = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer(self, b'{"type": "admin", "id": "1"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler, tls=context) as url:
        yield url


def test_tls_certificates_are_verified_and_a_failure_says_what_to_do(tls_server: str, sleeps: Sleeps) -> None:
    with (
        IntercomClient("t", base_url=tls_server, conn_id=CONN_ID, sleep=sleeps) as client,
        pytest.raises(IntercomConnectionError) as info,
    ):
        client.get_me()
    assert f"the TLS certificate of {tls_server} failed verification" in str(info.value)
    assert "self-signed certificate" in str(info.value)
    assert "verify_ssl=false only for a test server" in str(info.value)
    assert (info.value.permanent, info.value.sent) == (True, False)
    assert sleeps == []  # a certificate that failed once fails again: not retried


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_verification_can_be_turned_off_for_a_test_server(tls_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Even where the environment names a CA bundle, which requests would otherwise let win.
    from requests.certs import where

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", where())
    with IntercomClient("t", base_url=tls_server, verify_ssl=False) as client:
        assert client.get_me() == {"type": "admin", "id": "1"}
