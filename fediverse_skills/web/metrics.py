"""``/metrics`` for Prometheus, and the admin page showing the same figures."""

from __future__ import annotations

import ipaddress

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..services import metrics
from . import auth, context, render
from .api import current_user
from .clients import has_forwarding_headers

PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


def _loopback(request: Request) -> bool:
    """A direct connection from this machine (a request through a proxy is not one, even
    from an unconfigured proxy on loopback)."""
    if has_forwarding_headers(request.scope):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def scrape(request: Request) -> Response:
    """Open to scrapers on this machine; anyone else needs an admin's bearer token."""
    if not _loopback(request):
        user = await current_user(request)
        if not user.is_admin:
            raise HTTPException(403, "metrics are for the instance's admins")
    found = await metrics.snapshot(context.fed(request))
    return PlainTextResponse(
        metrics.prometheus(found), media_type=PROMETHEUS, headers={"Cache-Control": "no-store"}
    )


async def admin_page(request: Request) -> Response:
    await auth.require_admin(request)
    found = await metrics.snapshot(context.fed(request))
    return await render.page(request, "admin_metrics.html", {"snapshot": found})
