"""What visitors do on a profile: follow, suggest and endorse, here or from their server."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..services import actors, endorsements, follows, suggestions
from . import auth, context, pages, render

MAX_SKILL = 300
MAX_COMMENT = 2000
MAX_HANDLE = 300


def sentence(message: str) -> str:
    """A service's message as a sentence for a page."""
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _target(request: Request) -> str:
    return f"{str(request.path_params['username']).lower()}@{context.fed(request).uris.host}"


async def follow(request: Request) -> Response:
    await auth.form(request)
    user = await auth.require_user(request)
    name = str(request.path_params["username"]).lower()
    try:
        await follows.follow(context.fed(request), user, _target(request))
    except follows.FollowError as exc:
        return await pages.profile(request, errors={"": sentence(str(exc))}, status=422)
    return auth.redirect(request, f"/@{name}?done=followed")


async def suggest(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    name = str(request.path_params["username"]).lower()
    values = {
        "skill": auth.text(data, "skill").strip(),
        "suggest_comment": auth.text(data, "suggest_comment").strip(),
    }
    errors: dict[str, str] = {}
    if not values["skill"]:
        errors["skill"] = "Enter the skill you want to suggest."
    elif len(values["skill"]) > MAX_SKILL:
        errors["skill"] = "A skill name has at most 100 characters."
    if len(values["suggest_comment"]) > MAX_COMMENT:
        errors["suggest_comment"] = f"A comment has at most {MAX_COMMENT} characters."
    if not errors:
        try:
            await suggestions.suggest(
                context.fed(request),
                user,
                _target(request),
                values["skill"],
                values["suggest_comment"],
            )
        except suggestions.InvalidSkill as exc:
            errors["skill"] = sentence(str(exc))
        except suggestions.SuggestionError as exc:
            errors[""] = sentence(str(exc))
        else:
            return auth.redirect(request, f"/@{name}?done=suggested")
    return await pages.profile(request, values=values, errors=errors, status=400)


async def endorse(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    name = str(request.path_params["username"]).lower()
    key = auth.text(data, "skill").strip()
    values = {"endorse_key": key, "comment": auth.text(data, "comment").strip()}
    errors: dict[str, str] = {}
    if not key or len(key) > MAX_SKILL:
        raise HTTPException(400, "Choose a skill to endorse.")
    if len(values["comment"]) > MAX_COMMENT:
        errors["comment"] = f"A comment has at most {MAX_COMMENT} characters."
    if not errors:
        try:
            await endorsements.endorse(
                context.fed(request), user, _target(request), key, values["comment"]
            )
        except endorsements.InvalidSkill as exc:
            errors[""] = sentence(str(exc))
        except endorsements.EndorsementError as exc:
            errors[""] = sentence(str(exc))
        else:
            return auth.redirect(request, f"/@{name}?done=endorsed#skill-{key}")
    return await pages.profile(request, values=values, errors=errors, status=400)


async def remote(request: Request) -> Response:
    """Follow or suggest from the visitor's own server: WebFinger their handle and send
    them to their server's remote-interaction page for this profile."""
    data = await auth.form(request)
    handle = auth.text(data, "handle").strip()
    values = {"handle": handle}
    if not handle:
        return await pages.profile(
            request, values=values, errors={"handle": "Enter your handle."}, status=400
        )
    if len(handle) > MAX_HANDLE:
        return await pages.profile(
            request, values=values, errors={"handle": "That handle is too long."}, status=400
        )
    user = await pages.profile_user(request)
    fed = context.fed(request)
    try:
        url = await actors.interaction_url(fed, handle, fed.uris.actor(user.username))
    except actors.ActorUnavailable as exc:
        return await pages.profile(request, values=values, errors={"handle": str(exc)}, status=422)
    return auth.redirect(request, url)


async def authorize_interaction(request: Request) -> Response:
    """Our own remote-interaction page: someone from here wants to follow ``uri``."""
    uri = request.query_params.get("uri", "").strip()
    if uri.startswith("acct:"):
        uri = uri[5:]
    if not uri or len(uri) > 2048:
        raise HTTPException(400, "The link does not say whom to follow.")
    user = await auth.require_user(request)
    return await render.page(request, "authorize.html", {"target": uri, "me": user, "errors": {}})


async def authorize_follow(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    target = auth.text(data, "target").strip()
    if not target or len(target) > 2048:
        raise HTTPException(400, "The form does not say whom to follow.")
    try:
        result = await follows.follow(context.fed(request), user, target)
    except follows.FollowError as exc:
        return await render.page(
            request,
            "authorize.html",
            {"target": target, "me": user, "errors": {"": sentence(str(exc))}},
            status=422,
        )
    return await render.page(
        request, "authorize.html", {"target": target, "me": user, "errors": {}, "result": result}
    )
