"""GET /healthz: 200 when the database answers, 503 otherwise (for load balancers and Docker)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from .. import __version__
from ..services import health
from . import context

log = logging.getLogger("fediverse_skills.web")


async def healthz(request: Request) -> JSONResponse:
    result = await health.check(context.db(request))
    headers = {"Cache-Control": "no-store"}
    if not result.ok:
        # The reason may name hosts; it goes to the log, not to the public.
        log.warning("health check failed: %s", result.database)
        return JSONResponse(
            {"status": "error", "database": "unavailable", "version": __version__},
            status_code=503,
            headers=headers,
        )
    return JSONResponse(
        {"status": "ok", "database": "ok", "workers": result.workers_alive, "version": __version__},
        headers=headers,
    )
