"""What both transports take from the environment, decided once: the CA bundle, TLS, the proxy.

``requests`` and ``aiohttp`` differ by default: ``requests`` trusts ``REQUESTS_CA_BUNDLE`` (or
``CURL_CA_BUNDLE``, else certifi's bundle), ``aiohttp`` the system store. Behind a corporate proxy
that re-signs TLS with a private CA, only the first works. Both transports therefore verify
against the bundle :func:`ca_bundle` picks, and both read proxies from ``HTTP(S)_PROXY`` /
``NO_PROXY``: ``requests`` by itself, the ``aiohttp`` transport through :func:`environment_proxy`,
once per run (``aiohttp``'s ``trust_env`` looks them up again for every request, in a thread,
which cost about as much CPU as the rest of the request).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

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


def environment_proxy(
    url: str,
    *,
    proxies: Callable[[], Mapping[str, str]] | None = None,
    bypass: Callable[[str], bool] | None = None,
) -> str | None:
    """The proxy through which the environment says ``url`` is reached, if any.

    ``HTTPS_PROXY`` for an ``https`` URL (``HTTP_PROXY`` for ``http``, else ``ALL_PROXY``, as
    ``requests`` picks), unless ``NO_PROXY`` names the host, read by the standard library as
    ``requests`` and ``aiohttp`` read it. Credentials in the proxy's URL are used; unlike ``aiohttp``'s
    ``trust_env``, a ``.netrc`` file is not read for them (nor does ``requests`` read it).

    :param url: where the requests go (the connection's base URL).
    :param proxies: the proxies by URL scheme (default :func:`urllib.request.getproxies`).
    :param bypass: whether a host is exempt from proxies (default :func:`urllib.request.proxy_bypass`).
    """
    if proxies is None or bypass is None:
        import urllib.request  # on first use: importing the client stays cheap

        proxies = proxies or urllib.request.getproxies
        bypass = bypass or urllib.request.proxy_bypass
    parts = urlsplit(url)
    if parts.hostname and bypass(parts.hostname):
        return None
    found = proxies()
    return found.get(parts.scheme) or found.get("all") or None
