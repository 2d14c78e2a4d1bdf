"""HTML pages."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from ..services import accounts
from . import context

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


async def home(request: Request) -> Response:
    settings = context.settings(request)
    members = await accounts.count_users(context.db(request))
    return templates.TemplateResponse(
        request, "home.html", {"host": settings.host_name, "members": members}
    )
