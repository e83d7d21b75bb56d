"""What the sync and the async transport share: the request headers and reading a failure's cause.

Neither transport ever chains a library exception into the client's errors: ``requests``'
carries the ``PreparedRequest`` (``Authorization`` header included) and ``aiohttp``'s carry the
request headers. They build their error after the ``except`` block, from what these helpers read.
"""

from __future__ import annotations

from collections.abc import Iterator

from airflow_provider_intercom import __version__

_MAX_CAUSES = 20


def base_headers(api_version: str, user_agent: str) -> dict[str, str]:
    """The headers every request carries, but ``Authorization`` (added per request).

    :param api_version: the ``Intercom-Version`` header.
    :param user_agent: the HTTP library's name and version.
    """
    return {
        "Accept": "application/json",
        "Intercom-Version": api_version,
        "User-Agent": f"airflow-provider-intercom/{__version__} {user_agent}",
    }


def root_cause(exc: BaseException) -> str:
    """The innermost cause of a transport exception, named and quoted briefly.

    :param exc: the exception the transport raised.
    """
    # requests nests urllib3's reason several levels deep; the innermost one says the most.
    seen: set[int] = set()
    while exc.__context__ is not None and id(exc.__context__) not in seen:
        seen.add(id(exc))
        exc = exc.__context__
    return f"{type(exc).__name__}: {exc}"[:200]


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps: causes, contexts, ``reason`` (urllib3) and arguments.

    :param exc: the exception the transport raised.
    """
    pending: list[BaseException] = [exc]
    seen: set[int] = set()
    while pending and len(seen) < _MAX_CAUSES:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        pending += [e for e in linked if isinstance(e, BaseException)]


def certificate_rejected(exc: BaseException) -> bool:
    """Whether the failure is a certificate that failed verification (no retry can fix it).

    :param exc: the exception the transport raised.
    """
    import ssl  # loaded by the transport already; not at import time of the client

    return any(isinstance(e, ssl.SSLCertVerificationError) for e in causes(exc))


def during_handshake(exc: BaseException) -> bool:
    """Whether the failure happened in the TLS handshake, so that no request was sent yet.

    ``requests`` reports a TLS failure the same way before and after the request went out; the
    traceback of the socket-level error says where it happened.

    :param exc: the exception the transport raised.
    """
    for error in causes(exc):
        tb = error.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_name == "do_handshake":
                return True
            tb = tb.tb_next
    return False
