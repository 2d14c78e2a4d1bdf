"""Object proofs in use: signing what our people create, and checking what others sign.

Keys: a local person's Ed25519 key comes from our database; anyone else's from their
actor document, fetched from the actor's own origin (FEP-8b32's origin rule): the key
must be listed in the actor's ``assertionMethod`` and the proof's ``verificationMethod``
must sit on the same origin as the document's author.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ..federation import proofs
from ..federation.actors import assertion_key, same_origin
from ..store import users
from ..store.db import Connection
from ..store.users import User
from . import actors
from .context import Federation

ProofError = proofs.ProofError


async def private_key(fed: Federation, conn: Connection, user: User) -> Ed25519PrivateKey:
    key_id = fed.uris.ed25519_key(user.username)
    cached = fed.ed25519_keys.get(key_id)
    if cached is None:
        keys = await users.private_keys(conn, user.id)
        if keys is None:
            raise LookupError(f"no keys for {user.username}")
        cached = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(keys.ed25519_private_hex))
        fed.ed25519_keys[key_id] = cached
    return cached


async def sign(
    fed: Federation, conn: Connection, user: User, document: dict[str, Any]
) -> dict[str, Any]:
    """``document`` with an ``eddsa-jcs-2022`` assertion proof by ``user``."""
    return proofs.sign_jcs(
        document,
        private_key=await private_key(fed, conn, user),
        verification_method=fed.uris.ed25519_key(user.username),
        created=datetime.now(UTC),
    )


async def public_key(fed: Federation, method: str, author: str) -> Ed25519PublicKey | None:
    """``author``'s Ed25519 key ``method``: ours from the database, anyone else's from the
    ``assertionMethod`` of their actor document, fetched from their origin."""
    username = fed.uris.username_of(author)
    if username is not None:
        if method != fed.uris.ed25519_key(username):
            return None
        async with fed.db.connection() as conn:
            user = await users.get_by_username(conn, username)
        return (
            None
            if user is None
            else Ed25519PublicKey.from_public_bytes(bytes.fromhex(user.ed25519_public))
        )
    if fed.uris.is_local(author) or not same_origin(method, author):
        return None
    try:
        record = await actors.get(fed, author)
        raw = assertion_key(json.loads(record.document), method)
        if raw is None and fed.may_fetch(f"assertion:{method}"):
            # Perhaps a key added since we cached the actor: refetch once per cool-down.
            record = await actors.get(fed, author, refresh=True)
            raw = assertion_key(json.loads(record.document), method)
    except actors.ActorUnavailable:
        return None
    return None if raw is None else Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class Signed:
    """A document whose every proof verified; ``signer`` is the actor who signed it."""

    signer: str
    methods: tuple[str, ...]


def _methods(document: dict[str, Any]) -> list[Any]:
    raw = document.get("proof")
    return [
        p.get("verificationMethod") if isinstance(p, dict) else None
        for p in (raw if isinstance(raw, list) else [raw])
    ]


async def verify(fed: Federation, document: dict[str, Any], *, author: str) -> Signed:
    """Check the proofs on ``document`` and that ``author`` made them (each key is
    ``author``'s, on ``author``'s origin). Raises ProofError."""
    result = (await verify_many(fed, [(document, author)]))[0]
    if isinstance(result, ProofError):
        raise result
    return result


async def verify_many(
    fed: Federation, documents: list[tuple[dict[str, Any], str]], *, concurrency: int = 8
) -> list[Signed | ProofError]:
    """Verify many (document, author) pairs. Keys are resolved once per (method, author),
    a few at a time. Each result is a Signed or the error."""
    wanted = {
        (m, author)
        for document, author in documents
        for m in _methods(document)
        if isinstance(m, str)
    }
    limit = asyncio.Semaphore(concurrency)

    async def resolve(pair: tuple[str, str]) -> tuple[tuple[str, str], Ed25519PublicKey | None]:
        async with limit:
            return pair, await public_key(fed, *pair)

    keys = dict(await asyncio.gather(*(resolve(p) for p in sorted(wanted))))
    results: list[Signed | ProofError] = []
    for document, author in documents:

        def lookup(method: str, author: str = author) -> Ed25519PublicKey | None:
            return keys.get((method, author))

        try:
            result = proofs.verify(document, lookup_key=lookup)
        except ProofError as exc:
            results.append(exc)
            continue
        results.append(Signed(signer=author, methods=result.verification_methods))
    return results
