"""ActivityPub endpoints: actors, objects, collections (GET) and inboxes (POST)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..services import documents, inbox
from . import context, pages
from .responses import activity_json, page_number

MAX_BODY = inbox.MAX_BODY


def _username(request: Request) -> str:
    return str(request.path_params["username"]).lower()


async def _document_or_404(
    request: Request, make: Callable[[], Awaitable[dict[str, Any] | None]]
) -> Response:
    doc = await make()
    if doc is None:
        raise HTTPException(404, "Not Found")
    return activity_json(doc)


async def actor(request: Request) -> Response:
    fed = context.fed(request)
    username = _username(request)
    if not documents.wants_activitystreams(request.headers.get("accept")):
        response = await pages.profile(request, username)
        response.headers["Vary"] = "Accept"
        return response
    return await _document_or_404(request, lambda: documents.actor(fed, username))


async def instance_actor(request: Request) -> Response:
    return activity_json(await documents.instance_actor(context.fed(request)))


async def note(request: Request) -> Response:
    fed = context.fed(request)
    return await _document_or_404(
        request,
        lambda: documents.note(fed, _username(request), str(request.path_params["note_id"])),
    )


async def activity(request: Request) -> Response:
    fed = context.fed(request)
    return await _document_or_404(
        request,
        lambda: documents.activity(fed, _username(request), str(request.path_params["id"])),
    )


def _page(request: Request) -> int | None:
    try:
        return page_number(request)
    except ValueError:
        raise HTTPException(400, "page must be a positive number") from None


async def outbox(request: Request) -> Response:
    fed = context.fed(request)
    page = _page(request)
    return await _document_or_404(request, lambda: documents.outbox(fed, _username(request), page))


async def followers(request: Request) -> Response:
    fed = context.fed(request)
    page = _page(request)
    return await _document_or_404(
        request, lambda: documents.relations(fed, _username(request), "followers", page)
    )


async def following(request: Request) -> Response:
    fed = context.fed(request)
    page = _page(request)
    return await _document_or_404(
        request, lambda: documents.relations(fed, _username(request), "following", page)
    )


async def _read_body(request: Request) -> bytes:
    """The raw body, refusing more than 1 MB without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > MAX_BODY:
                raise HTTPException(413, "the body is larger than 1 MB")
        except ValueError:
            raise HTTPException(400, "invalid Content-Length") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(413, "the body is larger than 1 MB")
        chunks.append(chunk)
    return b"".join(chunks)


def _url(request: Request) -> str:
    """The URL as the sender signed it: our public origin plus the raw path and query."""
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"")
    path = raw_path.decode("latin-1")
    base = context.fed(request).uris.base_url
    return f"{base}{path}" + (f"?{query.decode('latin-1')}" if query else "")


async def _receive(request: Request, recipient: str | None) -> Response:
    if not documents.accepts_inbox_post(request.headers.get("content-type")):
        return JSONResponse(
            {"error": "Content-Type must be application/activity+json"}, status_code=415
        )
    body = await _read_body(request)
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    try:
        receipt = await inbox.receive(
            context.fed(request),
            method=request.method,
            url=_url(request),
            headers=headers,
            body=body,
            recipient=recipient,
        )
    except inbox.Refused as exc:
        return JSONResponse({"error": exc.reason}, status_code=exc.status)
    return JSONResponse({"id": receipt.activity_id}, status_code=202)


async def user_inbox(request: Request) -> Response:
    username = _username(request)
    if not await inbox.recipient_exists(context.fed(request), username):
        raise HTTPException(404, "Not Found")
    return await _receive(request, username)


async def shared_inbox(request: Request) -> Response:
    return await _receive(request, None)
