"""Matching in the JSON API: the people who fit a posting (its poster only), and the
"for me" and "in my network" views of the board."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..services import matching, opportunities
from ..services.matching import MatchingError
from ..services.opportunities import OpportunityRow
from . import context
from .api import current_user

DEFAULT_LIMIT = 20


def limit(request: Request, default: int = DEFAULT_LIMIT) -> int:
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= matching.MAX_LIMIT:
        raise HTTPException(400, f"limit is a number from 0 to {matching.MAX_LIMIT}")
    return int(raw)


def for_me(request: Request) -> bool:
    """Whether the board was asked for ``for=me`` (any other value is refused)."""
    wanted = request.query_params.get("for")
    if wanted is None or wanted == "":
        return False
    if wanted != "me":
        raise HTTPException(400, "for takes the value me")
    return True


def with_match(request: Request, row: OpportunityRow, found: matching.PostingMatch) -> Any:
    return {**opportunities.as_json(context.fed(request), row), "match": found.as_json()}


async def matches(request: Request) -> JSONResponse:
    """``GET /api/v1/opportunities/{id}/matches``: for the poster, the people open to work
    in their network who fit the posting, best first, each with a why."""
    user = await current_user(request)
    public_id = str(request.path_params["id"])
    if len(public_id) > 40:
        raise HTTPException(404, "no such opportunity of yours")
    try:
        found = await matching.matches(context.fed(request), user, public_id, limit(request))
    except MatchingError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return JSONResponse({"matches": [matching.as_json(m) for m in found]})
