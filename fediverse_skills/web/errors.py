"""Error responses: JSON for the API and federation, short text elsewhere. Never a traceback."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

log = logging.getLogger("fediverse_skills.web")


def _wants_json(request: Request) -> bool:
    path = request.url.path
    accept = request.headers.get("accept", "")
    return path.startswith(("/api/", "/.well-known/")) or "json" in accept


def error_response(request: Request, status: int, reason: str) -> Response:
    headers = {"Cache-Control": "no-store"}
    if _wants_json(request):
        return JSONResponse({"error": reason}, status_code=status, headers=headers)
    return PlainTextResponse(f"{status} {reason}\n", status_code=status, headers=headers)


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = error_response(request, exc.status_code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception(
        "unhandled error",
        exc_info=exc,
        extra={"fields": {"method": request.method, "path": request.url.path}},
    )
    return error_response(request, 500, "internal error")


EXCEPTION_HANDLERS = {HTTPException: http_exception, Exception: server_error}
