"""Authorized fetch (``FEDSKILLS_AUTHORIZED_FETCH``): every ActivityPub GET must be signed,
signers on blocked domains are refused, and objects that are not public are served only to
a signer in their audience. Actor documents, the instance actor and our context stay
readable unsigned, so that two instances in this mode can still fetch each other's keys.

Through the real app on SQLite and PostgreSQL; the signers are real actors served over
HTTP on 127.0.0.0/8, whose keys the app fetches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from fediverse_skills.config import Settings
from fediverse_skills.services import blocks, outbox
from fediverse_skills.services.accounts import create_user
from fediverse_skills.store.db import Database
from fediverse_skills.store.users import User
from tests.security.conftest import App, running_app
from tests.security.remote import AS2, RemoteActor, RemoteServer, rsa_key, signed_headers


@pytest.fixture
async def strict(
    settings: Settings, db: Database, remote: RemoteServer, mallory_server: RemoteServer
) -> AsyncIterator[App]:
    changed = settings.replace(allow_private_addresses=True, authorized_fetch=True)
    async with running_app(changed, db) as app:
        yield app


async def _get(
    app: App, path: str, signer: RemoteActor | None = None, **sign: Any
) -> httpx.Response:
    headers = {"Accept": AS2}
    if signer is not None:
        sign.setdefault("key", signer.key)
        headers.update(signed_headers(b"", key_id=signer.key_id, path=path, method="GET", **sign))
        headers.pop("Content-Type", None)
    return await app.http.get(path, headers=headers)


async def _direct_note(app: App, author: User, to: str) -> str:
    """A note from ``author`` addressed to ``to`` only (as a direct reply is); its path."""
    async with app.db.transaction() as conn:
        note = await outbox.post_note(
            app.fed,
            conn,
            author,
            content="<p>for your eyes only</p>",
            to=[to],
            cc=[],
            tags=[],
            inboxes=[],
            kind="reply",
            now=datetime.now(UTC),
        )
    uri = str(note["id"])
    assert uri.startswith(app.settings.base_url)
    return uri[len(app.settings.base_url) :]


async def test_unsigned_fetches_are_refused_but_keys_stay_readable(
    strict: App, alice: User
) -> None:
    for path in (
        "/users/alice/outbox",
        "/users/alice/followers",
        "/users/alice/following",
        "/users/alice/skills",
        "/users/alice/featured_tags",
    ):
        answer = await _get(strict, path)
        assert answer.status_code == 401, path
        assert "authorized fetch" in answer.text
    for path in ("/users/alice", "/actor", "/ns/skills/v1"):
        assert (await _get(strict, path)).status_code == 200, path
    actor = (await _get(strict, "/users/alice")).json()
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    # Browsers still get the public profile page.
    assert (await strict.http.get("/@alice")).status_code == 200


async def test_signed_fetch_is_served_and_not_shared_by_caches(
    strict: App, alice: User, bob: RemoteActor
) -> None:
    answer = await _get(strict, "/users/alice/outbox", bob)
    assert answer.status_code == 200, answer.text
    assert answer.json()["type"] == "OrderedCollection"
    assert "Signature" in answer.headers["vary"]
    assert answer.headers["cache-control"] == "private"
    # RFC 9421 signatures work too.
    assert (await _get(strict, "/users/alice/skills", bob, scheme="rfc9421")).status_code == 200


async def test_bad_signatures_and_blocked_signers_are_refused(
    strict: App, alice: User, bob: RemoteActor, mallory: RemoteActor
) -> None:
    forged = await _get(strict, "/users/alice/outbox", bob, key=rsa_key(9))
    assert forged.status_code == 401
    stale = await _get(strict, "/users/alice/outbox", bob, now=datetime(2020, 1, 1, tzinfo=UTC))
    assert stale.status_code == 401

    await blocks.block(strict.db, "127.0.0.2")
    strict.fed.blocks_ttl = 0  # see the block at once, as the admin page does
    before = mallory.server.hits()
    refused = await _get(strict, "/users/alice/outbox", mallory)
    assert refused.status_code == 403
    assert mallory.server.hits() == before  # refused before any fetch of the key


async def test_direct_objects_are_served_only_to_their_audience(
    strict: App, alice: User, bob: RemoteActor, mallory: RemoteActor
) -> None:
    path = await _direct_note(strict, alice, bob.uri)
    assert (await _get(strict, path)).status_code == 401
    seen = await _get(strict, path, bob)
    assert seen.status_code == 200, seen.text
    assert seen.json()["to"] == [bob.uri]
    assert (await _get(strict, path, mallory)).status_code == 404
    activity_path = path.replace("/notes/", "/activities/")
    assert (await _get(strict, activity_path, bob)).json()["type"] == "Create"
    assert (await _get(strict, activity_path, mallory)).status_code == 404


async def test_followers_only_objects_are_served_to_accepted_followers(
    strict: App, alice: User, bob: RemoteActor, mallory: RemoteActor
) -> None:
    from fediverse_skills.store import follows

    followers = strict.fed.uris.followers("alice")
    path = await _direct_note(strict, alice, followers)
    async with strict.db.transaction() as conn:
        await follows.add(
            conn,
            follower=bob.uri,
            followee=strict.fed.uris.actor("alice"),
            activity_uri=bob.activity_id(),
            state=follows.ACCEPTED,
            now=datetime.now(UTC),
        )
        await follows.add(
            conn,
            follower=mallory.uri,
            followee=strict.fed.uris.actor("alice"),
            activity_uri=mallory.activity_id(),
            state=follows.PENDING,
            now=datetime.now(UTC),
        )
    assert (await _get(strict, path, bob)).status_code == 200
    assert (await _get(strict, path, mallory)).status_code == 404  # not accepted yet


async def test_without_the_mode_direct_objects_are_never_served(
    settings: Settings, db: Database, remote: RemoteServer, bob: RemoteActor
) -> None:
    alice = await create_user(db, "alice")
    async with running_app(settings.replace(allow_private_addresses=True), db) as app:
        path = await _direct_note(app, alice, bob.uri)
        assert (await _get(app, path)).status_code == 404
        assert (await _get(app, path, bob)).status_code == 404
        assert (await _get(app, "/users/alice/outbox")).status_code == 200
