"""The inbox baseline: the least a server must do to accept a signed activity durably.

A raw ASGI app under uvicorn (the same uvicorn, HTTP parser and, by default, the same stdlib
asyncio event loop as ``serve``):

1. read the body (at most 1 MB), check the Content-Type, parse the JSON and check id, type
   and actor (the id on the actor's origin);
2. verify the draft-cavage signature: ``(request-target)``, ``host``, ``date`` and ``digest``
   must be signed, Date within an hour, the SHA-256 Digest must match the body, and the
   RSA-SHA256 signature must verify with the key of ``keyId``, whose owner must be the
   actor. Keys are fetched once (from the actor document) and kept in memory;
3. hand the row to a group-commit writer: one thread with a plain ``sqlite3`` connection to
   a WAL database (``synchronous=NORMAL``, like the app) that inserts everything waiting
   in one transaction and wakes the requests after COMMIT;
4. answer 202.

``python -m bench.inbox_baseline --port P --db PATH``
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import email.utils
import hashlib
import hmac
import json
import queue
import re
import sqlite3
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from bench.common import HOST

MAX_BODY = 1_048_576
MAX_SKEW = timedelta(hours=1)
MAX_BATCH = 256
_PARAM = re.compile(r'([A-Za-z]+)="([^"]*)"')

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_uri TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    recipient TEXT,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    received_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    locked_until TEXT,
    locked_by TEXT,
    last_error TEXT,
    processed_at TEXT
);
CREATE INDEX IF NOT EXISTS ix_inbox_items_due ON inbox_items (state, next_attempt_at);
"""
INSERT = (
    "INSERT INTO inbox_items (activity_uri, type, actor, recipient, body, state, attempts,"
    " received_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
    " ON CONFLICT (activity_uri) DO NOTHING"
)


Row = tuple[str | None, ...]
_Job = tuple[Row, "asyncio.Future[bool]"]


class GroupWriter:
    """One thread, one sqlite3 connection; each batch is one transaction."""

    def __init__(self, path: str, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def submit(self, row: Row) -> asyncio.Future[bool]:
        future: asyncio.Future[bool] = self._loop.create_future()
        self._queue.put((row, future))
        return future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            try:
                self._conn.execute("BEGIN")
                results = [self._conn.execute(INSERT, row).rowcount == 1 for row, _ in batch]
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._loop.call_soon_threadsafe(_fail, batch, exc)
                continue
            self._loop.call_soon_threadsafe(_resolve, batch, results)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._conn.close()


def _resolve(batch: list[tuple[Any, asyncio.Future[bool]]], results: list[bool]) -> None:
    for (_, future), result in zip(batch, results, strict=True):
        if not future.done():
            future.set_result(result)


def _fail(batch: list[tuple[Any, asyncio.Future[bool]]], exc: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class State:
    db_path = ""
    writer: GroupWriter | None = None
    keys: dict[str, tuple[str, rsa.RSAPublicKey]] = {}  # key id -> (owner, key)
    key_lock: asyncio.Lock | None = None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _fetch_key(key_id: str) -> tuple[str, rsa.RSAPublicKey]:
    actor_url = key_id.split("#", 1)[0]
    if not actor_url.startswith(f"http://{HOST}:"):
        raise Refused(401, "the baseline only fetches keys from 127.0.0.1")
    accept = {"Accept": "application/activity+json"}
    request = urllib.request.Request(actor_url, headers=accept)  # noqa: S310 (checked above)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (127.0.0.1)
        doc = json.loads(response.read())
    key = doc["publicKey"]
    if key["id"] != key_id or doc["id"] != actor_url:
        raise Refused(401, "unknown key")
    public = load_pem_public_key(key["publicKeyPem"].encode("ascii"))
    if not isinstance(public, rsa.RSAPublicKey):
        raise Refused(401, "not an RSA key")
    return key["owner"], public


async def _key(key_id: str) -> tuple[str, rsa.RSAPublicKey]:
    found = State.keys.get(key_id)
    if found is None:
        assert State.key_lock is not None
        async with State.key_lock:
            found = State.keys.get(key_id)
            if found is None:
                found = State.keys[key_id] = await asyncio.to_thread(_fetch_key, key_id)
    return found


async def _verify(path: str, query: str, headers: dict[str, str], body: bytes) -> str:
    """Check the draft-cavage signature; returns the owner of the signing key."""
    raw = headers.get("signature")
    if raw is None:
        raise Refused(401, "request is not signed")
    params = dict(_PARAM.findall(raw))
    key_id, signature, covered = params.get("keyId"), params.get("signature"), params.get("headers")
    if not key_id or not signature or not covered:
        raise Refused(401, "malformed Signature header")
    if params.get("algorithm", "hs2019").lower() not in ("rsa-sha256", "hs2019"):
        raise Refused(401, "unsupported algorithm")
    names = covered.lower().split()
    if not {"(request-target)", "host", "date", "digest"} <= set(names):
        raise Refused(401, "(request-target), host, date and digest must be signed")
    date = email.utils.parsedate_to_datetime(headers.get("date", ""))
    if abs(datetime.now(UTC) - date) > MAX_SKEW:
        raise Refused(401, "Date is too far from now")
    expected = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
    if not hmac.compare_digest(headers.get("digest", ""), expected):
        raise Refused(401, "Digest does not match the body")
    target = path + (f"?{query}" if query else "")
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): post {target}")
        elif name in headers:
            lines.append(f"{name}: {headers[name]}")
        else:
            raise Refused(401, f"signed header {name} is missing")
    owner, key = await _key(key_id)
    try:
        key.verify(
            base64.b64decode(signature),
            "\n".join(lines).encode("ascii"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        raise Refused(401, "signature does not verify") from None
    return owner


async def _receive(scope: dict[str, Any], receive: Any) -> bytes:
    chunks = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, "the body is larger than 1 MB")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _inbox(scope: dict[str, Any], receive: Any) -> str:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/activity+json", "application/ld+json"):
        raise Refused(415, "Content-Type must be application/activity+json")
    body = await _receive(scope, receive)
    try:
        doc = json.loads(body)
    except ValueError:
        raise Refused(400, "invalid JSON") from None
    if not isinstance(doc, dict):
        raise Refused(400, "not a JSON object")
    activity_id, kind, actor = doc.get("id"), doc.get("type"), doc.get("actor")
    if not isinstance(activity_id, str) or not activity_id.startswith(("http://", "https://")):
        raise Refused(400, "the activity needs an http(s) id")
    if not isinstance(kind, str) or not isinstance(actor, str):
        raise Refused(400, "the activity needs a type and an actor")
    if _origin(activity_id) != _origin(actor):
        raise Refused(400, "the activity id is not on the actor's origin")
    owner = await _verify(
        scope["raw_path"].decode("latin-1"), scope["query_string"].decode("latin-1"), headers, body
    )
    if owner != actor:
        raise Refused(401, "the signature's key does not belong to the activity's actor")
    now = datetime.now(UTC).isoformat()
    recipient = scope["path"].rsplit("/", 2)[-2] if scope["path"].startswith("/users/") else None
    assert State.writer is not None
    await State.writer.submit(
        (activity_id, kind[:50], actor, recipient, body.decode("utf-8"), now, now)
    )
    return activity_id


async def _json(send: Any, status: int, payload: object) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                State.writer = GroupWriter(State.db_path, asyncio.get_running_loop())
                State.key_lock = asyncio.Lock()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if State.writer is not None:
                    State.writer.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if scope["method"] == "GET" and scope["path"] == "/healthz":
        await _json(send, 200, {"status": "ok"})
        return
    if scope["method"] != "POST" or not scope["path"].endswith("/inbox"):
        await _json(send, 404, {"error": "Not Found"})
        return
    try:
        activity_id = await _inbox(scope, receive)
    except Refused as exc:
        await _json(send, exc.status, {"error": str(exc)})
        return
    await _json(send, 202, {"id": activity_id})


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument(
        "--loop",
        default="asyncio",
        help="uvicorn event loop; asyncio (default) is what `fediverse-skills serve` runs on, "
        "since it starts uvicorn inside asyncio.run()",
    )
    args = parser.parse_args()
    State.db_path = args.db
    uvicorn.run(
        app,
        host=HOST,
        port=args.port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        loop=args.loop,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
