"""Deleting an account, through the real delivery worker: the followers' server receives a
``Delete`` of the actor signed with the deleted account's own key (the one it cached from
the actor document), also when the delivery is retried after the account is gone. Each
test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import Message

import pytest
from sqlalchemy import select, update

from fediverse_skills.federation.signatures import (
    PublicKey,
    public_key_from_pem,
    verify_request,
)
from fediverse_skills.services import accounts, discovery, documents, moderation, sessions
from fediverse_skills.services import follows as follow_service
from fediverse_skills.services.context import Federation
from fediverse_skills.services.deliveries import deliver_due
from fediverse_skills.store import actors, follows
from fediverse_skills.store.actors import RemoteActor
from fediverse_skills.store.db import Database
from fediverse_skills.store.tables import deliveries, outgoing_activities
from tests.sink import Sink

BOB = "http://testserver/users/bob"


async def _follower_at(db: Database, origin: str, followee: str) -> None:
    """A remote person on ``origin`` (the sink) who follows ``followee``."""
    uri = f"{origin}/users/r"
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        await actors.upsert(
            conn,
            RemoteActor(
                uri=uri,
                host="127.0.0.1",
                type="Person",
                username="r",
                name="r",
                inbox=f"{uri}/inbox",
                shared_inbox=f"{origin}/inbox",
                followers=None,
                url=None,
                key_id=None,
                public_key_pem=None,
                document="{}",
                fetched_at=now,
            ),
        )
        await follows.add(
            conn,
            follower=uri,
            followee=followee,
            activity_uri=f"{uri}/follows/1",
            state="accepted",
            now=now,
        )


async def _verify(published: dict[str, object], inbox: str, headers: Message, body: bytes) -> str:
    """Check the request's HTTP signature with the key of the actor document as published
    before the deletion (what the receiving server cached); returns the keyId."""
    key = published["publicKey"]
    assert isinstance(key, dict)

    async def lookup(key_id: str, refresh: bool) -> PublicKey | None:
        if key_id != key["id"]:
            return None
        return PublicKey(key["id"], key["owner"], public_key_from_pem(key["publicKeyPem"]))

    verified = await verify_request("POST", inbox, list(headers.items()), body, lookup=lookup)
    assert verified.owner == BOB
    return verified.key_id


async def test_the_delete_is_signed_by_the_deleted_account_and_retried(
    db: Database, fed: Federation
) -> None:
    admin = await accounts.create_user(db, "alice", admin=True)
    await accounts.create_user(db, "bob")
    published = await documents.actor(fed, "bob")
    assert published is not None
    answers = iter([503, 202])  # the first attempt fails, the retry gets through

    with Sink(respond=lambda path, headers: next(answers)) as sink:
        await _follower_at(db, sink.url, BOB)
        await moderation.delete(fed, admin, "bob", "bob")
        assert await documents.actor(fed, "bob") is not None  # the row (and key) stay

        assert await deliver_due(fed, "test") == 1
        async with db.transaction() as conn:  # make the retry due now
            await conn.execute(update(deliveries).values(next_attempt_at=datetime.now(UTC)))
        assert await deliver_due(fed, "test") == 1
        assert await deliver_due(fed, "test") == 0

    assert sink.posts == {"/inbox": 2}
    for headers, body in zip(sink.headers, sink.bodies, strict=True):
        activity = json.loads(body)
        assert activity["type"] == "Delete"
        assert activity["actor"] == BOB and activity["object"] == BOB
        key_id = await _verify(published, f"{sink.url}/inbox", headers, body)
        assert key_id == f"{BOB}#main-key"

    async with db.connection() as conn:
        (sent,) = (await conn.execute(select(outgoing_activities))).all()
        (row,) = (await conn.execute(select(deliveries))).all()
    bob = await accounts.get_user(db, "bob")
    assert bob is not None and bob.deleted_at is not None
    assert sent.user_id == bob.id
    assert (row.state, row.attempts, row.last_status) == ("done", 2, 202)


async def test_a_deleted_account_is_gone_and_a_suspended_one_still_discoverable(
    db: Database, fed: Federation
) -> None:
    admin = await accounts.create_user(db, "alice", admin=True)
    await accounts.create_user(db, "bob", password="correct horse battery")
    await accounts.create_user(db, "carol")
    await moderation.suspend(fed, admin, "carol")
    await moderation.delete(fed, admin, "bob", "bob")

    # WebFinger: the deleted account is unknown; the suspended one is still found (its
    # actor answers 410 Gone), as on Mastodon.
    with pytest.raises(discovery.NotFound):
        await discovery.webfinger_answer(fed, "acct:bob@testserver")
    carol = await discovery.webfinger_answer(fed, "acct:carol@testserver")
    assert carol["subject"] == "acct:carol@testserver"
    # NodeInfo counts live accounts only.
    usage = (await discovery.nodeinfo_document(fed))["usage"]
    assert usage["users"]["total"] == 1
    assert [u.username for u in await accounts.recent_people(db)] == ["alice"]

    # The name stays taken; signing in fails like a wrong password.
    with pytest.raises(accounts.UsernameTaken):
        await accounts.create_user(db, "bob")
    with pytest.raises(
        sessions.SignInRefused, match=r"^That username and password do not match\.$"
    ):
        await sessions.sign_in(db, "bob", "correct horse battery", address="127.0.0.1")
    with pytest.raises(moderation.ModerationError, match="nothing left to unsuspend"):
        await moderation.unsuspend(fed, admin, "bob")

    # A Follow arriving for it stores nothing.
    follow = {
        "id": "https://remote.example/users/r/follows/1",
        "type": "Follow",
        "actor": "https://remote.example/users/r",
        "object": BOB,
    }
    assert await follow_service.on_follow(fed, follow) == "ignored: not a follow of a local account"
    async with db.connection() as conn:
        assert await follows.count(conn, followee=BOB) == 0
        assert await follows.pending_for(conn, BOB) == []
