"""Adversarial inbox POSTs through the real app ("Protocol and federation" table of
docs/security-cases.md).

Each test drives ``create_app(settings)`` over ASGI with its real lifespan. Remote actors
live on real HTTP servers on 127.0.0.0/8 (the app runs with ``allow_private_addresses``),
and requests are signed with the project's own signers. "Leaves no trace" is checked in the
database (no inbox_items, deliveries, objects or follows rows) and on the peers (the
servers count every request they receive).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fediverse_skills.federation.digests import make_content_digest, make_digest
from fediverse_skills.services.accounts import create_user
from fediverse_skills.services.blocks import block
from fediverse_skills.store import actors as actor_store
from fediverse_skills.store import follows as follow_store
from fediverse_skills.store import objects as object_store
from fediverse_skills.store import users as user_store
from fediverse_skills.store.db import Database
from fediverse_skills.store.users import User
from tests.security.conftest import QUIET_TABLES, App, StartServer, bind_pair
from tests.security.remote import (
    AS2,
    AS_CONTEXT,
    RemoteActor,
    RemoteServer,
    Scheme,
    body_of,
    cavage_headers,
    ed25519_key,
    json_reply,
    rfc9421_headers,
    rsa_key,
    signed_headers,
)

pytestmark = pytest.mark.usefixtures("alice")

ALICE = "http://testserver/users/alice"
INBOX = "/users/alice/inbox"
SCHEMES: list[Scheme] = ["cavage", "rfc9421"]


async def assert_no_trace(app: App, before: dict[str, int], *tables: str) -> None:
    """Nothing was queued, delivered, stored or followed (``tables`` default: all but the
    remote actor cache, which may legitimately hold the signer's authentic document)."""
    after = await app.trace()
    for table in tables or QUIET_TABLES:
        assert after[table] == before[table], f"{table}: {before[table]} -> {after[table]}"


async def stored_object(app: App, uri: str) -> object_store.RemoteObject | None:
    async with app.db.connection() as conn:
        return await object_store.get(conn, uri)


async def follow_rows(app: App) -> list[tuple[str, str, str]]:
    rows = await app.rows("SELECT follower, followee, state FROM follows ORDER BY id")
    return [(str(a), str(b), str(c)) for a, b, c in rows]


# ----------------------------------------------------------------------------- control


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_control_a_valid_signed_create_is_accepted_and_stored(
    app: App, bob: RemoteActor, remote: RemoteServer, scheme: Scheme
) -> None:
    """The baseline every refusal below differs from in exactly one respect."""
    create = bob.create(bob.note("hello"))
    answer = await app.deliver(bob, create, scheme=scheme)
    assert answer.status_code == 202, answer.text
    assert remote.paths() == ["/users/bob"]
    await app.process()
    assert await app.inbox_states() == [(create["id"], "done", None)]
    stored = await stored_object(app, create["object"]["id"])
    assert stored is not None and stored.content == "hello" and stored.actor == bob.uri


# ----------------------------------------------------------------------------- who signs


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_signer_must_be_actor_cve_2025_54888(
    app: App,
    bob: RemoteActor,
    mallory: RemoteActor,
    remote: RemoteServer,
    scheme: Scheme,
) -> None:
    """Create{actor: bob} on bob's origin, signed with mallory's key: 401, nothing runs."""
    before = await app.trace()
    forged = bob.create(bob.note("forged words"))
    answer = await app.deliver(bob, forged, key_id=mallory.key_id, key=mallory.key, scheme=scheme)
    assert answer.status_code == 401, answer.text
    await app.process()
    await assert_no_trace(app, before)
    assert remote.requests == []  # the victim's server was never even asked
    assert await stored_object(app, forged["object"]["id"]) is None
    async with app.db.connection() as conn:
        assert await actor_store.get(conn, bob.uri) is None


@pytest.mark.parametrize("variant", ["actor-is-signer", "actor-is-victim"])
async def test_key_id_host_must_match_activity_id_host_misskey_inbox_processor(
    app: App,
    bob: RemoteActor,
    mallory: RemoteActor,
    remote: RemoteServer,
    mallory_server: RemoteServer,
    variant: str,
) -> None:
    """Signer on 127.0.0.2 (mallory), activity id on 127.0.0.1 (bob's origin): dropped."""
    before = await app.trace()
    activity_id = bob.activity_id()
    actor = mallory.uri if variant == "actor-is-signer" else bob.uri
    note = {"id": bob.note_id(), "type": "Note", "attributedTo": actor, "content": "x"}
    activity: dict[str, Any] = {"@context": AS_CONTEXT, "id": activity_id, "type": "Create"}
    activity.update(actor=actor, object=note)
    answer = await app.deliver(mallory, activity)
    assert answer.status_code == (400 if variant == "actor-is-signer" else 401), answer.text
    await app.process()
    await assert_no_trace(app, before)
    assert remote.requests == []
    if variant == "actor-is-signer":
        # Refused on the ids alone, before any key lookup.
        assert mallory_server.requests == []


async def test_slash_normalisation_is_not_same_origin_cve_2023_42451(
    app: App, servers: StartServer
) -> None:
    """``mastodon.so/cial`` is not ``mastodon.social``. Here the attacker listens on port
    P and names its actor ``http://127.0.0.1:P/3/users/victim``, which becomes the victim's
    ``http://127.0.0.1:P3/users/victim`` once a slash is dropped. Neither the activity, nor
    its object, nor a Delete may reach across."""
    attacker_server, victim_server = await bind_pair(servers, lambda p: p * 10 + 3)
    victim = RemoteActor(victim_server, "/users/victim", rsa_key(0))
    victim.publish()
    lookalike = RemoteActor(attacker_server, "/3/users/victim", rsa_key(1))
    lookalike.publish()
    assert lookalike.uri.replace(f":{attacker_server.port}/", f":{attacker_server.port}", 1) == (
        victim.uri
    )
    before = await app.trace()

    # 1. An activity id on the victim's origin from the look-alike actor.
    on_victim: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": victim.activity_id(),
        "type": "Create",
        "actor": lookalike.uri,
        "object": {
            "id": victim.note_id(),
            "type": "Note",
            "attributedTo": lookalike.uri,
            "content": "forged",
        },
    }
    assert (await app.deliver(lookalike, on_victim)).status_code == 400
    # 2. An object id on the victim's origin inside the look-alike's own activity.
    smuggled = lookalike.create(
        {"id": victim.note_id(), "type": "Note", "attributedTo": lookalike.uri, "content": "x"}
    )
    assert (await app.deliver(lookalike, smuggled)).status_code == 202
    # 3. The victim as actor, signed with the look-alike's key.
    as_victim = victim.create(victim.note("forged"))
    answer = await app.deliver(victim, as_victim, key_id=lookalike.key_id, key=lookalike.key)
    assert answer.status_code == 401
    await app.process()
    assert await stored_object(app, on_victim["object"]["id"]) is None
    assert await stored_object(app, smuggled["object"]["id"]) is None
    assert await stored_object(app, as_victim["object"]["id"]) is None
    assert victim_server.requests == []
    async with app.db.connection() as conn:
        assert await actor_store.get(conn, victim.uri) is None
    after = await app.trace()
    assert after["inbox_items"] == before["inbox_items"] + 1  # only the look-alike's own

    # 4. The victim's real note survives a Delete from the look-alike.
    real = victim.create(victim.note("real"))
    assert (await app.deliver(victim, real)).status_code == 202
    delete = lookalike.activity("Delete", real["object"]["id"])
    assert (await app.deliver(lookalike, delete)).status_code == 202
    await app.process()
    stored = await stored_object(app, real["object"]["id"])
    assert stored is not None and stored.deleted_at is None and stored.content == "real"


@pytest.mark.parametrize("signer", ["claims-local-key", "own-key"])
async def test_activity_claiming_a_local_actor_is_refused_cve_2025_54888(
    app: App, mallory: RemoteActor, mallory_server: RemoteServer, signer: str
) -> None:
    """Create{actor: alice} (a local account) from outside: 401, whether the signature names
    alice's key (never fetched: it is ours) or the sender's own key."""
    before = await app.trace()
    create = {
        "@context": AS_CONTEXT,
        "id": f"{ALICE}/activities/forged",
        "type": "Create",
        "actor": ALICE,
        "object": {
            "id": f"{ALICE}/notes/forged",
            "type": "Note",
            "attributedTo": ALICE,
            "content": "forged",
        },
    }
    key_id = f"{ALICE}#main-key" if signer == "claims-local-key" else mallory.key_id
    answer = await app.deliver(mallory, create, key_id=key_id)
    assert answer.status_code == 401, answer.text
    await app.process()
    await assert_no_trace(app, before)
    if signer == "claims-local-key":
        assert mallory_server.requests == []


# ----------------------------------------------------------------------------- what is signed


@pytest.mark.parametrize(
    ("scheme", "covered"),
    [
        ("cavage", ["(request-target)", "host", "date"]),  # a GET's header set, on a POST
        ("cavage", ["(request-target)", "host", "date", "content-type"]),
        ("cavage", ["(request-target)", "host", "digest"]),  # no Date
        ("cavage", ["host", "date"]),  # neither (request-target) nor Digest
        ("rfc9421", ["@method", "@target-uri"]),  # no Content-Digest
        ("rfc9421", ["@target-uri", "content-digest"]),  # no @method
        ("rfc9421", ["@method", "content-digest"]),  # no target
    ],
)
async def test_missing_signed_headers_signature_verification_rb(
    app: App, bob: RemoteActor, remote: RemoteServer, scheme: str, covered: list[str]
) -> None:
    """A POST signature that does not cover what binds it to this request: 401, and the
    policy check comes before any key lookup."""
    before = await app.trace()
    body = body_of(bob.create())
    if scheme == "cavage":
        headers = cavage_headers(
            body, key_id=bob.key_id, key=bob.key, covered=covered, algorithm="rsa-sha256"
        )
    else:
        headers = rfc9421_headers(
            body,
            key_id=bob.key_id,
            key=bob.key,
            covered=covered,
            alg="rsa-v1_5-sha256",
            signing_algorithm="rsa-v1_5-sha256",
            created=int(datetime.now(UTC).timestamp()),
        )
    answer = await app.post(INBOX, body, headers)
    assert answer.status_code == 401, answer.text
    await assert_no_trace(app, before)
    assert remote.requests == []


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("redigest", [False, True])
async def test_digest_mismatch_body_altered_signature_verification_spec(
    app: App, bob: RemoteActor, scheme: Scheme, redigest: bool
) -> None:
    """The body is changed after signing; with the old digest, or with a fresh digest that
    the signature does not cover: 401 either way."""
    before = await app.trace()
    note = bob.note("original")
    create = bob.create(note)
    headers = signed_headers(body_of(create), key_id=bob.key_id, key=bob.key, scheme=scheme)
    note["content"] = "altered"
    altered = body_of(create)
    if redigest:
        if scheme == "cavage":
            headers["Digest"] = make_digest(altered)
        else:
            headers["Content-Digest"] = make_content_digest(altered)
    answer = await app.post(INBOX, altered, headers)
    assert answer.status_code == 401, answer.text
    await app.process()
    await assert_no_trace(app, before)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    ("signed_method", "signed_path", "sent_path"),
    [
        ("GET", INBOX, INBOX),  # a GET signature replayed as a POST
        ("POST", "/inbox", INBOX),  # another path
        ("POST", "/users/carol/inbox", INBOX),  # another user's inbox
        ("POST", INBOX + "?page=1", INBOX + "?page=2"),  # another query
        ("POST", INBOX + "?page=1", INBOX),  # the query dropped
        ("POST", INBOX, INBOX + "?x=1"),  # a query added
    ],
)
async def test_get_sig_on_post_and_other_path_or_query_signature_verification_spec(
    app: App,
    db: Database,
    bob: RemoteActor,
    scheme: Scheme,
    signed_method: str,
    signed_path: str,
    sent_path: str,
) -> None:
    await create_user(db, "carol")
    before = await app.trace()
    body = body_of(bob.create())
    signed_body = body if signed_method == "POST" else b""
    headers = signed_headers(
        signed_body,
        key_id=bob.key_id,
        key=bob.key,
        path=signed_path,
        method=signed_method,
        scheme=scheme,
    )
    headers["Content-Type"] = AS2
    answer = await app.post(sent_path, body, headers)
    assert answer.status_code == 401, answer.text
    await app.process()
    await assert_no_trace(app, before)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    ("offset", "accepted"),
    [
        (timedelta(days=-2), False),
        (timedelta(hours=2), False),
        (timedelta(minutes=-61), False),
        (timedelta(minutes=61), False),
        (timedelta(minutes=-59), True),
        (timedelta(minutes=59), True),
    ],
    ids=["-2d", "+2h", "-61m", "+61m", "-59m", "+59m"],
)
async def test_clock_skew_mastodon_window_fedify_http_test(
    app: App,
    bob: RemoteActor,
    remote: RemoteServer,
    scheme: Scheme,
    offset: timedelta,
    accepted: bool,
) -> None:
    """Date (cavage) or ``created`` (RFC 9421) must lie within one hour of now."""
    before = await app.trace()
    create = bob.create()
    answer = await app.deliver(bob, create, scheme=scheme, now=datetime.now(UTC) + offset)
    if accepted:
        assert answer.status_code == 202, answer.text
        return
    assert answer.status_code == 401, answer.text
    await assert_no_trace(app, before)
    assert remote.requests == []  # refused before any key lookup


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_alg_confusion_rsa_sha256_with_ed25519_key_httpbis_00(
    app: App, mallory_server: RemoteServer, scheme: Scheme
) -> None:
    """The actor publishes an Ed25519 key as publicKeyPem; a signature that claims an RSA
    algorithm is refused even though the bytes verify with Ed25519. Control: the same
    signature claiming hs2019 (cavage) or no alg (RFC 9421) is accepted."""
    key = ed25519_key(0)
    edward = RemoteActor(mallory_server, "/users/edward", key)
    edward.publish()
    before = await app.trace()
    now = int(datetime.now(UTC).timestamp())

    def headers_for(body: bytes, claimed: str | None) -> dict[str, str]:
        if scheme == "cavage":
            covered = ["(request-target)", "host", "date", "digest"]
            return cavage_headers(
                body,
                key_id=edward.key_id,
                key=key,
                covered=covered,
                algorithm=claimed or "hs2019",
                signing_algorithm="ed25519",
            )
        return rfc9421_headers(
            body,
            key_id=edward.key_id,
            key=key,
            covered=["@method", "@target-uri", "content-digest", "content-type"],
            alg=claimed,
            signing_algorithm="ed25519",
            created=now,
        )

    confused = body_of(edward.create())
    claimed = "rsa-sha256" if scheme == "cavage" else "rsa-v1_5-sha256"
    answer = await app.post(INBOX, confused, headers_for(confused, claimed))
    assert answer.status_code == 401, answer.text
    await assert_no_trace(app, before)

    honest = body_of(edward.create())
    answer = await app.post(INBOX, honest, headers_for(honest, None))
    assert answer.status_code == 202, answer.text


@pytest.mark.parametrize("variant", ["key-document-id", "actor-key-id", "key-owner"])
async def test_key_id_mismatch_refused_not_cached_fedify_key_test(
    app: App, remote: RemoteServer, variant: str
) -> None:
    """The key found under keyId must be that key: a key document whose ``id`` differs, an
    actor whose key has another id, or a key owned by someone else. 401, and the claimed
    key id is not cached."""
    key = rsa_key(0)
    bob = RemoteActor(remote, "/users/bob", key)
    if variant == "key-document-id":
        key_id = remote.url("/keys/bob")
        remote.routes["/keys/bob"] = json_reply(
            {
                "@context": AS_CONTEXT,
                "id": remote.url("/keys/other"),
                "owner": bob.uri,
                "publicKeyPem": bob.document()["publicKey"]["publicKeyPem"],
            }
        )
        bob.publish(publicKey={**bob.document()["publicKey"], "id": key_id})
    elif variant == "actor-key-id":
        key_id = bob.key_id
        bob.publish(publicKey={**bob.document()["publicKey"], "id": f"{bob.uri}#other-key"})
    else:
        key_id = bob.key_id
        bob.publish(publicKey={**bob.document()["publicKey"], "owner": remote.url("/users/eve")})
    before = await app.trace()
    for _ in range(2):
        answer = await app.deliver(bob, bob.create(), key_id=key_id)
        assert answer.status_code == 401, answer.text
    await assert_no_trace(app, before)
    async with app.db.connection() as conn:
        assert await actor_store.get_by_key_id(conn, key_id) is None


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_refetch_storm_bad_signatures_mastodon_stoplight(
    app: App, bob: RemoteActor, remote: RemoteServer, scheme: Scheme
) -> None:
    """A known actor, then 100 requests with bad signatures under its key id: at most one
    refetch of its document in the cool-down."""
    assert (await app.deliver(bob, bob.create(), scheme=scheme)).status_code == 202
    assert remote.hits("/users/bob") == 1
    before = await app.trace()
    for _ in range(100):
        answer = await app.deliver(bob, bob.create(), key=rsa_key(5), scheme=scheme)
        assert answer.status_code == 401
    assert remote.hits("/users/bob") <= 2
    await assert_no_trace(app, before, *QUIET_TABLES, "remote_actors")


async def test_refetch_storm_unknown_key_ids_cve_2026_34148(
    app: App, bob: RemoteActor, remote: RemoteServer
) -> None:
    """100 requests naming made-up key ids of a known actor (``bob#key-N``) must not make
    us fetch bob's document 100 times: the cool-down applies to every refetch."""
    assert (await app.deliver(bob, bob.create())).status_code == 202
    for n in range(100):
        answer = await app.deliver(bob, bob.create(), key_id=f"{bob.uri}#key-{n}")
        assert answer.status_code == 401
    assert remote.hits() <= 2, f"{remote.hits()} requests to the actor's server"


async def test_refetch_storm_failing_key_host_mastodon_stoplight(
    app: App, remote: RemoteServer
) -> None:
    """100 requests naming a key id whose actor 404s: the host is asked a bounded number of
    times, not once per request (our server must not become a fetch amplifier)."""
    ghost = RemoteActor(remote, "/users/ghost", rsa_key(2))  # not published: 404
    for _ in range(100):
        assert (await app.deliver(ghost, ghost.create())).status_code == 401
    assert remote.hits() <= 2, f"{remote.hits()} requests for one missing key"


async def test_unexpected_key_change_keeps_old_key_gotosocial_account_test(
    app: App, bob: RemoteActor
) -> None:
    """bob is known with key K1; his server starts serving K2 and a request signed with K2
    arrives. The table asks to keep K1 and flag the account, not to switch silently."""
    assert (await app.deliver(bob, bob.create())).status_code == 202
    async with app.db.connection() as conn:
        known = await actor_store.get(conn, bob.uri)
    assert known is not None
    rotated = RemoteActor(bob.server, bob.path, rsa_key(6))
    rotated.publish()
    answer = await app.deliver(rotated, rotated.create())
    async with app.db.connection() as conn:
        after = await actor_store.get(conn, bob.uri)
    assert after is not None
    assert after.public_key_pem == known.public_key_pem
    assert after.key_changed_at is not None  # flagged for an admin
    assert answer.status_code == 401


# ----------------------------------------------------------------------------- replay


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_replay_same_activity_twice_one_effect_gotosocial_announce_twice(
    app: App, bob: RemoteActor, scheme: Scheme
) -> None:
    """The same signed Follow twice (byte for byte), then the same id with another body:
    every POST is 202, there is one inbox row and one effect."""
    follow = bob.activity("Follow", ALICE)
    body = body_of(follow)
    headers = signed_headers(body, key_id=bob.key_id, key=bob.key, scheme=scheme)
    first, second = await app.post(INBOX, body, headers), await app.post(INBOX, body, headers)
    assert (first.status_code, second.status_code) == (202, 202)
    assert await app.count("inbox_items") == 1
    assert await app.process() == 1
    assert await follow_rows(app) == [(bob.uri, ALICE, "accepted")]
    assert await app.count("deliveries") == 1  # one Accept

    again = dict(follow, object=ALICE, extra="changed")
    third = await app.deliver(bob, again, scheme=scheme)
    concurrent = await asyncio.gather(*(app.post(INBOX, body, headers) for _ in range(5)))
    assert third.status_code == 202
    assert [r.status_code for r in concurrent] == [202] * 5
    assert await app.process() == 0
    assert await app.count("inbox_items") == 1
    assert await follow_rows(app) == [(bob.uri, ALICE, "accepted")]
    assert await app.count("deliveries") == 1
    (stored,) = await app.rows("SELECT body FROM inbox_items")
    assert "extra" not in json.loads(stored[0])

    # A new activity arriving five times at once (one group commit): still one row.
    create = bob.create(bob.note("once"))
    body = body_of(create)
    headers = signed_headers(body, key_id=bob.key_id, key=bob.key, scheme=scheme)
    racing = await asyncio.gather(*(app.post(INBOX, body, headers) for _ in range(5)))
    assert [r.status_code for r in racing] == [202] * 5
    assert await app.process() == 1
    assert await app.count("inbox_items") == 2
    assert await app.count("remote_objects") == 1


# ----------------------------------------------------------------------------- deletes


@pytest.mark.parametrize("embedded", [False, True])
async def test_unknown_actor_self_delete_no_fetch_inboxes_controller(
    app: App, remote: RemoteServer, embedded: bool
) -> None:
    """Delete{actor=object} from an actor we never saw: 202, nothing fetched, nothing
    stored (Mastodon answers these without looking at the signature)."""
    gone = RemoteActor(remote, "/users/gone", rsa_key(2))
    gone.publish()  # even if it were served, it must not be fetched
    before = await app.trace()
    obj: Any = {"id": gone.uri, "type": "Tombstone"} if embedded else gone.uri
    delete = gone.activity("Delete", obj)
    answer = await app.deliver(gone, delete, path="/inbox")
    assert answer.status_code == 202, answer.text
    await app.process()
    assert remote.requests == []
    await assert_no_trace(app, before, *QUIET_TABLES, "remote_actors")


async def test_known_actor_self_delete_is_verified_and_applied(
    app: App, bob: RemoteActor, mallory: RemoteActor
) -> None:
    """Control for the shortcut above: a known actor's self-Delete is verified (a forged
    one is 401) and then removes the actor's follows."""
    assert (await app.deliver(bob, bob.activity("Follow", ALICE))).status_code == 202
    await app.process()
    assert await follow_rows(app) == [(bob.uri, ALICE, "accepted")]
    forged = bob.activity("Delete", bob.uri)
    forged_answer = await app.deliver(bob, forged, key_id=mallory.key_id, key=mallory.key)
    assert forged_answer.status_code == 401
    await app.process()
    assert await follow_rows(app) == [(bob.uri, ALICE, "accepted")]
    assert (await app.deliver(bob, bob.activity("Delete", bob.uri))).status_code == 202
    await app.process()
    assert await follow_rows(app) == []
    async with app.db.connection() as conn:
        record = await actor_store.get(conn, bob.uri)
    assert record is not None and record.deleted_at is not None


# ----------------------------------------------------------------------------- blocks


@pytest.mark.parametrize("where", ["actor", "key-id", "object", "cc", "attributed-to"])
async def test_blocked_domain_refused_before_fetch_signature_verification_rb(
    app: App,
    bob: RemoteActor,
    mallory: RemoteActor,
    remote: RemoteServer,
    mallory_server: RemoteServer,
    where: str,
) -> None:
    """mallory's host (127.0.0.2) is blocked. Whether it is the actor, the key, the object,
    an addressee or an author, the POST is refused before any fetch from anyone."""
    await block(app.db, "127.0.0.2")
    app.fed.forget_blocks()
    before = await app.trace()
    sender = bob
    activity: dict[str, Any]
    if where == "actor":
        sender = mallory
        activity = mallory.create()
    elif where == "key-id":
        activity = bob.create()
    elif where == "object":
        activity = bob.activity("Like", mallory.note_id())
    elif where == "cc":
        activity = bob.create(cc=[f"{mallory.uri}/followers"])
    else:
        activity = bob.activity("Announce", mallory.note())
    kwargs: dict[str, Any] = {}
    if where == "key-id":
        kwargs = {"key_id": mallory.key_id, "key": mallory.key}
    answer = await app.deliver(sender, activity, **kwargs)
    if where in ("actor", "key-id"):
        assert answer.status_code == 403, answer.text
    else:
        assert answer.status_code in (202, 403), answer.text
    await app.process()
    assert remote.requests == []
    assert mallory_server.requests == []
    await assert_no_trace(app, before, *QUIET_TABLES, "remote_actors")


@pytest.mark.parametrize(
    "spelling", ["localhost", "LocalHost", "localhost.", "LOCALHOST.", "127.0.0.1"]
)
async def test_blocked_domain_spellings_are_refused_before_fetch(
    app: App, remote: RemoteServer, spelling: str
) -> None:
    """Blocks match host names however they are spelled (case, trailing dot); the actor's
    server on 127.0.0.1 (where localhost resolves) is never asked."""
    await block(app.db, "localhost" if spelling != "127.0.0.1" else "127.0.0.1")
    app.fed.forget_blocks()
    sender = RemoteActor(remote, "/users/eve", rsa_key(4))
    sender.uri_override = f"http://{spelling}:{remote.port}/users/eve"
    sender.publish()
    before = await app.trace()
    answer = await app.deliver(sender, sender.create())
    assert answer.status_code == 403, answer.text
    assert remote.requests == []
    await assert_no_trace(app, before, *QUIET_TABLES, "remote_actors")


# ----------------------------------------------------------------------------- bodies


async def _streamed(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 65_536):
        yield body[start : start + 65_536]


HOSTILE = {
    "2mb": 413,
    "2mb-streamed": 413,
    "depth-10k": 400,
    "dup-keys": 400,
    "dup-keys-nested": 400,
    "int-100k-digits": 400,
    "nan": 400,
    "array": 400,
    "not-utf8": 400,
    "no-id": 400,
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_huge_deep_dup_json_request_rb_cve_2020_10735(
    app: App, bob: RemoteActor, remote: RemoteServer, case: str
) -> None:
    """Hostile bodies, correctly signed: 413 or 400 quickly, never 500, no key fetch."""
    create = bob.create()
    good = body_of(create)
    bodies = {
        "2mb": good[:-1] + b', "pad": "' + b"a" * 2 * 1024 * 1024 + b'"}',
        "depth-10k": good[:-1] + b', "deep": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        "dup-keys": good[:-1] + b', "actor": "' + bob.uri.encode() + b'"}',
        "dup-keys-nested": good[:-1] + b', "tag": {"k": 1, "k": 2}}',
        "int-100k-digits": good[:-1] + b', "n": 1' + b"0" * 100_000 + b"}",
        "nan": good[:-1] + b', "n": NaN}',
        "array": b"[" + good + b"]",
        "not-utf8": good[:-1] + b', "x": "\xff\xfe"}',
        "no-id": json.dumps({k: v for k, v in create.items() if k != "id"}).encode(),
    }
    body = bodies["2mb" if case == "2mb-streamed" else case]
    headers = signed_headers(body, key_id=bob.key_id, key=bob.key)
    before = await app.trace()
    started = asyncio.get_running_loop().time()
    if case == "2mb-streamed":
        answer = await app.http.post(INBOX, content=_streamed(body), headers=headers)
    else:
        answer = await app.post(INBOX, body, headers)
    assert answer.status_code == HOSTILE[case], answer.text
    assert asyncio.get_running_loop().time() - started < 5
    assert remote.requests == []
    await assert_no_trace(app, before, *QUIET_TABLES, "remote_actors")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "text/html", "multipart/form-data; boundary=x", None]
)
async def test_wrong_content_type_on_inbox_post_is_415(
    app: App, bob: RemoteActor, remote: RemoteServer, content_type: str | None
) -> None:
    body = body_of(bob.create())
    headers = signed_headers(body, key_id=bob.key_id, key=bob.key, content_type=content_type or AS2)
    if content_type is None:
        del headers["Content-Type"]
    before = await app.trace()
    answer = await app.post(INBOX, body, headers)
    assert answer.status_code == 415, answer.text
    assert remote.requests == []
    await assert_no_trace(app, before, *QUIET_TABLES, "remote_actors")


# ----------------------------------------------------------------------------- follows


async def test_accept_never_requested_is_noop_activity_rb_follow_request_from_object(
    app: App, alice: User, bob: RemoteActor, mallory: RemoteActor
) -> None:
    """alice's follow of bob is pending. Accepts of follows nobody sent, and an Accept or
    Reject of alice's follow by someone other than bob, change nothing. Control: bob's
    Accept of it is applied."""
    follow_uri = f"{ALICE}/activities/follow-bob"
    async with app.db.transaction() as conn:
        await follow_store.add(
            conn,
            follower=ALICE,
            followee=bob.uri,
            activity_uri=follow_uri,
            state=follow_store.PENDING,
            now=datetime.now(UTC),
        )
    pending = [(ALICE, bob.uri, "pending")]
    unknown = f"{ALICE}/activities/never-sent"
    attempts = [
        (bob, bob.activity("Accept", unknown)),
        (
            bob,
            bob.activity(
                "Accept", {"id": unknown, "type": "Follow", "actor": ALICE, "object": bob.uri}
            ),
        ),
        (bob, bob.activity("Accept", f"{bob.uri}/activities/some-follow")),
        (mallory, mallory.activity("Accept", follow_uri)),
        (
            mallory,
            mallory.activity(
                "Accept", {"id": follow_uri, "type": "Follow", "actor": ALICE, "object": bob.uri}
            ),
        ),
        (mallory, mallory.activity("Reject", follow_uri)),
        (mallory, mallory.activity("Accept", f"{ALICE}/activities/other")),
    ]
    for sender, activity in attempts:
        assert (await app.deliver(sender, activity)).status_code == 202
    await app.process()
    assert await follow_rows(app) == pending
    assert all(state == "done" for _, state, _ in await app.inbox_states())
    assert await app.count("deliveries") == 0

    assert (await app.deliver(bob, bob.activity("Accept", follow_uri))).status_code == 202
    await app.process()
    assert await follow_rows(app) == [(ALICE, bob.uri, "accepted")]


@pytest.mark.parametrize("manual", [True, False])
async def test_follow_not_auto_accepted_pixelfed_cve_2025_30741(
    app: App, alice: User, bob: RemoteActor, manual: bool
) -> None:
    """alice approves followers by hand: bob's Follow stays pending, no Accept is queued,
    bob cannot accept it himself, and he is not listed as a follower. Control
    (manual=False): accepted at once."""
    async with app.db.transaction() as conn:
        await user_store.set_manual_approval(conn, alice.id, manual)
    follow = bob.activity("Follow", ALICE)
    assert (await app.deliver(bob, follow)).status_code == 202
    await app.process()
    embedded = {k: v for k, v in follow.items() if k != "@context"}
    for obj in (follow["id"], embedded):
        assert (await app.deliver(bob, bob.activity("Accept", obj))).status_code == 202
    await app.process()
    state = "pending" if manual else "accepted"
    assert await follow_rows(app) == [(bob.uri, ALICE, state)]
    assert await app.count("deliveries") == (0 if manual else 1)
    page = await app.http.get("/users/alice/followers?page=1", headers={"Accept": AS2})
    assert page.status_code == 200
    assert page.json()["orderedItems"] == ([] if manual else [bob.uri])
    whole = await app.http.get("/users/alice/followers", headers={"Accept": AS2})
    assert whole.json()["totalItems"] == (0 if manual else 1)


async def test_undo_follow_by_someone_else_is_noop_undo_spec(
    app: App, bob: RemoteActor, mallory: RemoteActor, remote: RemoteServer
) -> None:
    """bob follows alice. mallory, and carol on bob's own server, try to undo it: no-op.
    Control: bob's own Undo removes it."""
    carol = RemoteActor(remote, "/users/carol", rsa_key(3))
    carol.publish()
    follow = bob.activity("Follow", ALICE)
    assert (await app.deliver(bob, follow)).status_code == 202
    await app.process()
    followed = [(bob.uri, ALICE, "accepted")]
    assert await follow_rows(app) == followed
    embedded = {k: v for k, v in follow.items() if k != "@context"}
    for sender in (mallory, carol):
        for obj in (embedded, follow["id"]):
            assert (await app.deliver(sender, sender.activity("Undo", obj))).status_code == 202
        # Also an Undo that claims the follower is the sender but names bob's follow id.
        own = dict(embedded, actor=sender.uri)
        assert (await app.deliver(sender, sender.activity("Undo", own))).status_code == 202
    await app.process()
    assert await follow_rows(app) == followed
    assert (await app.deliver(bob, bob.activity("Undo", embedded))).status_code == 202
    await app.process()
    assert await follow_rows(app) == []


async def test_update_delete_of_others_object_is_noop_fep_fe34_delete_rb(
    app: App, bob: RemoteActor, mallory: RemoteActor, remote: RemoteServer
) -> None:
    """bob's note and bob's actor record survive Delete and Update by mallory (another
    origin) and by carol (bob's origin, not the owner). Control: bob's Delete works."""
    carol = RemoteActor(remote, "/users/carol", rsa_key(3))
    carol.publish()
    create = bob.create(bob.note("mine"))
    note_id = create["object"]["id"]
    assert (await app.deliver(bob, create)).status_code == 202
    await app.process()
    async with app.db.connection() as conn:
        bob_before = await actor_store.get(conn, bob.uri)
    assert bob_before is not None

    for sender in (mallory, carol):
        hijacked = bob.document(
            name="pwned",
            publicKey={
                "id": bob.key_id,
                "owner": bob.uri,
                "publicKeyPem": sender.document()["publicKey"]["publicKeyPem"],
            },
        )
        for activity in (
            sender.activity("Delete", note_id),
            sender.activity("Delete", {"id": note_id, "type": "Tombstone"}),
            sender.activity("Update", {**create["object"], "content": "pwned"}),
            sender.activity("Update", hijacked),
            sender.activity("Delete", bob.uri),
        ):
            answer = await app.deliver(sender, activity)
            assert answer.status_code == 202, answer.text
    await app.process()
    stored = await stored_object(app, note_id)
    assert stored is not None and stored.deleted_at is None and stored.content == "mine"
    async with app.db.connection() as conn:
        bob_after = await actor_store.get(conn, bob.uri)
    assert bob_after is not None
    assert (bob_after.name, bob_after.public_key_pem, bob_after.deleted_at) == (
        bob_before.name,
        bob_before.public_key_pem,
        None,
    )
    assert all(state == "done" for _, state, _ in await app.inbox_states())

    assert (await app.deliver(bob, bob.activity("Delete", note_id))).status_code == 202
    await app.process()
    stored = await stored_object(app, note_id)
    assert stored is not None and stored.deleted_at is not None and stored.content == ""


async def test_create_of_someone_elses_object_cve_2024_37903(
    app: App, bob: RemoteActor, mallory: RemoteActor
) -> None:
    """mallory's Creates naming bob's note (existing or new) or crediting bob: nothing
    stored, and bob's note keeps its content and audience."""
    original = bob.create(bob.note("original", cc=[f"{bob.uri}/followers"]))
    note_id = original["object"]["id"]
    assert (await app.deliver(bob, original)).status_code == 202
    await app.process()
    stored_before = await stored_object(app, note_id)
    assert stored_before is not None
    fresh_id = bob.note_id()
    credited = mallory.note("words put in bob's mouth", attributedTo=bob.uri)
    for obj in (
        {**original["object"], "content": "pwned", "to": [ALICE], "attributedTo": mallory.uri},
        {**original["object"], "content": "pwned", "to": [ALICE]},
        {"id": fresh_id, "type": "Note", "attributedTo": mallory.uri, "content": "x"},
        credited,
    ):
        assert (await app.deliver(mallory, mallory.create(obj))).status_code == 202
    await app.process()
    assert await stored_object(app, note_id) == stored_before
    assert await stored_object(app, fresh_id) is None
    assert await stored_object(app, credited["id"]) is None
    assert await app.count("remote_objects") == 1


async def test_forged_embedded_announce_is_not_trusted_activity_rb_status_from_object(
    app: App, bob: RemoteActor, mallory: RemoteActor, remote: RemoteServer
) -> None:
    """mallory boosts a Note "by bob" that she embeds herself: the embedded copy is never
    stored as bob's (at most it is refetched from bob's origin)."""
    forged = bob.note("words bob never wrote")
    announce = mallory.activity("Announce", forged, to=[f"{mallory.uri}/followers"])
    assert (await app.deliver(mallory, announce)).status_code == 202
    await app.process()
    assert await stored_object(app, forged["id"]) is None
    assert await app.count("remote_objects") == 0
    assert all(path == bob.path for path in remote.paths())  # only ever bob's own documents


@pytest.mark.parametrize("one_batch", [False, True])
async def test_delete_before_create_object_never_appears_delete_rb_tombstone(
    app: App, bob: RemoteActor, one_batch: bool
) -> None:
    note = bob.note("should never show")
    assert (await app.deliver(bob, bob.activity("Delete", note["id"]))).status_code == 202
    if not one_batch:
        await app.process()
    assert (await app.deliver(bob, bob.create(note))).status_code == 202
    await app.process()
    stored = await stored_object(app, note["id"])
    assert stored is None or (stored.deleted_at is not None and stored.content == "")
    async with app.db.connection() as conn:
        assert await object_store.by_actor(conn, bob.uri) == []
    assert all(state == "done" for _, state, _ in await app.inbox_states())


async def test_unknown_activity_types_are_stored_and_done(app: App, bob: RemoteActor) -> None:
    kinds = ["Dance", "Like", "Announce", "Move", "Flag", "EmojiReact", "X" * 200]
    for kind in kinds:
        answer = await app.deliver(bob, bob.activity(kind, f"{bob.uri}/notes/1"))
        assert answer.status_code == 202, answer.text
    assert await app.process() == len(kinds)
    states = await app.inbox_states()
    assert [(state, error) for _, state, error in states] == [("done", None)] * len(kinds)
    assert await app.count("remote_objects") == 0
    assert await app.count("deliveries") == 0
