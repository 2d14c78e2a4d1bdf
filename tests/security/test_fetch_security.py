"""The fetch side of the "Protocol and federation" table, at the app's boundary.

tests/federation/test_client.py covers the guarded client on its own. Here the same rules
are checked where they matter: an inbox POST makes the app look up the signer's key, and
that fetch hits a hostile peer (a real server on 127.0.0.0/8). Whatever the peer answers,
the POST must be refused (401) and nothing may be cached: no remote_actors row, no inbox
row. The NodeInfo case goes through the real client, as the app has no NodeInfo consumer.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from fediverse_skills.config import Settings
from fediverse_skills.federation.client import FetchError, create_client
from fediverse_skills.services.blocks import block
from fediverse_skills.store import actors as actor_store
from fediverse_skills.store import objects as object_store
from fediverse_skills.store.db import Database
from tests.security.conftest import QUIET_TABLES, App, StartServer, running_app
from tests.security.remote import (
    AS2,
    AS_CONTEXT,
    RemoteActor,
    RemoteServer,
    Reply,
    json_reply,
    redirect,
    rsa_key,
)

pytestmark = pytest.mark.usefixtures("alice")


async def assert_refused_and_nothing_cached(app: App, actor: RemoteActor, *uris: str) -> None:
    """A signed Create from ``actor`` is refused with 401, and neither the actor (nor any of
    ``uris``) is cached, nor anything queued."""
    before = await app.trace()
    answer = await app.deliver(actor, actor.create())
    assert answer.status_code == 401, answer.text
    await app.process()
    after = await app.trace()
    for table in (*QUIET_TABLES, "remote_actors"):
        assert after[table] == before[table], table
    async with app.db.connection() as conn:
        for uri in (actor.uri, *uris):
            assert await actor_store.get(conn, uri) is None, uri


# ----------------------------------------------------------------------------- id and type


@pytest.mark.parametrize(
    "served_id",
    [
        "http://127.0.0.2:{port}/users/bob",  # another host
        "{url}/",  # a trailing slash
        "{url}#main",  # a fragment
        "{url}?x=1",  # a query
        "http://127.0.0.1:1/users/bob",  # another port
        "https://127.0.0.1:{port}/users/bob",  # another scheme
        None,  # no id at all
    ],
)
async def test_fetch_id_must_match_final_url_cve_2024_23832(
    app: App, remote: RemoteServer, served_id: str | None
) -> None:
    """GHSA-3fjr-858r-92rw: the document at A is a complete, self-consistent actor B
    (inbox, key and owner all B's). Discarded, and neither A nor B is stored."""
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    claimed = served_id.format(port=remote.port, url=bob.uri) if served_id else bob.uri
    doc = RemoteActor(remote, bob.path, bob.key, uri_override=claimed).document()
    if served_id is None:
        del doc["id"]
    remote.routes[bob.path] = json_reply(doc)
    await assert_refused_and_nothing_cached(app, bob, claimed)
    assert remote.hits(bob.path) >= 1  # it was asked, and its answer refused


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "text/html; charset=utf-8",
        "application/ld+json",  # without the ActivityStreams profile
        'application/ld+json; profile="https://example.com/other"',
        "application/activity+json-evil",
        None,
    ],
)
async def test_fetch_wrong_content_type_ghsa_jhrq_qvrm_qr36_ghsa_qqrm_9grj_6v32(
    app: App, remote: RemoteServer, content_type: str | None
) -> None:
    """An actor document (with a valid key) served as something else than AS2 JSON, e.g. an
    uploaded file: not used, not stored."""
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    headers = [] if content_type is None else [("Content-Type", content_type)]
    remote.routes[bob.path] = Reply(headers=headers, body=json.dumps(bob.document()).encode())
    await assert_refused_and_nothing_cached(app, bob)
    assert remote.hits(bob.path) >= 1


@pytest.mark.parametrize("to_host", ["127.0.0.1", "127.0.0.2"])
async def test_fetch_redirect_then_id_must_equal_final_url_fep_fe34(
    app: App, remote: RemoteServer, servers: StartServer, to_host: str
) -> None:
    """A -> 302 -> B, and B answers with ``id: A`` (B speaking for A): refused."""
    other = remote if to_host == "127.0.0.1" else await servers(to_host)
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    remote.routes[bob.path] = redirect(other.url("/landing/bob"))
    other.routes["/landing/bob"] = json_reply(bob.document())
    await assert_refused_and_nothing_cached(app, bob, other.url("/landing/bob"))
    assert other.hits("/landing/bob") >= 1  # the redirect was followed, its answer refused


async def test_blocked_domain_not_reached_through_redirect_signature_verification_rb(
    app: App, remote: RemoteServer, mallory_server: RemoteServer
) -> None:
    """A key lookup on an allowed host redirects to a blocked one (127.0.0.2): the blocked
    host is never contacted, and nothing from it is cached."""
    await block(app.db, "127.0.0.2")
    app.fed.forget_blocks()
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    moved = RemoteActor(mallory_server, "/users/bob", rsa_key(0))
    remote.routes[bob.path] = redirect(moved.uri)
    moved.publish()
    await assert_refused_and_nothing_cached(app, bob, moved.uri)
    assert mallory_server.requests == []


# ----------------------------------------------------------------------------- addresses


PRIVATE = [
    "127.0.0.1",
    "127.1.2.3",
    "[::1]",
    "[::ffff:7f00:1]",
    "[::ffff:127.0.0.1]",
    "0.0.0.0",  # noqa: S104 (an address we must refuse, not one we bind)
    "[::]",
    "100.64.0.1",
    "100.127.255.254",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::1]",
    "[2001::1]",
    "localhost",
    "127.1",  # shorthand for 127.0.0.1
    "2130706433",  # 127.0.0.1 as one number
]


@pytest.mark.parametrize("host", PRIVATE)
async def test_fetch_private_ip_list_refused_fedify_url_test_cve_2026_47389(
    settings: Settings, db: Database, servers: StartServer, host: str
) -> None:
    """With allow_private_addresses off (the default), a key id on a loopback, CGNAT,
    unspecified or IPv4-in-IPv6 address is never dialled: 401 at once, no connection to
    the server listening on 127.0.0.1, 127.1.2.3 and ::1, nothing cached."""
    # Loopback only; 0.0.0.0, :: and ::ffff:127.0.0.1 reach these sockets too when dialled.
    listener = await servers("127.0.0.1", "::1", "127.1.2.3")
    bob = RemoteActor(listener, "/users/bob", rsa_key(0))
    bob.uri_override = f"http://{host}:{listener.port}/users/bob"
    listener.routes[bob.path] = json_reply(bob.document())
    assert not settings.allow_private_addresses
    async with running_app(settings, db) as app:
        started = time.monotonic()
        await assert_refused_and_nothing_cached(app, bob)
        assert time.monotonic() - started < 4  # refused, not timed out (connect timeout 5s)
    assert listener.connections == 0


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:{port}/landing/bob",
        "http://[::]:{port}/landing/bob",
        "http://[::ffff:127.0.0.1]:{port}/landing/bob",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
        "http://127.1:{port}/landing/bob",
        "http://user:secret@127.0.0.1:{port}/landing/bob",
        "file:///etc/passwd",
        "data:application/activity+json,%7B%7D",
        "gopher://127.0.0.1:{port}/landing/bob",
    ],
)
async def test_fetch_redirect_to_private_refused_cve_2026_77632(
    app: App, remote: RemoteServer, location: str
) -> None:
    """The first hop is allowed (a peer on loopback, allow_private_addresses on) and
    redirects to a destination that stays forbidden even then: the hop is never made."""
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    remote.routes[bob.path] = redirect(location.format(port=remote.port))
    landing = bob.document(id=remote.url("/landing/bob"))
    remote.routes["/landing/bob"] = json_reply(landing)
    await assert_refused_and_nothing_cached(app, bob, landing["id"])
    assert set(remote.paths()) == {bob.path}
    assert remote.hits("/landing/bob") == 0


@pytest.mark.parametrize("shape", ["self", "ping-pong", "chain"])
async def test_fetch_redirect_loop_stops_cve_2025_23221(
    app: App, remote: RemoteServer, servers: StartServer, shape: str
) -> None:
    """Redirect loops and endless chains end within 5 hops per fetch."""
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    other = await servers("127.0.0.2")
    if shape == "self":
        remote.routes[bob.path] = redirect(bob.path)
    elif shape == "ping-pong":
        remote.routes[bob.path] = redirect(other.url("/pong"))
        other.routes["/pong"] = redirect(bob.uri)
    else:
        remote.routes[bob.path] = redirect("/r/1")
        for n in range(1, 50):
            remote.routes[f"/r/{n}"] = redirect(f"/r/{n + 1}")
    started = time.monotonic()
    await assert_refused_and_nothing_cached(app, bob)
    assert time.monotonic() - started < 4
    fetches = remote.hits(bob.path)
    assert 1 <= fetches <= 2  # the lookup, and at most one refresh
    hops = [int(p.rsplit("/", 1)[1]) for p in remote.paths() if p.startswith("/r/")]
    assert max(hops, default=0) <= 5
    assert len(remote.requests) + len(other.requests) <= 6 * fetches


async def test_nodeinfo_link_to_data_or_private_refused_cve_2026_62857(
    remote: RemoteServer,
) -> None:
    """A peer's /.well-known/nodeinfo links to ``data:`` or to an internal address. Following
    the link is refused: by a client configured like production for every one of them, and
    by a client that allows loopback/private peers for all but the plainly private ones.
    Only the well-known document itself is ever requested."""
    port = remote.port
    hrefs = {
        "data:application/json,%7B%22version%22%3A%222.1%22%7D": True,
        "http://10.0.0.1/nodeinfo/2.1": False,  # private: lifted by allow_private only
        "http://169.254.169.254/latest/meta-data/": True,
        f"http://0.0.0.0:{port}/nodeinfo/2.1": True,
        f"http://[::ffff:127.0.0.1]:{port}/nodeinfo/2.1": True,
        "file:///etc/passwd": True,
        "javascript:alert(1)": True,
    }
    schema = "http://nodeinfo.diaspora.software/ns/schema/2.1"
    links = {"links": [{"rel": schema, "href": href} for href in hrefs]}
    remote.routes["/.well-known/nodeinfo"] = json_reply(links, "application/json")
    remote.routes["/nodeinfo/2.1"] = json_reply({"version": "2.1"}, "application/json")
    lenient = create_client("https://here.example", allow_private=True)
    strict = create_client("https://here.example")
    try:
        found = await lenient.fetch_json(remote.url("/.well-known/nodeinfo"))
        listed = [link["href"] for link in found.document["links"]]
        assert listed == list(hrefs)
        for href in listed:
            with pytest.raises(FetchError):
                await strict.fetch_json(href)
            if hrefs[href]:
                with pytest.raises(FetchError):
                    await lenient.fetch_json(href)
    finally:
        await lenient.aclose()
        await strict.aclose()
    assert remote.paths() == ["/.well-known/nodeinfo"]


# ----------------------------------------------------------------------------- contexts


async def test_remote_context_no_network_io_pyld_default_loader_takahe_ld(
    app: App, remote: RemoteServer, servers: StartServer
) -> None:
    """``@context`` naming http://127.0.0.x/... in the actor document, the activity and its
    object: receiving and processing them fetches no context (only the actor)."""
    contexts = await servers("127.0.0.4")
    ctx = contexts.url("/context.jsonld")
    contexts.routes["/context.jsonld"] = json_reply({"@context": {}}, "application/ld+json")
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    remote_contexts: dict[str, Any] = {"@context": [AS_CONTEXT, ctx, {"@vocab": ctx}]}
    bob.publish(**remote_contexts)
    local_ctx = remote.url("/context.jsonld")
    note = bob.note("with contexts", **{"@context": [ctx, local_ctx]})
    create = bob.create(note, **{"@context": [AS_CONTEXT, ctx, local_ctx]})
    answer = await app.deliver(bob, create)
    assert answer.status_code == 202, answer.text
    await app.process()
    async with app.db.connection() as conn:
        stored = await object_store.get(conn, note["id"])
    assert stored is not None and stored.content == "with contexts"
    assert contexts.requests == []
    assert remote.paths() == [bob.path]


# ----------------------------------------------------------------------------- documents

HOSTILE_DOCUMENTS: dict[str, Any] = {
    "2mb": lambda doc: json.dumps({**doc, "pad": "a" * 2 * 1024 * 1024}).encode(),
    "depth-10k": lambda doc: (
        json.dumps(doc)[:-1].encode() + b', "deep": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    ),
    "dup-keys": lambda doc: json.dumps(doc)[:-1].encode() + b', "type": "Person"}',
    "int-100k-digits": lambda doc: (
        json.dumps(doc)[:-1].encode() + b', "n": 1' + b"0" * 100_000 + b"}"
    ),
    "not-an-actor": lambda doc: json.dumps({**doc, "type": "Note"}).encode(),
    "inbox-elsewhere": lambda doc: json.dumps({**doc, "inbox": "http://127.0.0.2/i"}).encode(),
}


@pytest.mark.parametrize("case", list(HOSTILE_DOCUMENTS))
async def test_fetch_hostile_actor_document_request_rb_cve_2020_10735(
    app: App, remote: RemoteServer, case: str
) -> None:
    """The key lookup meets a huge, deep, duplicated or otherwise unusable actor
    document: 401 promptly, never a 500, nothing cached."""
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    body = HOSTILE_DOCUMENTS[case](bob.document())
    remote.routes[bob.path] = Reply(headers=[("Content-Type", AS2)], body=body)
    started = time.monotonic()
    await assert_refused_and_nothing_cached(app, bob)
    assert time.monotonic() - started < 5
