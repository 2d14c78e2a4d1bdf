"""The JSON API (``/api/v1``), authenticated with bearer tokens from ``token create``.

Every request's token is looked up afresh (a revoked token fails on the next request, even
on the same connection) and must carry the scope its method needs: ``read`` for GET,
``write`` for POST, PATCH, PUT and DELETE (see services.tokens).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..services import User, follows, outbox, profiles, tokens, unstorable
from ..services.outbox import InvalidNote
from . import context
from .openapi import OPENAPI

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}
MAX_JSON = 65_536


def needed_scope(method: str) -> str:
    """The scope a request needs: ``read`` for GET (and HEAD), ``write`` for the rest."""
    return tokens.READ if method.upper() in ("GET", "HEAD") else tokens.WRITE


async def current_bearer(request: Request, *, scope: str | None) -> tokens.Bearer:
    """The request's token, checked against the database now; 401 without a valid one,
    403 if it lacks ``scope`` (None: any scope will do)."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise HTTPException(401, "a bearer token is required", headers=_CHALLENGE)
    found = await tokens.bearer(context.db(request), credentials.strip())
    if found is None:
        raise HTTPException(
            401,
            "the token is invalid or revoked",
            headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'},
        )
    if scope is not None and not found.allows(scope):
        has = ",".join(s for s in tokens.SCOPES if found.allows(s))
        raise HTTPException(
            403,
            f"this token lacks the {scope} scope (it has {has}); "
            f"{request.method.upper()} requests need {scope}",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="api", error="insufficient_scope", scope="{scope}"'
                )
            },
        )
    return found


async def current_user(request: Request) -> User:
    """The user the request's token acts for; the token must have the scope the request's
    method needs (``needed_scope``)."""
    return (await current_bearer(request, scope=needed_scope(request.method))).user


async def json_body(request: Request) -> dict[str, Any]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise HTTPException(415, "send the body as application/json")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON:
            raise HTTPException(413, "the body is larger than 64 KB")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise HTTPException(400, "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the body must be a JSON object")
    problem = unstorable(data)
    if problem is not None:
        raise HTTPException(400, problem)
    return data


def only_fields(data: dict[str, Any], *known: str) -> None:
    """400 for the first field of ``data`` that is not one of ``known``."""
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise HTTPException(400, f"unknown field {unknown[0]!r}")


def text_field(data: dict[str, Any], name: str, *, max_length: int = 5000) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise HTTPException(400, f"{name} is required and must be a non-empty string")
    if len(value) > max_length:
        raise HTTPException(400, f"{name} has at most {max_length} characters")
    return value


async def me(request: Request) -> JSONResponse:
    user = await current_user(request)
    return JSONResponse(account_json(request, user))


async def create_note(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    content = text_field(data, "content")
    in_reply_to = data.get("in_reply_to")
    if in_reply_to is not None:
        if not isinstance(in_reply_to, str) or not 0 < len(in_reply_to.strip()) <= 2048:
            raise HTTPException(400, "in_reply_to must be a note's URI (at most 2048 characters)")
        in_reply_to = in_reply_to.strip()
    try:
        note, create = await outbox.publish_note(
            context.fed(request), user, content, in_reply_to=in_reply_to
        )
    except InvalidNote as exc:
        raise HTTPException(400, str(exc)) from None
    except outbox.ActorUnavailable as exc:
        raise HTTPException(422, f"cannot reply to that note: {exc}") from None
    return JSONResponse(
        {
            "id": note.public_id,
            "uri": create["object"]["id"],
            "activity": create["id"],
            "published": note.published_at.isoformat(),
        },
        status_code=201,
    )


async def create_follow(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    target = text_field(data, "target", max_length=2048)
    try:
        result = await follows.follow(context.fed(request), user, target)
    except follows.FollowError as exc:
        raise HTTPException(422, str(exc)) from None
    return JSONResponse({"target": result.target, "state": result.state}, status_code=201)


async def follow_requests(request: Request) -> JSONResponse:
    user = await current_user(request)
    pending = await follows.pending_requests(context.fed(request), user)
    return JSONResponse({"requests": pending})


async def decide_follow_request(request: Request) -> JSONResponse:
    if request.path_params["action"] not in ("authorize", "reject"):
        raise HTTPException(404, "Not Found")
    user = await current_user(request)
    data = await json_body(request)
    actor = text_field(data, "actor", max_length=2048)
    approve = request.path_params["action"] == "authorize"
    if not await follows.decide(context.fed(request), user, actor, approve=approve):
        raise HTTPException(404, "no pending follow request from that actor")
    return JSONResponse({"actor": actor, "state": "accepted" if approve else "rejected"})


def account_json(request: Request, user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "acct": f"{user.username}@{context.settings(request).host_name}",
        "display_name": user.display_name,
        "summary": user.summary,
        "manually_approves_followers": user.manually_approves_followers,
        "is_admin": user.is_admin,
        "suggest_policy": user.suggest_policy,
        "endorse_policy": user.endorse_policy,
        "auto_accept_suggestions": user.auto_accept_suggestions,
        "open_to_work": user.open_to_work,
        "show_open_to_work": user.show_open_to_work,
        "created_at": user.created_at.isoformat(),
    }


async def update_profile(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    known = {
        "display_name",
        "summary",
        "manually_approves_followers",
        "suggest_policy",
        "endorse_policy",
        "auto_accept_suggestions",
        "open_to_work",
        "show_open_to_work",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise HTTPException(400, f"unknown field {unknown[0]!r}")
    for name in ("display_name", "summary", "suggest_policy", "endorse_policy"):
        if name in data and not isinstance(data[name], str):
            raise HTTPException(400, f"{name} must be a string")
    for name in (
        "manually_approves_followers",
        "auto_accept_suggestions",
        "open_to_work",
        "show_open_to_work",
    ):
        if data.get(name) is not None and not isinstance(data[name], bool):
            raise HTTPException(400, f"{name} must be true or false")
    manual = data.get("manually_approves_followers")
    try:
        updated = await profiles.update_profile(
            context.fed(request),
            user,
            display_name=data.get("display_name"),
            summary=data.get("summary"),
            manually_approves_followers=manual,
            suggest_policy=data.get("suggest_policy"),
            endorse_policy=data.get("endorse_policy"),
            auto_accept_suggestions=data.get("auto_accept_suggestions"),
            open_to_work=data.get("open_to_work"),
            show_open_to_work=data.get("show_open_to_work"),
        )
    except profiles.InvalidProfile as exc:
        raise HTTPException(400, str(exc)) from None
    return JSONResponse(account_json(request, updated))


async def revoke_current_token(request: Request) -> Response:
    """Revoke the token this request is made with (any scope may give itself up)."""
    found = await current_bearer(request, scope=None)
    await tokens.revoke(context.db(request), found.token_id)
    return Response(status_code=204)


async def openapi(request: Request) -> JSONResponse:
    doc = dict(OPENAPI)
    doc["servers"] = [{"url": context.settings(request).base_url}]
    return JSONResponse(doc)
