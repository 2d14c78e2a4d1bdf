"""Referrals and interest: the JSON API. Every call needs a bearer token."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..services import referrals
from ..services.referrals import ReferralError
from . import context
from .api import current_user, json_body, only_fields, text_field

MAX_REFERENCE = 2048  # a posting's or a person's URL
REMOTE = "remote"  # the path id of a posting named by its URI in the body


def _comment(data: dict[str, Any]) -> str:
    value = data.get("comment")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise HTTPException(400, "comment must be a string")
    return value  # its length is checked by the service (at most 1000 characters)


def _failed(exc: ReferralError) -> HTTPException:
    return HTTPException(exc.status, str(exc))


async def create(request: Request) -> JSONResponse:
    """Refer someone to a posting: 201 with the referral (200 with the pending one if you
    referred them to it already)."""
    user = await current_user(request)
    data = await json_body(request)
    only_fields(data, "opportunity", "candidate", "comment")
    try:
        outcome = await referrals.refer(
            context.fed(request),
            user,
            text_field(data, "opportunity", max_length=MAX_REFERENCE),
            text_field(data, "candidate", max_length=MAX_REFERENCE),
            _comment(data),
        )
    except ReferralError as exc:
        raise _failed(exc) from None
    return JSONResponse(
        referrals.as_json(outcome.referral), status_code=201 if outcome.created else 200
    )


async def listing(request: Request) -> JSONResponse:
    user = await current_user(request)
    box = request.query_params.get("box") or "received"
    if box not in referrals.BOXES:
        raise HTTPException(400, "box is one of " + ", ".join(referrals.BOXES))
    state = request.query_params.get("state") or None
    if state is not None and state not in referrals.STATES:
        raise HTTPException(400, "state is one of " + ", ".join(referrals.STATES))
    rows = await referrals.listing(context.fed(request), user, box, state)
    return JSONResponse({"referrals": [referrals.as_json(r) for r in rows]})


async def decide(request: Request) -> JSONResponse:
    """The candidate accepts or declines (anyone else: 404)."""
    action = request.path_params["action"]
    if action not in ("accept", "decline"):
        raise HTTPException(404, "Not Found")
    user = await current_user(request)
    public_id = str(request.path_params["id"])
    if len(public_id) > 40:
        raise HTTPException(404, "no such referral")
    try:
        row = await referrals.decide(
            context.fed(request), user, public_id, accept=action == "accept"
        )
    except ReferralError as exc:
        raise _failed(exc) from None
    return JSONResponse(referrals.as_json(row))


async def interest(request: Request) -> JSONResponse:
    """Tell a posting's poster you are interested (a direct Note). The path names our
    posting by its id; a posting from another server is ``remote`` with its URI as
    ``opportunity`` in the body."""
    user = await current_user(request)
    data = await json_body(request)
    only_fields(data, "comment", "include_profile", "opportunity")
    reference = str(request.path_params["id"])
    if reference == REMOTE:
        reference = text_field(data, "opportunity", max_length=MAX_REFERENCE)
    elif "opportunity" in data:
        raise HTTPException(400, f"opportunity goes with /api/v1/opportunities/{REMOTE}/interest")
    elif len(reference) > 40:
        raise HTTPException(404, "no such opportunity")
    include_profile = data.get("include_profile", False)
    if not isinstance(include_profile, bool):
        raise HTTPException(400, "include_profile must be true or false")
    try:
        sent = await referrals.interest(
            context.fed(request),
            user,
            reference,
            _comment(data),
            include_profile=include_profile,
        )
    except ReferralError as exc:
        raise _failed(exc) from None
    return JSONResponse({"note": sent.note, "to": sent.to}, status_code=201)
