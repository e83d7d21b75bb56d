"""The sync transport: one ``requests.Session`` per client, one exchange per call, no retries.

Like stripe-python's ``_http_client.py``, this module only moves bytes: it sends a request and
returns ``(status, headers, body)``, or raises the client's error for an exchange that got no
response. Retrying is the client's job and wording errors is :mod:`._responses`'s. Proxies,
the CA bundle and redirects behave as in the async transport (:mod:`._network`).
``requests`` is imported on first use, so that importing the client stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._network import requests_verify
from airflow_provider_intercom.client._responses import NetworkFailure, RequestInfo, network_error
from airflow_provider_intercom.client._token import BearerAuth, Token
from airflow_provider_intercom.client._transport import (
    base_headers,
    causes,
    certificate_rejected,
    during_handshake,
    root_cause,
)

if TYPE_CHECKING:
    import requests


class RequestsTransport:
    """Send requests over one ``requests.Session``, created on first use.

    :param token: the access token.
    :param api_version: the ``Intercom-Version`` header.
    :param timeout: seconds to wait for a connection and for each read.
    :param verify_ssl: verify TLS certificates.
    """

    def __init__(self, *, token: Token, api_version: str, timeout: float, verify_ssl: bool) -> None:
        self._token = token
        self._api_version = api_version
        self._timeout = timeout
        self._verify_ssl = verify_ssl
        self._session: requests.Session | None = None
        self._verify: str | bool = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_version={self._api_version!r})"

    @property
    def session(self) -> requests.Session:
        """The session, created on first use and reused for every request."""
        if self._session is None:
            import requests
            from requests.adapters import HTTPAdapter

            session = requests.Session()
            session.headers.update(base_headers(self._api_version, f"python-requests/{requests.__version__}"))
            # The token is added to each request, not kept in the session's headers; an auth set
            # here also keeps requests from reading ~/.netrc.
            session.auth = BearerAuth(self._token)
            # Retries are the client's job: urllib3's own would hide 429s and double-count attempts.
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
            self._verify = requests_verify(self._verify_ssl)
            self._session = session
        return self._session

    def close(self) -> None:
        """Close the session, if one was opened; a later request opens a new one."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def send(
        self,
        request: RequestInfo,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request and return ``(status, headers, body)``.

        :param request: what to send, and how to word a failure.
        :param json: the request body.
        :param params: query parameters.
        :raises IntercomConnectionError: when no response came back.
        :raises IntercomValidationError: when the request could not be built; nothing was sent.
        """
        import requests

        session = self.session
        failure: NetworkFailure | None = None
        try:
            response = session.request(
                request.method,
                request.base_url + request.path,
                json=json,
                params=params,
                timeout=self._timeout,
                verify=self._verify,
                # Intercom never redirects; a redirect would re-send a PUT's body to another origin.
                allow_redirects=False,
            )
            return response.status_code, response.headers, response.content
        except (
            requests.ConnectionError,
            requests.Timeout,
            # Raised after the request went out: a body altered in transit. The PUT may have been applied.
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            failure, detail = _classify(exc), root_cause(exc)
        except (requests.RequestException, ValueError, TypeError) as exc:
            # What is left is raised before anything is sent (a header or body requests cannot
            # encode). Its text can quote the headers, token included, so only the class name is kept.
            detail = type(exc).__name__
        # Raised here, outside the except blocks: raised inside one, our error would keep requests'
        # exception as __context__ (even "from None" keeps it), and its request holds the token.
        if failure is not None:
            raise network_error(failure, detail, request)
        raise IntercomValidationError(
            f"Could not build the request {request.method} {request.path}: {detail}. Check the "
            "values passed to the client (JSON-serializable, finite numbers) and the connection's fields.",
            conn_id=request.conn_id,
        )


def _classify(exc: Exception) -> NetworkFailure:
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if certificate_rejected(exc):
        return "certificate"
    # A proxy that could not be reached, or would not open the tunnel: nothing reached Intercom.
    if isinstance(exc, (requests.ConnectTimeout, requests.exceptions.ProxyError)) or any(
        isinstance(e, (NewConnectionError, ConnectTimeoutError)) for e in causes(exc)
    ):
        return "connect"
    if during_handshake(exc):
        return "tls"
    if isinstance(exc, requests.Timeout):
        return "timeout"
    return "broken"
