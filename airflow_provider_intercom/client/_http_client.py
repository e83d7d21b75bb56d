"""The sync transport: one ``requests.Session`` per client, one exchange per call, no retries.

Like stripe-python's ``_http_client.py``, this module only moves bytes: it sends a request and
returns ``(status, headers, body)``, or raises the client's error for an exchange that got no
response. Retrying is the client's job and wording errors is :mod:`._responses`'s.
``requests`` is imported on first use, so that importing the client stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_intercom import __version__
from airflow_provider_intercom.client._error import IntercomValidationError
from airflow_provider_intercom.client._responses import NetworkFailure, RequestInfo, network_error

if TYPE_CHECKING:
    import requests


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


def auth_headers(token: str, api_version: str, user_agent: str) -> dict[str, str]:
    """The headers every request carries.

    :param token: the access token.
    :param api_version: the ``Intercom-Version`` header.
    :param user_agent: the HTTP library's name and version.
    """
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "Intercom-Version": api_version,
        "User-Agent": f"airflow-provider-intercom/{__version__} {user_agent}",
    }


class RequestsTransport:
    """Send requests over one ``requests.Session``, created on first use.

    :param token: the access token.
    :param api_version: the ``Intercom-Version`` header.
    :param timeout: seconds to wait for a connection and for each read.
    :param verify_ssl: verify TLS certificates.
    """

    def __init__(self, *, token: str, api_version: str, timeout: float, verify_ssl: bool) -> None:
        self._token = token
        self._api_version = api_version
        self._timeout = timeout
        self._verify_ssl = verify_ssl
        self._session: requests.Session | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_version={self._api_version!r})"

    @property
    def session(self) -> requests.Session:
        """The session, created on first use and reused for every request."""
        if self._session is None:
            import requests
            from requests.adapters import HTTPAdapter

            session = requests.Session()
            session.headers.update(
                auth_headers(self._token, self._api_version, f"python-requests/{requests.__version__}")
            )
            session.verify = self._verify_ssl
            # Retries are the client's job: urllib3's own would hide 429s and double-count attempts.
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=0)
            session.mount("https://", adapter)
            session.mount("http://", adapter)
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

        try:
            # verify per request: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override session.verify=False.
            response = self.session.request(
                request.method,
                request.base_url + request.path,
                json=json,
                params=params,
                timeout=self._timeout,
                verify=self._verify_ssl,
            )
            return response.status_code, response.headers, response.content
        except (
            requests.ConnectionError,
            requests.Timeout,
            # Raised after the request went out: a body altered in transit, or a proxy that
            # redirects in circles (Intercom never redirects). The PUT may have been applied.
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            requests.exceptions.TooManyRedirects,
        ) as exc:
            raise network_error(_classify(exc), root_cause(exc), request) from exc
        except (requests.RequestException, ValueError, TypeError) as exc:
            # What is left is raised before anything is sent (a header or body requests cannot
            # encode). Its text can quote the headers, token included, so only the class name is kept.
            raise IntercomValidationError(
                f"Could not build the request {request.method} {request.path}: {type(exc).__name__}. Check the "
                "values passed to the client (JSON-serializable, finite numbers) and the connection's fields.",
                conn_id=request.conn_id,
            ) from None


def _classify(exc: Exception) -> NetworkFailure:
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, requests.ConnectTimeout) or isinstance(reason, (NewConnectionError, ConnectTimeoutError)):
        return "connect"
    if isinstance(exc, requests.Timeout):
        return "timeout"
    return "broken"
