"""The instance actor: an Application whose key signs our GET requests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from ..federation.keys import generate_actor_keys
from ..federation.signatures import sign_cavage
from ..federation.uris import LocalUris
from ..store import instance
from ..store.db import Database
from ..store.instance import InstanceKey

KEY_NAME = "instance_actor"

GetSigner = Callable[[str, str, Mapping[str, str], bytes], Mapping[str, str]]


async def ensure_key(db: Database) -> InstanceKey:
    """The instance actor's key pair, created on first use (safe against races)."""
    async with db.connection() as conn:
        existing = await instance.get(conn, KEY_NAME)
    if existing is not None:
        return existing
    keys = await asyncio.to_thread(generate_actor_keys)
    async with db.transaction() as conn:
        return await instance.add_if_missing(
            conn, KEY_NAME, keys.rsa_private_pem, keys.rsa_public_pem, datetime.now(UTC)
        )


def get_signer(uris: LocalUris, key: InstanceKey) -> GetSigner:
    """A signer for outgoing GETs, as the instance actor (draft-cavage, as Mastodon signs)."""
    private = load_pem_private_key(key.rsa_private_pem.encode("ascii"), password=None)
    assert isinstance(private, RSAPrivateKey)

    def sign(method: str, url: str, headers: Mapping[str, str], body: bytes) -> Mapping[str, str]:
        return sign_cavage(
            method, url, headers, body, key_id=uris.instance_key, private_key=private
        )

    return sign
