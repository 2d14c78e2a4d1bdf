"""Inbox POSTs as a raw ASGI path: the busiest endpoint skips routing and request objects.

Other servers POST activities here far more often than anything else is requested, so
these requests are answered before Starlette's middleware and router see them; every
other request goes on to the Starlette app unchanged. The work itself is one call to
``services.inbox.receive``, as for any other view.
"""

from __future__ import annotations

import logging
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from ..domain.ratelimits import retry_after
from ..services import documents, inbox, metrics
from ..services.context import Federation
from .responses import send_json

log = logging.getLogger("fediverse_skills.web")

_USER_INBOX = re.compile(r"/users/([A-Za-z0-9_]{1,30})/inbox")
_SHARED = frozenset({"/inbox", "/actor/inbox"})
MAX_BODY = inbox.MAX_BODY


class _Refusal(Exception):
    def __init__(self, status: int, reason: str, retry_after: float = 0.0) -> None:
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                raise _Refusal(400, "invalid Content-Length") from None
            if declared > MAX_BODY:
                raise _Refusal(413, "the body is larger than 1 MB")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Refusal(400, "the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise _Refusal(413, "the body is larger than 1 MB")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _handle(fed: Federation, scope: Scope, receive: Receive, recipient: str | None) -> str:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    if recipient is not None and not await inbox.recipient_exists(fed, recipient):
        raise _Refusal(404, "Not Found")
    if not documents.accepts_inbox_post(content_type):
        raise _Refusal(415, "Content-Type must be application/activity+json")
    body = await _read_body(scope, receive)
    url = signed_url(fed.uris.base_url, scope)
    try:
        receipt = await inbox.receive(
            fed, method="POST", url=url, headers=headers, body=body, recipient=recipient
        )
    except inbox.Refused as exc:
        raise _Refusal(exc.status, exc.reason, exc.retry_after) from None
    return receipt.activity_id


def signed_url(base_url: str, scope: Scope) -> str:
    """The URL a signer covered: our public origin, then the path and query as received."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"")
    url = base_url + raw_path.decode("latin-1")
    return f"{url}?{query.decode('latin-1')}" if query else url


def inbox_recipient(scope: Scope) -> tuple[bool, str | None]:
    """Whether this is an inbox POST, and for which local user (None: a shared inbox)."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return False, None
    path: str = scope["path"]
    match = _USER_INBOX.fullmatch(path)
    if match is not None:
        return True, match.group(1).lower()
    return path in _SHARED, None


class InboxFastPath:
    """ASGI wrapper that answers inbox POSTs itself and passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_inbox, recipient = inbox_recipient(scope)
        if is_inbox:
            await self._inbox(scope, receive, send, recipient)
            return
        await self.app(scope, receive, send)

    async def _inbox(
        self, scope: Scope, receive: Receive, send: Send, recipient: str | None
    ) -> None:
        fed = scope["state"]["fed"]
        try:
            activity_id = await _handle(fed, scope, receive, recipient)
        except _Refusal as exc:
            metrics.count_inbox(fed, exc.status)
            headers = {"Retry-After": retry_after(exc.retry_after)} if exc.status == 429 else None
            await send_json(send, exc.status, {"error": exc.reason}, headers)
            return
        except Exception:
            log.exception("inbox POST failed", extra={"fields": {"path": scope["path"]}})
            metrics.count_inbox(fed, 500)
            await send_json(send, 500, {"error": "internal error"})
            return
        metrics.count_inbox(fed, 202)
        await send_json(send, 202, {"id": activity_id})
