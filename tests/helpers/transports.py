"""One request over the bulk engine's transport (``aiohttp``), answered as the engine reads it."""

from __future__ import annotations

import asyncio
from typing import Any

from airflow_provider_intercom.client import IntercomClient
from airflow_provider_intercom.client._responses import parse_response


def send_async(
    client: IntercomClient, method: str, path: str, *, body: bytes | None = None, idempotent: bool = True
) -> dict[str, Any]:
    """Send one request with ``client``'s settings over a fresh async transport; return the JSON."""

    async def send() -> dict[str, Any]:
        transport = client.async_transport(max_connections=1)
        info = client.request_info(method, path, idempotent=idempotent)
        try:
            status, headers, content = await transport.send(info, body=body)
        finally:
            await transport.close()
        return parse_response(status, headers, content, info)

    return asyncio.run(send())
