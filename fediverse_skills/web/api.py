"""The JSON API (``/api/v1``), authenticated with bearer tokens from ``token create``."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..services import User, tokens
from . import context
from .openapi import OPENAPI

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


async def current_user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise HTTPException(401, "a bearer token is required", headers=_CHALLENGE)
    user = await tokens.authenticate(context.db(request), credentials.strip())
    if user is None:
        raise HTTPException(
            401,
            "the token is invalid or revoked",
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    return user


async def me(request: Request) -> JSONResponse:
    user = await current_user(request)
    return JSONResponse(
        {
            "username": user.username,
            "acct": f"{user.username}@{context.settings(request).host_name}",
            "display_name": user.display_name,
            "is_admin": user.is_admin,
            "created_at": user.created_at.isoformat(),
        }
    )


async def openapi(request: Request) -> JSONResponse:
    doc = dict(OPENAPI)
    doc["servers"] = [{"url": context.settings(request).base_url}]
    return JSONResponse(doc)
