"""The other side of the wire for the security tests: real HTTP servers on 127.0.0.0/8
serving actor documents, remote actors with their own keys, and signed inbox POSTs.

:class:`RemoteServer` is a small HTTP/1.1 server on ``asyncio.start_server`` that answers
from a route table and records every request, so a test can assert that the app fetched
nothing (or at most so much). :class:`RemoteActor` is an account on such a server: it
publishes its actor document and signs activities with the project's own signers
(:func:`~fediverse_skills.federation.signatures.sign_cavage` and
:func:`~fediverse_skills.federation.signatures.sign_rfc9421`), or with hand-built
signatures for the malformed cases.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from fediverse_skills.federation.cavage import format_signature, signing_string
from fediverse_skills.federation.digests import make_content_digest, make_digest
from fediverse_skills.federation.multibase import encode_ed25519_multikey
from fediverse_skills.federation.proofs import sign_jcs
from fediverse_skills.federation.rfc9421 import (
    build_signature_params,
    component,
    sign_base,
    signature_base,
)
from fediverse_skills.federation.sigcore import AnyPrivateKey, format_http_date, sign_bytes
from fediverse_skills.federation.signatures import sign_cavage, sign_rfc9421

AS2 = "application/activity+json"
AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_V1 = "https://w3id.org/security/v1"
BASE = "http://testserver"  # the app's base_url in the tests (see tests/conftest.py)

Scheme = Literal["cavage", "rfc9421"]

# ----------------------------------------------------------------------------- keys


@cache
def rsa_key(n: int) -> rsa.RSAPrivateKey:
    """The n-th RSA key of the session (2048-bit key generation is slow, keys are reusable:
    each test has its own database)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def ed25519_key(n: int) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def public_pem(key: AnyPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


# ----------------------------------------------------------------------------- the server


@dataclass
class Reply:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass(frozen=True)
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Route = Reply | Callable[[Seen], Reply]


def json_reply(document: dict[str, Any], content_type: str = AS2) -> Reply:
    return Reply(headers=[("Content-Type", content_type)], body=json.dumps(document).encode())


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, headers=[("Location", location)])


class RemoteServer:
    """A real HTTP/1.1 server (keep-alive) that records every request it receives.

    ``hosts`` are the addresses it listens on, all on one port; the first one names it in
    URLs (``origin``).
    """

    def __init__(
        self,
        hosts: Sequence[str] = ("127.0.0.1",),
        port: int = 0,
        *,
        fallback: Callable[[Seen], Reply] | None = None,
        record: bool = True,
        backlog: int = 100,
    ) -> None:
        self.hosts = tuple(hosts)
        self.port = port
        self.routes: dict[str, Route] = {}
        # Answers paths that have no route (None: 404); ``record`` False keeps no requests.
        self.fallback = fallback
        self.record = record
        self.backlog = backlog
        self.requests: list[Seen] = []
        self.connections = 0
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> RemoteServer:
        try:
            for host in self.hosts:
                server = await asyncio.start_server(
                    self._serve, host, self.port, backlog=self.backlog
                )
                self._servers.append(server)
                self.port = server.sockets[0].getsockname()[1]
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._servers = []

    @property
    def host(self) -> str:
        """The host as it appears in URLs (an IPv6 literal in brackets)."""
        first = self.hosts[0]
        return f"[{first}]" if ":" in first else first

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def hits(self, path: str | None = None) -> int:
        """How many requests arrived (for ``path`` only, if given)."""
        return sum(1 for seen in self.requests if path is None or seen.path == path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, target, _version = request_line.split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    body = await _read_chunked(reader)
                else:
                    body = await reader.readexactly(int(headers.get("content-length", "0")))
                seen = Seen(method, target, headers, body)
                if self.record:
                    self.requests.append(seen)
                route = self.routes.get(seen.path) or self.fallback or _NOT_FOUND
                reply = route(seen) if callable(route) else route
                lines_out = [f"HTTP/1.1 {reply.status} Whatever"]
                lines_out += [f"{name}: {value}" for name, value in reply.headers]
                lines_out.append(f"Content-Length: {len(reply.body)}")
                writer.write(("\r\n".join(lines_out) + "\r\n\r\n").encode("latin-1") + reply.body)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


_NOT_FOUND = Reply(404, body=b"not found")


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return b"".join(parts)
        parts.append(chunk[:-2])


# ----------------------------------------------------------------------------- actors

_ids = itertools.count(1)


def new_id() -> int:
    return next(_ids)


@dataclass
class RemoteActor:
    """An account on a :class:`RemoteServer` (or, with ``uri``, an id the server fakes)."""

    server: RemoteServer
    path: str
    key: AnyPrivateKey
    uri_override: str | None = None
    # An Ed25519 key for FEP-8b32 object proofs, published in ``assertionMethod`` if set.
    proof_key: ed25519.Ed25519PrivateKey | None = None

    @property
    def uri(self) -> str:
        return self.uri_override or self.server.url(self.path)

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def origin(self) -> str:
        return self.server.origin

    def document(self, **overrides: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": [AS_CONTEXT, SECURITY_V1],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.path.rstrip("/").rsplit("/", 1)[-1],
            "inbox": f"{self.uri}/inbox",
            "followers": f"{self.uri}/followers",
            "publicKey": {
                "id": self.key_id,
                "owner": self.uri,
                "publicKeyPem": public_pem(self.key),
            },
        }
        if self.proof_key is not None:
            raw = self.proof_key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            doc["assertionMethod"] = [
                {
                    "id": self.proof_key_id,
                    "type": "Multikey",
                    "controller": self.uri,
                    "publicKeyMultibase": encode_ed25519_multikey(raw),
                }
            ]
        doc.update(overrides)
        return doc

    @property
    def proof_key_id(self) -> str:
        return f"{self.uri}#ed25519-key"

    def sign_object(
        self,
        document: dict[str, Any],
        *,
        key: ed25519.Ed25519PrivateKey | None = None,
        method: str | None = None,
    ) -> dict[str, Any]:
        """``document`` with an eddsa-jcs-2022 proof: by default with this actor's
        ``proof_key`` and key id; ``key``/``method`` forge one with another key or id."""
        signing_key = key or self.proof_key
        assert signing_key is not None, "the actor has no proof key"
        return sign_jcs(
            document,
            private_key=signing_key,
            verification_method=method or self.proof_key_id,
            created=datetime.now(UTC),
        )

    def publish(self, content_type: str = AS2, **overrides: Any) -> dict[str, Any]:
        """Serve the actor document at ``path``; returns it."""
        doc = self.document(**overrides)
        self.server.routes[self.path] = json_reply(doc, content_type)
        return doc

    def activity_id(self) -> str:
        return f"{self.uri}/activities/{new_id()}"

    def note_id(self) -> str:
        return f"{self.uri}/notes/{new_id()}"

    def activity(self, kind: str, obj: Any, **extra: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": AS_CONTEXT,
            "id": self.activity_id(),
            "type": kind,
            "actor": self.uri,
            "object": obj,
        }
        doc.update(extra)
        return doc

    def note(self, content: str = "hello", **extra: Any) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.note_id(),
            "type": "Note",
            "attributedTo": self.uri,
            "content": content,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        }
        doc.update(extra)
        return doc

    def create(self, note: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
        return self.activity("Create", note if note is not None else self.note(), **extra)


# ----------------------------------------------------------------------------- signing


def body_of(activity: dict[str, Any] | bytes) -> bytes:
    return activity if isinstance(activity, bytes) else json.dumps(activity).encode()


def signed_headers(
    body: bytes,
    *,
    key_id: str,
    key: AnyPrivateKey,
    path: str = "/users/alice/inbox",
    method: str = "POST",
    scheme: Scheme = "cavage",
    now: datetime | None = None,
    content_type: str = AS2,
) -> dict[str, str]:
    """Headers for a request to the app signed by the project's own signer, as a peer would
    send them (the URL is the app's base URL plus ``path``)."""
    headers = {"Content-Type": content_type}
    sign = sign_rfc9421 if scheme == "rfc9421" else sign_cavage
    headers.update(
        sign(method, BASE + path, headers, body, key_id=key_id, private_key=key, now=now)
    )
    return headers


def cavage_headers(
    body: bytes,
    *,
    key_id: str,
    key: AnyPrivateKey,
    covered: Sequence[str],
    algorithm: str,
    path: str = "/users/alice/inbox",
    method: str = "POST",
    now: datetime | None = None,
    signing_algorithm: str | None = None,
) -> dict[str, str]:
    """A hand-built draft-cavage signature: any ``covered`` list and any claimed
    ``algorithm``; ``signing_algorithm`` is what really signs (default: what fits the key)."""
    headers = {
        "Content-Type": AS2,
        "Host": "testserver",
        "Date": format_http_date(now or datetime.now(UTC)),
        "Digest": make_digest(body),
    }
    text = signing_string(method, BASE + path, headers, covered)
    real = signing_algorithm or (
        "rsa-v1_5-sha256" if isinstance(key, rsa.RSAPrivateKey) else "ed25519"
    )
    signature = sign_bytes(real, key, text.encode("ascii"))
    headers["Signature"] = format_signature(
        key_id=key_id, algorithm=algorithm, headers=list(covered), signature=signature
    )
    return headers


def rfc9421_headers(
    body: bytes,
    *,
    key_id: str,
    key: AnyPrivateKey,
    covered: Sequence[str],
    alg: str | None,
    signing_algorithm: str,
    path: str = "/users/alice/inbox",
    method: str = "POST",
    created: int,
) -> dict[str, str]:
    """A hand-built RFC 9421 signature with any covered components and any claimed ``alg``."""
    headers = {"Content-Type": AS2, "Content-Digest": make_content_digest(body)}
    items = [component(name) for name in covered]
    params: dict[str, Any] = {"created": created, "keyid": key_id}
    if alg is not None:
        params["alg"] = alg
    text = build_signature_params(items, **params)
    base = signature_base(method, BASE + path, headers, items, text)
    signature = base64.b64encode(sign_base(signing_algorithm, key, base)).decode("ascii")
    headers["Signature-Input"] = f"sig1={text}"
    headers["Signature"] = f"sig1=:{signature}:"
    return headers
