"""The async transport of the bulk engine: one ``aiohttp`` session, one exchange per call.

It mirrors the sync :class:`~airflow_provider_intercom.client._http_client.RequestsTransport`: it
returns ``(status, headers, body)`` and leaves retrying to the engine and wording errors to
:mod:`airflow_provider_intercom.client._responses`; it reaches Intercom the same way (proxies from
the environment, the same CA bundle, no redirects: :mod:`._network`). ``aiohttp``'s exceptions
are never chained into ours: ``repr()`` of some of them carries the request headers, bearer token
included.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections.abc import Mapping

from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._network import environment_proxy, ssl_context
from airflow_provider_intercom.client._responses import NetworkFailure, RequestInfo, network_error
from airflow_provider_intercom.client._token import Token
from airflow_provider_intercom.client._transport import base_headers, root_cause

_JSON = {"Content-Type": "application/json"}


class AiohttpTransport:
    """Send requests over one ``aiohttp.ClientSession``; create it inside the running event loop.

    :param token: the access token.
    :param api_version: the ``Intercom-Version`` header.
    :param timeout: seconds to wait for a connection and for each read.
    :param verify_ssl: verify TLS certificates.
    :param max_connections: connections kept open at most (the engine's concurrency cap).
    """

    def __init__(
        self, *, token: Token, api_version: str, timeout: float, verify_ssl: bool, max_connections: int
    ) -> None:
        import aiohttp

        self._aiohttp = aiohttp
        self._token = token
        self._timeout = timeout
        connector = aiohttp.TCPConnector(limit=max_connections, ssl=ssl_context(verify_ssl))
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=base_headers(api_version, f"aiohttp/{aiohttp.__version__}"),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
            # Bodies are encoded once here rather than by aiohttp per call; the cookie jar is of no use.
            json_serialize=jsonlib.dumps,
            cookie_jar=aiohttp.DummyCookieJar(),
            raise_for_status=False,
            # HTTP(S)_PROXY and NO_PROXY are read once per base URL (see send), not per request.
            trust_env=False,
        )
        #: The proxy of each base URL, from the environment, looked up on its first request.
        self._proxies: dict[str, str | None] = {}
        # aiohttp resends an idempotent request once, unseen, when a kept-alive connection breaks.
        # Retrying is the engine's job: by its policy, and counted against the rate limit.
        self._session._retry_connection = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    async def close(self) -> None:
        """Close the session and its connections."""
        await self._session.close()

    async def send(
        self,
        request: RequestInfo,
        *,
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request and return ``(status, headers, body)``.

        :param request: what to send, and how to word a failure.
        :param body: the JSON body, already encoded.
        :param params: query parameters.
        :raises IntercomConnectionError: when no response came back.
        """
        aiohttp = self._aiohttp
        base = request.base_url
        if base not in self._proxies:
            # In a thread, as aiohttp does it: on some systems the lookup may resolve names.
            self._proxies[base] = await asyncio.to_thread(environment_proxy, base)
        failure: NetworkFailure | None = None
        try:
            async with self._session.request(
                request.method,
                base + request.path,
                proxy=self._proxies[base],
                data=body,
                params=params,
                # The token goes on each request, not into the session's default headers.
                headers={**self._token.authorization(), **_JSON} if body is not None else self._token.authorization(),
                # Intercom never redirects; a redirect would re-send a PUT's body to another origin.
                allow_redirects=False,
            ) as response:
                return response.status, response.headers, await response.read()
        except aiohttp.ClientConnectorCertificateError as exc:
            failure, detail = "certificate", _detail(exc)
        except aiohttp.ClientSSLError as exc:
            # Raised while connecting: the handshake did not complete, nothing was sent.
            failure, detail = "tls", _detail(exc)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            failure, detail = "connect", _detail(exc)
        except aiohttp.ClientHttpProxyError as exc:
            # The proxy would not open the tunnel: nothing reached Intercom.
            failure, detail = "connect", f"the proxy answered {exc.status} to CONNECT"
        except (TimeoutError, aiohttp.ServerTimeoutError):
            failure, detail = "timeout", "timed out"
        except (aiohttp.ClientError, OSError) as exc:
            failure, detail = "broken", _detail(exc)
        except (ValueError, TypeError) as exc:
            detail = type(exc).__name__
        # Raised here, outside the except blocks, so that aiohttp's exception is not our __context__.
        if failure is not None:
            raise network_error(failure, detail, request)
        raise IntercomValidationError(
            f"Could not build the request {request.method} {request.path}: {detail}.", conn_id=request.conn_id
        )


def _detail(exc: BaseException) -> str:
    # The class and the OS-level cause say enough; aiohttp's own text can quote request headers.
    cause = exc.__cause__ or exc.__context__
    return root_cause(cause) if cause is not None else type(exc).__name__
