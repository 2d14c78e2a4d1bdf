"""The opportunity pages: the board, posting one, and closing or deleting one's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..services import matching, opportunities, referrals
from ..services.opportunities import InvalidOpportunity, OpportunityError
from . import auth, context, render
from .opportunities import page, posting_page
from .visitor import sentence

FIELDS = (
    "title",
    "description",
    "required_skills",
    "nice_skills",
    "kind",
    "place",
    "pay",
    "contact_url",
    "expires_on",
)


async def board(request: Request) -> Response:
    """Live postings, filtered like the JSON board."""
    viewer = await auth.require_user(request)
    fed = context.fed(request)
    query = {k: request.query_params.get(k, "").strip() for k in ("skill", "kind", "place")}
    remote = request.query_params.get("remote") == "on"
    in_network = request.query_params.get("network") == "on"
    errors: dict[str, str] = {}
    key = None
    if query["skill"]:
        try:
            key = opportunities.skill_key(query["skill"])
        except InvalidOpportunity as exc:
            errors["skill"] = sentence(str(exc))
    if query["kind"] and query["kind"] not in opportunities.KINDS:
        errors["kind"] = "Choose a kind from the list."
    if len(query["place"]) > 200:
        errors["place"] = "A place has at most 200 characters."
    rows = []
    if not errors:
        rows = await opportunities.board(
            fed,
            skill=key,
            kind=query["kind"] or None,
            remote=True if remote else None,
            place=query["place"] or None,
            authors=await matching.network_authors(fed, viewer) if in_network else None,
            limit=100,
        )
    return await render.page(
        request,
        "board.html",
        {
            "postings": [
                {**opportunities.as_json(fed, r), "poster": opportunities.handle(r.author)}
                for r in rows
            ],
            "values": {**query, "remote": remote, "network": in_network},
            "errors": errors,
            "kinds": opportunities.KINDS,
            "for_me": [
                {**opportunities.as_json(fed, r), "why": m.why}
                for r, m in await matching.for_me(fed, viewer, limit=5)
            ],
            "mine": [
                opportunities.as_json(fed, r)
                for r in await opportunities.board(fed, mine=viewer, limit=100)
            ],
        },
        status=400 if errors else 200,
    )


async def new(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    await auth.require_user(request)
    return await render.page(
        request,
        "opportunity_new.html",
        {"values": values or {"kind": "job"}, "errors": errors or {}, "kinds": opportunities.KINDS},
        status=status,
    )


def _posting(values: dict[str, str], remote: bool) -> dict[str, Any]:
    expires = values["expires_on"]
    return {
        "title": values["title"],
        "description": values["description"],
        "required_skills": values["required_skills"],
        "nice_skills": values["nice_skills"],
        "kind": values["kind"],
        "remote": remote,
        "place": values["place"],
        "pay": values["pay"],
        "contact_url": values["contact_url"],
        "expires_at": f"{expires}T23:59:59+00:00" if expires else None,
    }


async def create(request: Request) -> Response:
    data = await auth.form(request)
    user = await auth.require_user(request)
    values = {name: auth.text(data, name) for name in FIELDS}
    remote = auth.text(data, "remote") == "on"
    try:
        row = await opportunities.post(context.fed(request), user, _posting(values, remote))
    except InvalidOpportunity as exc:
        field = exc.field if exc.field in FIELDS else "expires_on"
        if exc.field == "expires_at":
            field = "expires_on"
        return await new(
            request,
            values={**values, "remote": "on" if remote else ""},
            errors={field: sentence(str(exc))},
            status=400,
        )
    assert row.public_id is not None
    return auth.redirect(request, f"/opportunities/{row.public_id}?done=posted")


async def close(request: Request) -> Response:
    await auth.form(request)
    user = await auth.require_user(request)
    public_id = str(request.path_params["id"])
    try:
        await opportunities.edit(context.fed(request), user, public_id, {"state": "closed"})
    except OpportunityError as exc:
        raise HTTPException(exc.status, sentence(str(exc))) from None
    return auth.redirect(request, f"/opportunities/{public_id}?done=closed")


async def delete(request: Request) -> Response:
    await auth.form(request)
    user = await auth.require_user(request)
    try:
        await opportunities.remove(context.fed(request), user, str(request.path_params["id"]))
    except OpportunityError as exc:
        raise HTTPException(exc.status, sentence(str(exc))) from None
    return auth.redirect(request, "/opportunities?done=deleted-posting")


# ----------------------------------------------------------------------------- referrals


async def _posting_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    request.scope.setdefault("fediverse_skills.form", {}).update(
        {"values": values, "errors": errors}
    )
    reference = _reference(request, values)
    if str(request.path_params["id"]) == REMOTE:
        row = await opportunities.get_by_uri(context.fed(request), reference)
        if row is None:
            raise HTTPException(404, "Not Found")
        response = await posting_page(request, row)
    else:
        response = await page(request)
    response.status_code = status
    return response


REMOTE = "remote"  # the path segment for postings kept from other servers


def _reference(request: Request, values: dict[str, str]) -> str:
    """Our posting's id, or (for ``/opportunities/remote/...``) the posting's URI."""
    public_id = str(request.path_params["id"])
    return values.get("opportunity", "") if public_id == REMOTE else public_id


def _back(request: Request, reference: str, done: str) -> str:
    if str(request.path_params["id"]) == REMOTE:
        return f"/opportunities/remote?uri={quote(reference, safe='')}&done={done}"
    return f"/opportunities/{reference}?done={done}"


async def remote_posting(request: Request) -> Response:
    """A posting kept from another server, with the interest and referral forms."""
    await auth.require_user(request)
    uri = request.query_params.get("uri", "")
    row = await opportunities.get_by_uri(context.fed(request), uri) if len(uri) <= 2048 else None
    if row is None or row.user_id is not None:
        raise HTTPException(404, "Not Found")
    return await posting_page(request, row)


async def refer(request: Request) -> Response:
    """Refer someone to this posting; they decide before the poster sees anything."""
    data = await auth.form(request)
    user = await auth.require_user(request)
    values = {
        "candidate": auth.text(data, "candidate").strip(),
        "refer_comment": auth.text(data, "refer_comment").strip(),
        "opportunity": auth.text(data, "opportunity").strip(),
    }
    reference = _reference(request, values)
    errors: dict[str, str] = {}
    if not values["candidate"]:
        errors["candidate"] = "Enter the handle of the person you refer (name@their.server)."
    elif len(values["candidate"]) > 300:
        errors["candidate"] = "That handle is too long."
    if len(values["refer_comment"]) > 1000:
        errors["refer_comment"] = "A comment has at most 1000 characters."
    if not errors:
        try:
            await referrals.refer(
                context.fed(request), user, reference, values["candidate"], values["refer_comment"]
            )
        except referrals.ReferralError as exc:
            errors["candidate"] = sentence(str(exc))
        else:
            return auth.redirect(request, _back(request, reference, "referred"))
    return await _posting_page(request, values, errors, 400)


async def interested(request: Request) -> Response:
    """Tell the poster you are interested: a direct message, on any server."""
    data = await auth.form(request)
    user = await auth.require_user(request)
    values = {
        "interest_comment": auth.text(data, "interest_comment").strip(),
        "opportunity": auth.text(data, "opportunity").strip(),
    }
    reference = _reference(request, values)
    if len(values["interest_comment"]) > 1000:
        return await _posting_page(
            request, values, {"interest_comment": "A comment has at most 1000 characters."}, 400
        )
    try:
        await referrals.interest(
            context.fed(request),
            user,
            reference,
            values["interest_comment"],
            include_profile=auth.text(data, "include_profile") == "on",
        )
    except referrals.ReferralError as exc:
        return await _posting_page(request, values, {"interest_comment": sentence(str(exc))}, 400)
    return auth.redirect(request, _back(request, reference, "interested"))


async def referrals_page(request: Request) -> Response:
    user = await auth.require_user(request)
    fed = context.fed(request)
    boxes = {
        box: [referrals.as_json(r) for r in await referrals.listing(fed, user, box)]
        for box in ("received", "sent", "posted")
    }
    return await render.page(request, "referrals.html", boxes)


async def decide_referral(request: Request) -> Response:
    await auth.form(request)
    user = await auth.require_user(request)
    action = str(request.path_params["action"])
    if action not in ("accept", "decline"):
        raise HTTPException(404, "Not Found")
    try:
        await referrals.decide(
            context.fed(request), user, str(request.path_params["id"]), accept=action == "accept"
        )
    except referrals.ReferralError as exc:
        raise HTTPException(exc.status, sentence(str(exc))) from None
    done = "referral-accepted" if action == "accept" else "referral-declined"
    return auth.redirect(request, f"/referrals?done={done}")
