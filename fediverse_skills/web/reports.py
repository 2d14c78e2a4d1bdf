"""Members report an account to the admins, and optionally to its own server (a Flag):
``POST /api/v1/reports`` and the ``/report`` page."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..services import moderation
from ..services.actors import ActorUnavailable
from . import auth, context, render
from .api import current_user, json_body, only_fields, text_field
from .visitor import sentence

MAX_ACCOUNT = 2048


def _objects(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HTTPException(400, "objects must be a list of URLs")
    return [v.strip() for v in value]


async def create(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    only_fields(data, "account", "comment", "objects", "forward")
    forward = data.get("forward", False)
    if not isinstance(forward, bool):
        raise HTTPException(400, "forward must be true or false")
    comment = data.get("comment", "")
    if not isinstance(comment, str):
        raise HTTPException(400, "comment must be a string")
    try:
        uri, forwarded = await moderation.report(
            context.fed(request),
            user,
            text_field(data, "account", max_length=MAX_ACCOUNT),
            comment,
            objects=_objects(data.get("objects")),
            forward=forward,
        )
    except moderation.ModerationError as exc:
        raise HTTPException(422, str(exc)) from None
    except ActorUnavailable as exc:
        raise HTTPException(422, str(exc)) from None
    return JSONResponse({"id": uri, "forwarded": forwarded}, status_code=201)


async def page(request: Request) -> Response:
    user = await auth.require_user(request)
    values = {"account": request.query_params.get("account", "")[:MAX_ACCOUNT], "comment": ""}
    return await render.page(
        request, "report.html", {"me": user, "values": values, "forward": True, "errors": {}}
    )


async def submit(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    values = {"account": auth.text(data, "account").strip(), "comment": auth.text(data, "comment")}
    forward = auth.text(data, "forward") == "on"
    errors: dict[str, str] = {}
    if not values["account"]:
        errors["account"] = "Name the account, as user@host or as a link to it."
    elif len(values["account"]) > MAX_ACCOUNT:
        errors["account"] = "That is too long for an account."
    if not errors:
        try:
            _, forwarded = await moderation.report(
                context.fed(request), user, values["account"], values["comment"], forward=forward
            )
        except moderation.ModerationError as exc:
            errors[exc.field or ""] = sentence(str(exc))
        except ActorUnavailable as exc:
            errors["account"] = sentence(str(exc))
        else:
            return await render.page(
                request, "report.html", {"me": user, "done": True, "forwarded": forwarded}
            )
    return await render.page(
        request,
        "report.html",
        {"me": user, "values": values, "forward": forward, "errors": errors},
        status=422,
    )
