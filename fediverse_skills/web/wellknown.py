"""WebFinger, host-meta and NodeInfo."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..services import discovery
from . import context

CORS = {"Access-Control-Allow-Origin": "*"}


async def webfinger(request: Request) -> Response:
    try:
        doc = await discovery.webfinger_answer(
            context.fed(request), request.query_params.get("resource")
        )
    except discovery.BadResource as exc:
        return JSONResponse({"error": str(exc)}, status_code=400, headers=CORS)
    except discovery.NotFound:
        return JSONResponse({"error": "no such account here"}, status_code=404, headers=CORS)
    return JSONResponse(doc, media_type=discovery.JRD_MEDIA_TYPE, headers=CORS)


async def host_meta(request: Request) -> Response:
    fed = context.fed(request)
    if "json" in request.headers.get("accept", ""):
        return host_meta_json(request)
    return Response(discovery.host_meta_xrd(fed), media_type="application/xrd+xml", headers=CORS)


def host_meta_json(request: Request) -> Response:
    return JSONResponse(
        discovery.host_meta_json(context.fed(request)),
        media_type=discovery.JRD_MEDIA_TYPE,
        headers=CORS,
    )


async def host_meta_json_view(request: Request) -> Response:
    return host_meta_json(request)


async def nodeinfo_links(request: Request) -> Response:
    return JSONResponse(discovery.nodeinfo_links(context.fed(request)), headers=CORS)


async def nodeinfo(request: Request) -> Response:
    doc = await discovery.nodeinfo_document(context.fed(request))
    return JSONResponse(doc, media_type=discovery.NODEINFO_MEDIA_TYPE, headers=CORS)
