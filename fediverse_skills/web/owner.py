"""A signed-in person's own pages: suggestions, notifications, settings, skills, asks."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..services import asks, avatars, notifications, policies, profiles, skills, suggestions
from ..services.actors import ActorUnavailable
from ..services.outbox import InvalidNote
from . import auth, context, render
from .visitor import sentence

POLICIES = ("anyone", "followers", "following", "nobody")
MAX_NAME = 500
MAX_SUMMARY = 5000
MAX_ASK = 5000


async def suggestions_page(request: Request) -> Response:
    user = await auth.require_user(request)
    fed = context.fed(request)
    pending = await suggestions.received(fed, user, "pending")
    decided = [s for s in await suggestions.received(fed, user, None) if s.state != "pending"]
    return await render.page(
        request,
        "suggestions.html",
        {"pending": pending, "decided": decided[:20], "undo_seconds": int(fed.undo_seconds)},
    )


async def decide(request: Request) -> Response:
    await auth.form(request)
    user = await auth.require_user(request)
    action = str(request.path_params["action"])
    public_id = str(request.path_params["id"])
    fed = context.fed(request)
    if action == "undo":
        await suggestions.undo(fed, user, public_id)
        return auth.redirect(request, "/suggestions?done=undone")
    if action not in ("accept", "reject"):
        raise HTTPException(404, "Not Found")
    try:
        await suggestions.hold(fed, user, public_id, accept=action == "accept")
    except suggestions.SuggestionError as exc:
        raise HTTPException(exc.status, sentence(str(exc))) from None
    done = "accepted" if action == "accept" else "rejected"
    return auth.redirect(request, f"/suggestions?done={done}#s-{public_id}")


async def notifications_page(request: Request) -> Response:
    user = await auth.require_user(request)
    found = await notifications.recent(context.fed(request), user)
    return await render.page(request, "notifications.html", {"items": found})


async def settings_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = await auth.require_user(request)
    fed = context.fed(request)
    shown = values or {"display_name": user.display_name, "summary": user.summary}
    return await render.page(
        request,
        "settings.html",
        {
            "me": user,
            "values": shown,
            "errors": errors or {},
            "policies": POLICIES,
            "avatar": fed.uris.media(user.avatar) if user.avatar else None,
            "blocked": await policies.blocked_actors(fed, user),
        },
        status=status,
    )


MAX_ACCOUNT = 2048


async def block(request: Request) -> Response:
    """Block a person (``account``) or, with ``unblock``, lift a block."""
    data = await auth.form(request)
    user = await auth.require_user(request)
    account = auth.text(data, "account").strip()
    unblock = auth.text(data, "unblock") == "1"
    values = {"display_name": user.display_name, "summary": user.summary, "account": account}
    if not account or len(account) > MAX_ACCOUNT:
        error = "Name the person, as user@host or as a link to them."
        return await settings_page(request, values=values, errors={"account": error}, status=400)
    fed = context.fed(request)
    try:
        if unblock:
            await policies.unblock_actor(fed, user, account)
        else:
            await policies.block_actor(fed, user, account)
    except ActorUnavailable as exc:
        return await settings_page(
            request, values=values, errors={"account": sentence(str(exc))}, status=422
        )
    return auth.redirect(request, f"/settings?done={'unblocked' if unblock else 'blocked'}#blocks")


async def save_profile(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    values = {
        "display_name": auth.text(data, "display_name"),
        "summary": auth.text(data, "summary"),
    }
    errors: dict[str, str] = {}
    if len(values["display_name"]) > MAX_NAME:
        errors["display_name"] = "A name has at most 100 characters."
    if len(values["summary"]) > MAX_SUMMARY:
        errors["summary"] = "A summary has at most 2000 characters."
    if not errors:
        try:
            await profiles.update_profile(
                context.fed(request),
                user,
                display_name=values["display_name"],
                summary=values["summary"],
            )
        except profiles.InvalidProfile as exc:
            message = sentence(str(exc))
            errors["summary" if "summary" in message.lower() else "display_name"] = message
        else:
            return auth.redirect(request, "/settings?done=saved")
    return await settings_page(request, values=values, errors=errors, status=400)


async def save_avatar(request: Request) -> Response:
    data = await auth.form(request, files=True)
    try:
        user = await auth.require_user(request)
        upload = auth.upload(data, "avatar")
        content = await upload.read(avatars.MAX_BYTES + 1) if upload is not None else None
    finally:
        await data.close()
    if content is None:
        return await settings_page(
            request, errors={"avatar": "Choose an image to upload."}, status=400
        )
    try:
        await avatars.upload(context.fed(request), user, content)
    except avatars.InvalidAvatar as exc:
        return await settings_page(request, errors={"avatar": str(exc)}, status=400)
    return auth.redirect(request, "/settings?done=saved")


def _checked(data: object, name: str) -> bool:
    getter = getattr(data, "get", None)
    return bool(getter and getter(name) in ("on", "true", "1"))


async def save_policy(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    suggest = auth.text(data, "suggest_policy")
    endorse = auth.text(data, "endorse_policy")
    errors: dict[str, str] = {}
    if suggest not in POLICIES:
        errors["suggest_policy"] = "Choose who may suggest skills."
    if endorse not in POLICIES:
        errors["endorse_policy"] = "Choose who may endorse skills."
    if errors:
        return await settings_page(request, errors=errors, status=400)
    await profiles.update_profile(
        context.fed(request),
        user,
        suggest_policy=suggest,
        endorse_policy=endorse,
        auto_accept_suggestions=_checked(data, "auto_accept_suggestions"),
        manually_approves_followers=_checked(data, "manually_approves_followers"),
    )
    return auth.redirect(request, "/settings?done=saved#policy")


async def save_work(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    await profiles.update_profile(
        context.fed(request),
        user,
        open_to_work=_checked(data, "open_to_work"),
        show_open_to_work=_checked(data, "show_open_to_work"),
    )
    return auth.redirect(request, "/settings?done=saved#work")


async def skills_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = await auth.require_user(request)
    mine = await skills.of_user(context.fed(request), user)
    return await render.page(
        request,
        "skills.html",
        {"mine": mine, "values": values or {}, "errors": errors or {}},
        status=status,
    )


async def add_skill(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    name = auth.text(data, "name").strip()
    values = {"name": name}
    error = ""
    if not name:
        error = "Enter a skill."
    elif len(name) > 300:
        error = "A skill name has at most 100 characters."
    else:
        try:
            await skills.declare(context.fed(request), user, name)
        except skills.InvalidSkill as exc:
            error = sentence(str(exc))
        except skills.SkillError as exc:
            error = sentence(str(exc))
        else:
            return auth.redirect(request, "/settings/skills?done=skill-added")
    return await skills_page(request, values=values, errors={"name": error}, status=400)


async def remove_skill(request: Request) -> Response:
    await auth.form(request)
    user = await auth.require_user(request)
    if not await skills.remove(context.fed(request), user, str(request.path_params["key"])):
        raise HTTPException(404, "You have no such skill.")
    return auth.redirect(request, "/settings/skills?done=skill-removed")


async def ask_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    await auth.require_user(request)
    shown = values or {"text": "What would you say I'm good at? Reply with #hashtags for skills."}
    return await render.page(
        request, "ask.html", {"values": shown, "errors": errors or {}}, status=status
    )


async def post_ask(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    text = auth.text(data, "text").strip()
    error = ""
    if not text:
        error = "Write your question."
    elif len(text) > MAX_ASK:
        error = f"An ask has at most {MAX_ASK} characters."
    else:
        try:
            await asks.post(context.fed(request), user, text)
        except InvalidNote as exc:
            error = sentence(str(exc))
        else:
            return auth.redirect(request, f"/@{user.username}?done=asked")
    return await ask_page(request, values={"text": text}, errors={"text": error}, status=400)
