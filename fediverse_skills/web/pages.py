"""Public pages: the landing page, profiles, their skill-graph picture, and avatars."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..domain.skillgraph import GraphSkill, Voucher, render_svg
from ..services import accounts, asks, avatars, profiles, site, suggestions
from . import auth, context, render

templates = render.templates


async def home(request: Request) -> Response:
    db = context.db(request)
    viewer = await auth.viewer(request)
    pending = 0
    if viewer is not None:
        pending = len(await suggestions.received(context.fed(request), viewer, "pending"))
    return await render.page(
        request,
        "home.html",
        {
            "members": await accounts.count_users(db),
            "site": await site.load(db),
            "people": await accounts.recent_people(db),
            "pending": pending,
        },
    )


async def profile_user(request: Request, username: str | None = None) -> accounts.User:
    name = username or str(request.path_params["username"]).lower()
    user = await accounts.get_user(context.db(request), name)
    if user is None:
        raise HTTPException(404, "Not Found")
    if user.deleted_at is not None:  # a tombstone: 410 Gone tells other servers it is over
        raise HTTPException(410, "This account was deleted.")
    if user.suspended_at is not None:
        raise HTTPException(410, "This account is suspended.")
    return user


async def profile(
    request: Request,
    username: str | None = None,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = await profile_user(request, username)
    fed = context.fed(request)
    viewer = await auth.viewer(request)
    shown = await profiles.page(fed, user.username, viewer)
    return await render.page(
        request,
        "profile.html",
        {
            "user": user,
            "handle": f"@{user.username}@{fed.uris.host}",
            "actor_url": fed.uris.actor(user.username),
            "avatar": fed.uris.media(user.avatar) if user.avatar else None,
            "skills": shown["skills"],
            "viewpoint": shown["viewpoint"],
            "asks": await asks.recent(fed, user),
            "is_owner": viewer is not None and viewer.id == user.id,
            "values": values or {},
            "errors": errors or {},
        },
        status=status,
    )


async def profile_page(request: Request) -> Response:
    return await profile(request)


async def skill_graph(request: Request) -> Response:
    user = await profile_user(request)
    fed = context.fed(request)
    shown = await profiles.page(fed, user.username, await auth.viewer(request))
    skills = [
        GraphSkill(
            name=s["name"],
            level=int(s["trust"]["level"]),
            vouchers=tuple(Voucher(handle, url, kind) for url, handle, kind in s["vouchers"]),
        )
        for s in shown["skills"]
    ]
    svg = render_svg(f"@{user.username}@{fed.uris.host}", skills)
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-cache", "Vary": "Cookie"},
    )


async def media(request: Request) -> Response:
    found = await avatars.get(context.fed(request), str(request.path_params["name"]))
    if found is None:
        raise HTTPException(404, "Not Found")
    kind, data = found
    return Response(
        data, media_type=kind, headers={"Cache-Control": "public, max-age=31536000, immutable"}
    )
