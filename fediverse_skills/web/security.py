"""Security headers on every response: a strict Content-Security-Policy and friends.

Pages load scripts and styles only from this origin (no inline script or style), are
never framed, and forms post only to this origin or, for the remote-follow redirect,
to another server over the instance's own scheme. Anything that is not HTML (JSON,
uploaded images, SVG) gets a policy that forbids everything and sandboxes it, so a file
opened directly can never run script.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def page_policy(base_url: str) -> str:
    scheme = urlsplit(base_url).scheme
    remote = "https:" if scheme == "https" else "https: http:"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {remote}",
            "font-src 'self'",
            "connect-src 'self'",
            f"form-action 'self' {remote}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "manifest-src 'self'",
        ]
    )


OTHER_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"


class SecurityHeaders:
    """Pure ASGI middleware (no buffering), applied to everything Starlette answers."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.page = page_policy(base_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                kind = headers.get("content-type", "")
                if "content-security-policy" not in headers:
                    policy = self.page if kind.startswith("text/html") else OTHER_POLICY
                    headers["Content-Security-Policy"] = policy
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, with_headers)
