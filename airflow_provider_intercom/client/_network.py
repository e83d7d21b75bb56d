"""What both transports take from the environment, decided once: the CA bundle and TLS settings.

``requests`` and ``aiohttp`` differ by default: ``requests`` trusts ``REQUESTS_CA_BUNDLE`` (or
``CURL_CA_BUNDLE``, else certifi's bundle), ``aiohttp`` the system store. Behind a corporate proxy
that re-signs TLS with a private CA, only the first works. Both transports therefore verify
against the bundle :func:`ca_bundle` picks, and both read proxies from ``HTTP(S)_PROXY`` /
``NO_PROXY`` (``requests`` always does; ``aiohttp`` with ``trust_env=True``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

#: The variables ``requests`` reads, in its order: the first one set names the bundle.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def ca_bundle(environ: Mapping[str, str], default: str) -> str:
    """The CA bundle (a file, or a directory of hashed certificates) to verify servers against.

    :param environ: the environment, e.g. ``os.environ``.
    :param default: the bundle when the environment names none: certifi's, as for ``requests``.
    """
    for name in CA_BUNDLE_VARIABLES:
        if environ.get(name):
            return environ[name]
    return default


def default_ca_bundle() -> str:
    """certifi's bundle, which ``requests`` uses when the environment names none."""
    import certifi

    return str(certifi.where())


def requests_verify(verify_ssl: bool) -> str | bool:
    """``requests``' ``verify``: the bundle to check against, or False for no verification.

    Passed on every request, so that ``requests`` neither swaps in an environment bundle for
    ``verify_ssl=False`` nor uses another bundle than ``aiohttp`` does.

    :param verify_ssl: the connection's ``verify_ssl``.
    """
    return ca_bundle(os.environ, default_ca_bundle()) if verify_ssl else False


def ssl_context(verify_ssl: bool) -> ssl.SSLContext | bool:
    """``aiohttp``'s ``ssl``: a context trusting the same bundle as ``requests``, or False.

    :param verify_ssl: the connection's ``verify_ssl``.
    """
    if not verify_ssl:
        return False
    import ssl  # with aiohttp, on first use: importing the client stays cheap

    bundle = ca_bundle(os.environ, default_ca_bundle())
    if os.path.isdir(bundle):
        return ssl.create_default_context(capath=bundle)
    return ssl.create_default_context(cafile=bundle)
