"""The async transport of the bulk engine: one ``aiohttp`` session, one exchange per call.

It mirrors the sync :class:`~airflow_provider_intercom.client._http_client.RequestsTransport`: it
returns ``(status, headers, body)`` and leaves retrying to the engine and wording errors to
:mod:`airflow_provider_intercom.client._responses`. ``aiohttp``'s exceptions are never chained
into ours: ``repr()`` of some of them carries the request headers, bearer token included.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._http_client import auth_headers, root_cause
from airflow_provider_intercom.client._responses import NetworkFailure, RequestInfo, network_error

if TYPE_CHECKING:
    pass


class AiohttpTransport:
    """Send requests over one ``aiohttp.ClientSession``; create it inside the running event loop.

    :param token: the access token.
    :param api_version: the ``Intercom-Version`` header.
    :param timeout: seconds to wait for a connection and for each read.
    :param verify_ssl: verify TLS certificates.
    :param max_connections: connections kept open at most (the engine's concurrency cap).
    """

    def __init__(self, *, token: str, api_version: str, timeout: float, verify_ssl: bool, max_connections: int) -> None:
        import aiohttp

        self._aiohttp = aiohttp
        self._timeout = timeout
        connector = aiohttp.TCPConnector(limit=max_connections, ssl=verify_ssl)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=auth_headers(token, api_version, f"aiohttp/{aiohttp.__version__}"),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
            # Bodies are encoded once here rather than by aiohttp per call; the cookie jar is of no use.
            json_serialize=jsonlib.dumps,
            cookie_jar=aiohttp.DummyCookieJar(),
            raise_for_status=False,
        )
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
        headers = {"Content-Type": "application/json"} if body is not None else None
        failure: NetworkFailure
        try:
            async with self._session.request(
                request.method, request.base_url + request.path, data=body, params=params, headers=headers
            ) as response:
                return response.status, response.headers, await response.read()
        except aiohttp.ClientSSLError as exc:
            failure, detail = "tls", type(exc).__name__
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            failure, detail = "connect", _detail(exc)
        except (TimeoutError, aiohttp.ServerTimeoutError):
            failure, detail = "timeout", "timed out"
        except (aiohttp.ClientError, OSError) as exc:
            failure, detail = "broken", _detail(exc)
        except (ValueError, TypeError) as exc:
            raise IntercomValidationError(
                f"Could not build the request {request.method} {request.path}: {type(exc).__name__}.",
                conn_id=request.conn_id,
            ) from None
        raise network_error(failure, detail, request)


def _detail(exc: BaseException) -> str:
    # The class and the OS-level cause say enough; aiohttp's own text can quote request headers.
    cause = exc.__cause__ or exc.__context__
    return root_cause(cause) if cause is not None else type(exc).__name__


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Encode a request body once for every request of a run.

    :param body: a validated update body.
    :raises IntercomValidationError: if it is not JSON-serializable or holds a non-finite number.
    """
    try:
        return jsonlib.dumps(body, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise IntercomValidationError(f"The update body cannot be sent as JSON: {exc}.") from None
