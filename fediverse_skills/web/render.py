"""Rendering pages: every template gets the viewer, the CSRF token and the instance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from . import auth, context

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

# What ``?done=CODE`` after a redirect says. Only these codes: a link cannot make the
# page say anything else.
DONE = {
    "signed-out": "You are signed out.",
    "welcome": "Welcome! Add a few skills to start your profile.",
    "saved": "Saved.",
    "suggested": "Your suggestion was sent. They decide whether to accept it.",
    "endorsed": "Your endorsement was sent.",
    "followed": "Follow request sent.",
    "accepted": "Accepted.",
    "rejected": "Declined.",
    "undone": "Undone: the suggestion is waiting for your decision again.",
    "skill-added": "Skill added.",
    "skill-removed": "Skill removed.",
    "asked": "Your ask was posted. Replies with hashtags become suggestions.",
    "blocked": "Blocked.",
    "unblocked": "Unblocked.",
    "suspended": "The account is suspended.",
    "unsuspended": "The account is active again.",
    "deleted": "The account is deleted.",
    "invite": "A new invite code was made.",
    "resolved": "The report is marked as resolved.",
    "posted": "Your opportunity is posted and on its way to your followers.",
    "closed": "The posting is closed; followers' servers are told.",
    "deleted-posting": "The posting is deleted.",
    "referred": "Your referral was sent. The poster sees it only if they accept.",
    "interested": "The poster got a direct message saying you are interested.",
    "referral-accepted": "Accepted: the poster now sees the referral.",
    "referral-declined": "Declined. The poster never hears of it.",
}


async def page(
    request: Request, template: str, values: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    settings = context.settings(request)
    base = {
        "viewer": await auth.viewer(request),
        "csrf": auth.csrf_token(request),
        "host": settings.host_name,
        "done": DONE.get(request.query_params.get("done", ""), ""),
    }
    response = templates.TemplateResponse(
        request, template, {**base, **(values or {})}, status_code=status
    )
    return auth.finish(request, response)
