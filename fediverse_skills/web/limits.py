"""Rate limits at the HTTP boundary: the API per token or client address, and refused
requests per client address.

Each process keeps its own counts in memory (:mod:`..domain.ratelimits`): with N server
processes a client may get up to N times the limit, which bounds abuse without a shared
write on every request. The inbox's per-domain limit is applied after the signature is
verified, in :func:`..services.inbox.receive`; this middleware only sees addresses.
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain.ratelimits import RateLimiter, retry_after
from .inbox import inbox_recipient
from .responses import send_json

__all__ = ["RateLimits"]

# A client that was refused (401, 403) this many times a period is refused for a while.
_REFUSALS = frozenset({401, 403})


def _token_key(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credentials = value.partition(b" ")
            if scheme.lower() == b"bearer" and credentials.strip():
                return "token:" + hashlib.sha256(credentials.strip()).hexdigest()[:32]
    return None


class RateLimits:
    """ASGI middleware for ``/api/`` and inbox POSTs; ``limit`` 0 switches it off."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.api = RateLimiter(limit)
        self.refused = RateLimiter(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.api.enabled:
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith("/api/")
        if not is_api and not inbox_recipient(scope)[0]:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = "addr:" + (client[0] if client else "unknown")
        wait = self.refused.exhausted(address)
        if wait:
            await self._too_many(send, wait, "too many refused requests from your address")
            return
        if is_api:
            wait = self.api.take(_token_key(scope) or address)
            if wait:
                await self._too_many(send, wait, "too many API requests; retry later")
                return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in _REFUSALS:
                self.refused.take(address)
            await send(message)

        await self.app(scope, receive, watch)

    @staticmethod
    async def _too_many(send: Send, wait: float, reason: str) -> None:
        await send_json(send, 429, {"error": reason}, {"Retry-After": retry_after(wait)})
