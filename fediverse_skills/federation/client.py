"""The one outgoing HTTP client. All federation I/O goes through here.

The app's lifespan creates one :class:`httpx.AsyncClient` with :func:`create_client` and
shares it, so connections are pooled and kept alive.
"""

from __future__ import annotations

import httpx

from .. import __version__

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
MAX_CONNECTIONS = 200
MAX_KEEPALIVE = 50


def user_agent(base_url: str) -> str:
    return f"fediverse-skills/{__version__} (+{base_url}/)"


def create_client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
        limits=httpx.Limits(
            max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_KEEPALIVE
        ),
        follow_redirects=False,
        headers={"User-Agent": user_agent(base_url)},
    )
