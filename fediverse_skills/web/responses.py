"""Response helpers shared by the federation views."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Send

ACTIVITY_JSON = "application/activity+json"


def activity_json(doc: dict[str, Any] | str, *, status: int = 200, vary: bool = True) -> Response:
    """An AS2 response; ``doc`` may be JSON text already (signed documents spliced in)."""
    headers = {"Vary": "Accept"} if vary else {}
    text = (
        doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    )
    body = text.encode("utf-8")
    return Response(body, status_code=status, media_type=ACTIVITY_JSON, headers=headers)


async def send_json(
    send: Send, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    """Answer with JSON at the ASGI level (for the paths answered before the router)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def page_number(request: Request) -> int | None:
    """``?page=N`` as a positive int, None when absent; anything else raises ValueError."""
    raw = request.query_params.get("page")
    if raw is None:
        return None
    value = int(raw)
    if value < 1 or value > 100_000:
        raise ValueError("page out of range")
    return value
