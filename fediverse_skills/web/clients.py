"""Who the client is: the peer address, or the one a trusted reverse proxy forwarded.

``X-Forwarded-For`` is only believed when the connection comes from a proxy listed in
``FEDSKILLS_TRUSTED_PROXIES``. Its entries are read right to left (each proxy appends the
address it saw) and the first one that is not itself a trusted proxy is the client.
Anyone else's header is ignored, so a client cannot choose the address that rate limits
and sign-in limits count against.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ClientAddress", "forwarded_client"]

_FORWARDING_HEADERS = frozenset({b"x-forwarded-for", b"forwarded", b"x-real-ip"})


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return None


class _Proxies:
    def __init__(self, networks: Iterable[str]) -> None:
        self.networks: tuple[IPv4Network | IPv6Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in networks
        )
        self.trusted = lru_cache(maxsize=1024)(self._trusted)

    def _trusted(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def forwarded_client(peer: str, forwarded_for: str, proxies: _Proxies) -> str:
    """The client's address, given the connection's peer and the X-Forwarded-For value."""
    if not proxies.trusted(peer):
        return peer
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            break  # garbage from somewhere: stop at the last address a proxy vouched for
        client = address
        if not proxies.trusted(address):
            break
    return client


def has_forwarding_headers(scope: Scope) -> bool:
    """Whether the request says it came through a proxy (one we may not know of)."""
    return any(name in _FORWARDING_HEADERS for name, _ in scope.get("headers", ()))


class ClientAddress:
    """ASGI middleware: puts the real client's address in ``scope["client"]``."""

    def __init__(self, app: ASGIApp, trusted_proxies: Iterable[str]) -> None:
        self.app = app
        self.proxies = _Proxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and self.proxies.networks and client:
            values = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
            if values:
                address = forwarded_client(client[0], ",".join(values), self.proxies)
                if address != client[0]:
                    scope = {**scope, "client": (address, 0)}
        await self.app(scope, receive, send)
