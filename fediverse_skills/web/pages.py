"""HTML pages."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from ..services import accounts, profiles
from . import context

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


async def home(request: Request) -> Response:
    settings = context.settings(request)
    members = await accounts.count_users(context.db(request))
    return templates.TemplateResponse(
        request, "home.html", {"host": settings.host_name, "members": members}
    )


async def profile(request: Request, username: str | None = None) -> Response:
    name = username or str(request.path_params["username"]).lower()
    user = await accounts.get_user(context.db(request), name)
    if user is None:
        raise HTTPException(404, "Not Found")
    host = context.settings(request).host_name
    shown = await profiles.page(context.fed(request), user.username)
    return templates.TemplateResponse(
        request,
        "profile.html",
        {
            "user": user,
            "handle": f"@{user.username}@{host}",
            "actor_url": context.fed(request).uris.actor(user.username),
            "skills": shown["skills"],
        },
    )


async def profile_page(request: Request) -> Response:
    return await profile(request)
