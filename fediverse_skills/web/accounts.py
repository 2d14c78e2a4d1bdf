"""Signing up, in and out in the browser."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..services import accounts, sessions, site
from ..services.accounts import InvalidUsername, SignUpRefused, UsernameTaken, WeakPassword
from . import auth, context, render

MAX_NAME = 200
MAX_PASSWORD = 1024


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def signup_form(request: Request) -> Response:
    if await auth.viewer(request) is not None:
        return auth.redirect(request, "/")
    return await _signup(request, {"invite": request.query_params.get("invite", "")}, {})


async def _signup(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    settings = await site.load(context.db(request))
    first = await accounts.count_users(context.db(request)) == 0
    return await render.page(
        request,
        "signup.html",
        {"values": values, "errors": errors, "mode": settings.registrations, "first": first},
        status=status,
    )


async def signup(request: Request) -> Response:
    data = await auth.form(request)
    values = {
        "username": auth.text(data, "username").strip(),
        "invite": auth.text(data, "invite").strip(),
    }
    password = auth.text(data, "password")
    errors: dict[str, str] = {}
    if not values["username"]:
        errors["username"] = "Choose a username."
    elif len(values["username"]) > MAX_NAME:
        errors["username"] = "A username has at most 30 characters."
    if not password:
        errors["password"] = "Choose a password."
    elif password != auth.text(data, "password2"):
        errors["password2"] = "The two passwords are not the same."
    if not errors:
        try:
            user = await accounts.sign_up(
                context.db(request), values["username"], password, values["invite"]
            )
        except InvalidUsername as exc:
            errors["username"] = str(exc).capitalize() + "."
        except UsernameTaken:
            errors["username"] = "That username is taken. Choose another."
        except WeakPassword as exc:
            errors["password"] = str(exc).capitalize() + "."
        except SignUpRefused as exc:
            errors[exc.field] = str(exc)
        else:
            session = await sessions.start(context.db(request), user)
            response = auth.redirect(request, "/settings/skills?done=welcome")
            auth.start_session(request, response, session.token)
            return response
    return await _signup(request, values, errors, status=400)


async def login_form(request: Request) -> Response:
    if await auth.viewer(request) is not None:
        return auth.redirect(request, auth.safe_next(request.query_params.get("next")))
    values = {"next": auth.safe_next(request.query_params.get("next"))}
    return await render.page(request, "login.html", {"values": values, "errors": {}})


async def login(request: Request) -> Response:
    data = await auth.form(request)
    values = {
        "username": auth.text(data, "username").strip()[:MAX_NAME],
        "next": auth.safe_next(auth.text(data, "next")),
    }
    password = auth.text(data, "password")
    errors: dict[str, str] = {}
    if not values["username"]:
        errors["username"] = "Enter your username."
    if not password:
        errors["password"] = "Enter your password."
    elif len(password) > MAX_PASSWORD:
        errors["password"] = "That username and password do not match."
    headers: dict[str, str] = {}
    status = 400
    if not errors:
        try:
            session = await sessions.sign_in(
                context.db(request), values["username"], password, address=_address(request)
            )
        except sessions.SignInRefused as exc:
            errors[""] = str(exc)
            if exc.retry_after is not None:
                status = 429
                headers["Retry-After"] = str(exc.retry_after)
        else:
            response = auth.redirect(request, values["next"])
            auth.start_session(request, response, session.token)
            return response
    response = await render.page(
        request, "login.html", {"values": values, "errors": errors}, status=status
    )
    response.headers.update(headers)
    return response


async def logout(request: Request) -> Response:
    await auth.form(request)
    token = request.cookies.get(auth.session_cookie(request), "")
    if token:
        await sessions.end(context.db(request), token)
    response = auth.redirect(request, "/?done=signed-out")
    auth.end_session(request, response)
    return response
