"""Who is signed in, and the CSRF check every form goes through.

- The session cookie (``fs_session``; ``__Host-`` prefixed over HTTPS) is HttpOnly,
  SameSite=Lax and Secure over HTTPS; it carries a random token (services.sessions).
- CSRF: every browser gets a random ``fs_csrf`` cookie (HttpOnly, SameSite=Strict) and
  every form carries the same value in a hidden field; a POST whose field does not
  match the cookie, or whose Origin header names another site, is refused with 403
  before anything else happens. Signing in or out rotates the token.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Message

from ..services import sessions
from ..services.accounts import User
from . import context

MAX_FORM = 64 * 1024  # a form without files
MAX_UPLOAD = 4 * 1024 * 1024  # a form with an avatar (services.avatars caps the image itself)
_USER = "signed_in_user"
_CSRF = "csrf_token"


def _secure(request: Request) -> bool:
    return context.settings(request).base_url.startswith("https://")


def _cookie(request: Request, name: str) -> str:
    """Cookies belong to a host, not to a port: instances on one host with different ports
    (demos, tests) get names of their own, so that signing in to one does not sign out
    of another."""
    base = urlsplit(context.settings(request).base_url)
    if base.port is not None:
        name = f"{name}_{base.port}"
    return f"__Host-{name}" if base.scheme == "https" else name


def session_cookie(request: Request) -> str:
    return _cookie(request, "fs_session")


def csrf_cookie(request: Request) -> str:
    return _cookie(request, "fs_csrf")


def _memo(request: Request) -> dict[str, Any]:
    """Values worked out once per request (the scope is per request; request.state may be
    the lifespan's shared state)."""
    memo: dict[str, Any] = request.scope.setdefault("fediverse_skills.web", {})
    return memo


async def viewer(request: Request) -> User | None:
    """The signed-in user, or None. Looked up once per request."""
    memo = _memo(request)
    if _USER in memo:
        found: User | None = memo[_USER]
        return found
    token = request.cookies.get(session_cookie(request), "")
    user = await sessions.resolve(context.db(request), token) if token else None
    memo[_USER] = user
    return user


async def require_user(request: Request) -> User:
    """The signed-in user; anyone else is sent to the sign-in page (GET) or refused."""
    user = await viewer(request)
    if user is None:
        if request.method in ("GET", "HEAD"):
            raise HTTPException(303, "sign in first", headers={"Location": _login_url(request)})
        raise HTTPException(401, "Sign in first.")
    return user


async def require_admin(request: Request) -> User:
    user = await require_user(request)
    if not user.is_admin:
        raise HTTPException(403, "This page is for the instance's admins.")
    return user


def _login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="/")


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in; anything else (another site) becomes /."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (a new one is made and set on the response if missing)."""
    memo = _memo(request)
    token = memo.get(_CSRF)
    if isinstance(token, str):
        return token
    token = request.cookies.get(csrf_cookie(request), "")
    if not (20 <= len(token) <= 100):
        token = secrets.token_urlsafe(32)
        memo["csrf_new"] = True
    memo[_CSRF] = token
    return token


def finish(request: Request, response: Response) -> Response:
    """Set the cookies a request decided on (a new CSRF token)."""
    memo = _memo(request)
    if memo.get("csrf_new"):
        response.set_cookie(
            csrf_cookie(request),
            memo[_CSRF],
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path="/",
        )
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def start_session(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        session_cookie(request),
        token,
        max_age=int(sessions.LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    rotate_csrf(request, response)


def end_session(request: Request, response: Response) -> None:
    response.delete_cookie(session_cookie(request), path="/", secure=_secure(request))
    rotate_csrf(request, response)


def rotate_csrf(request: Request, response: Response) -> None:
    response.set_cookie(
        csrf_cookie(request),
        secrets.token_urlsafe(32),
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    ours = urlsplit(context.settings(request).base_url)
    theirs = urlsplit(origin)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"The form is larger than {limit // 1024} KB.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"The form is larger than {limit // 1024} KB.")
    return body


async def form(request: Request, *, files: bool = False) -> FormData:
    """The posted form, after the CSRF and origin checks (403 when they fail).

    Plain forms are capped at 64 KB; ``files=True`` allows one multipart upload.
    """
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    allowed = {"application/x-www-form-urlencoded"}
    if files:
        allowed.add("multipart/form-data")
    if kind not in allowed:
        raise HTTPException(415, "Send the form as a web form.")
    body = await _body(request, MAX_UPLOAD if files else MAX_FORM)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        data = await Request(request.scope, replay).form(max_files=1, max_fields=100)
    except HTTPException:
        raise
    except Exception:  # malformed multipart or urlencoded bodies
        raise HTTPException(400, "The form could not be read.") from None
    cookie = request.cookies.get(csrf_cookie(request), "")
    field = data.get("csrf")
    if (
        not cookie
        or not isinstance(field, str)
        or not hmac.compare_digest(cookie.encode(), field.encode())
        or not _same_origin(request)
    ):
        await data.close()
        raise HTTPException(
            403,
            "This form has expired or did not come from this site. "
            "Go back, reload the page and try again.",
        )
    return data


def text(data: FormData, name: str) -> str:
    value = data.get(name, "")
    return value if isinstance(value, str) else ""


def upload(data: FormData, name: str) -> UploadFile | None:
    value = data.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


def redirect(request: Request, url: str) -> Response:
    return finish(request, RedirectResponse(url, status_code=303))
