"""ActivityPub endpoints: actors, objects, collections (GET) and inboxes (POST)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..services import access, documents
from . import context, pages
from .inbox import signed_url
from .responses import activity_json, page_number


def _username(request: Request) -> str:
    return str(request.path_params["username"]).lower()


async def signed_reader(request: Request) -> str | None:
    """In authorized-fetch mode, the verified signer of this GET (401/403 otherwise);
    outside it, nobody in particular (None): only public documents are served then."""
    if not context.settings(request).authorized_fetch:
        return None
    fed = context.fed(request)
    url = signed_url(fed.uris.base_url, request.scope)
    try:
        return await access.reader(fed, url=url, headers=request.headers.items(), required=True)
    except access.AccessRefused as exc:
        raise HTTPException(exc.status, exc.reason) from None


async def _document_or_404(
    request: Request, make: Callable[[str | None], Awaitable[dict[str, Any] | str | None]]
) -> Response:
    """The document ``make(reader)`` builds, once the reader may fetch at all."""
    reader = await signed_reader(request)
    doc = await make(reader)
    if doc is None:
        raise HTTPException(404, "Not Found")
    response = activity_json(doc)
    if context.settings(request).authorized_fetch:
        # What is served depends on who signed: no shared cache may reuse it.
        response.headers["Vary"] = "Accept, Signature, Signature-Input"
        response.headers["Cache-Control"] = "private"
    return response


async def actor(request: Request) -> Response:
    fed = context.fed(request)
    username = _username(request)
    if not documents.wants_activitystreams(request.headers.get("accept")):
        response = await pages.profile(request, username)
        response.headers["Vary"] = "Accept"
        return response
    await pages.profile_user(request, username)  # 404 unknown, 410 Gone: suspended, deleted
    # Readable without a signature in every mode: peers need our keys to verify anything.
    doc = await documents.actor(fed, username)
    if doc is None:
        raise HTTPException(404, "Not Found")
    return activity_json(doc)


async def instance_actor(request: Request) -> Response:
    return activity_json(await documents.instance_actor(context.fed(request)))


async def note(request: Request) -> Response:
    fed = context.fed(request)
    return await _document_or_404(
        request,
        lambda reader: documents.note(
            fed, _username(request), str(request.path_params["note_id"]), reader=reader
        ),
    )


async def activity(request: Request) -> Response:
    fed = context.fed(request)
    return await _document_or_404(
        request,
        lambda reader: documents.activity(
            fed, _username(request), str(request.path_params["id"]), reader=reader
        ),
    )


def _page(request: Request) -> int | None:
    try:
        return page_number(request)
    except ValueError:
        raise HTTPException(400, "page must be a positive number") from None


async def outbox(request: Request) -> Response:
    fed = context.fed(request)
    page = _page(request)
    return await _document_or_404(
        request, lambda _: documents.outbox(fed, _username(request), page)
    )


async def followers(request: Request) -> Response:
    fed = context.fed(request)
    page = _page(request)
    return await _document_or_404(
        request, lambda _: documents.relations(fed, _username(request), "followers", page)
    )


async def following(request: Request) -> Response:
    fed = context.fed(request)
    page = _page(request)
    return await _document_or_404(
        request, lambda _: documents.relations(fed, _username(request), "following", page)
    )


async def skills(request: Request) -> Response:
    fed = context.fed(request)
    page = _page(request)
    return await _document_or_404(
        request, lambda _: documents.skills(fed, _username(request), page)
    )


async def skill(request: Request) -> Response:
    fed = context.fed(request)
    key = str(request.path_params["key"])
    return await _document_or_404(request, lambda _: documents.skill(fed, _username(request), key))


async def featured_tags(request: Request) -> Response:
    fed = context.fed(request)
    return await _document_or_404(
        request, lambda _: documents.featured_tags(fed, _username(request))
    )


async def endorsement(request: Request) -> Response:
    fed = context.fed(request)
    public_id = str(request.path_params["id"])
    return await _document_or_404(
        request, lambda _: documents.endorsement(fed, _username(request), public_id)
    )


async def skills_context(request: Request) -> Response:
    """Our vocabulary's JSON-LD context, as bundled (the same bytes on every instance)."""
    return Response(
        documents.skills_context(),
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"},
    )
