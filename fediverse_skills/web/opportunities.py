"""Work opportunities: the JSON API, the Note at a posting's id, and its page."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..services import documents, matching, opportunities
from ..services.opportunities import InvalidOpportunity, OpportunityError
from . import auth, context, render
from . import matching as matching_api
from .activitypub import signed_reader
from .api import current_user, json_body
from .responses import activity_json

MAX_PAGE = 100


def _invalid(exc: InvalidOpportunity) -> HTTPException:
    return HTTPException(400, str(exc))


async def create(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    try:
        row = await opportunities.post(context.fed(request), user, data)
    except InvalidOpportunity as exc:
        raise _invalid(exc) from None
    return JSONResponse(opportunities.as_json(context.fed(request), row), status_code=201)


def _flag(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise HTTPException(400, f"{name} is true or false")


def _int(request: Request, name: str, default: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= high:
        raise HTTPException(400, f"{name} is a number from 0 to {high}")
    return int(raw)


async def listing(request: Request) -> JSONResponse:
    """The board: live postings here and from the people our members follow."""
    user = await current_user(request)
    fed = context.fed(request)
    skill = request.query_params.get("skill")
    key = None
    if skill:
        try:
            key = opportunities.skill_key(skill)
        except InvalidOpportunity as exc:
            raise _invalid(exc) from None
    kind = request.query_params.get("kind") or None
    if kind is not None and kind not in opportunities.KINDS:
        raise HTTPException(400, "kind is one of " + ", ".join(opportunities.KINDS))
    place = request.query_params.get("place") or None
    if place is not None and len(place) > 200:
        raise HTTPException(400, "place has at most 200 characters")
    # network=true: only postings by people within 3 steps of you (services.matching).
    authors = await matching.network_authors(fed, user) if _flag(request, "network") else None
    if matching_api.for_me(request):  # ranked by how they fit you, each with a why
        found = await matching.for_me(
            fed,
            user,
            limit=matching_api.limit(request),
            skill=key,
            kind=kind,
            remote=_flag(request, "remote"),
            place=place,
            authors=authors,
        )
        return JSONResponse(
            {"opportunities": [matching_api.with_match(request, r, m) for r, m in found]}
        )
    rows = await opportunities.board(
        fed,
        skill=key,
        kind=kind,
        remote=_flag(request, "remote"),
        place=place,
        authors=authors,
        mine=user if request.query_params.get("mine") in ("1", "true") else None,
        limit=_int(request, "limit", 50, MAX_PAGE),
        offset=_int(request, "offset", 0, 1_000_000),
    )
    return JSONResponse({"opportunities": [opportunities.as_json(fed, r) for r in rows]})


async def _own_id(request: Request) -> str:
    public_id = str(request.path_params["id"])
    if len(public_id) > 40:
        raise HTTPException(404, "no such opportunity")
    return public_id


async def show(request: Request) -> JSONResponse:
    await current_user(request)
    row = await opportunities.get(context.fed(request), await _own_id(request))
    if row is None:
        raise HTTPException(404, "no such opportunity")
    return JSONResponse(opportunities.as_json(context.fed(request), row))


async def change(request: Request) -> JSONResponse:
    user = await current_user(request)
    data = await json_body(request)
    try:
        row = await opportunities.edit(context.fed(request), user, await _own_id(request), data)
    except InvalidOpportunity as exc:
        raise _invalid(exc) from None
    except OpportunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return JSONResponse(opportunities.as_json(context.fed(request), row))


async def delete(request: Request) -> Response:
    user = await current_user(request)
    try:
        await opportunities.remove(context.fed(request), user, await _own_id(request))
    except OpportunityError as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return Response(status_code=204)


async def note(request: Request) -> Response:
    """The posting's Note at its id (AS2), or its page for browsers."""
    fed = context.fed(request)
    row = await opportunities.get(fed, str(request.path_params["id"]))
    username = str(request.path_params["username"]).lower()
    if row is None or fed.uris.username_of(row.author) != username:
        raise HTTPException(404, "Not Found")
    if not documents.wants_activitystreams(request.headers.get("accept")):
        response = await posting_page(request, row)
        response.headers["Vary"] = "Accept"
        return response
    await signed_reader(request)  # in authorized-fetch mode, only for signed GETs
    return activity_json(opportunities.document(fed, row))


async def page(request: Request) -> Response:
    row = await opportunities.get(context.fed(request), await _own_id(request))
    if row is None:
        raise HTTPException(404, "Not Found")
    return await posting_page(request, row)


async def posting_page(request: Request, row: opportunities.OpportunityRow) -> Response:
    fed = context.fed(request)
    viewer = await auth.viewer(request)
    is_poster = viewer is not None and row.user_id == viewer.id
    found: list[dict[str, Any]] = []
    if is_poster and viewer is not None and opportunities.is_live(row):
        assert row.public_id is not None
        found = [matching.as_json(m) for m in await matching.matches(fed, viewer, row.public_id)]
    values: dict[str, Any] = {
        "posting": opportunities.as_json(fed, row),
        "poster": opportunities.handle(row.author),
        "viewer_is_poster": is_poster,
        "matches": found,
        **request.scope.get("fediverse_skills.form", {"values": {}, "errors": {}}),
    }
    return await render.page(request, "opportunity.html", values)
