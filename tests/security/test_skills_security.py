"""The adversarial cases specific to skills profiles ("Cases specific to this product" in
docs/security-cases.md), each through the real app at the HTTP boundary: signed POSTs into
alice's inbox, then the inbox worker, then assertions on database rows and on what the API
and the ActivityPub documents answer. Remote profiles are served by real peer servers
(tests/security/remote.py) whose actors publish Ed25519 keys for FEP-8b32 proofs.

Two rows of that table are not covered here: "Sybil flood" and "Reciprocal trading" are
about trust scores, which come with a later issue; their tests come with it.

Each test runs on SQLite and on PostgreSQL (the ``db`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from fediverse_skills.federation import markup, vocabulary
from fediverse_skills.services import tokens
from fediverse_skills.services.accounts import create_user
from fediverse_skills.store.db import Database
from fediverse_skills.store.users import User
from tests.security.conftest import App, StartServer
from tests.security.remote import (
    AS2,
    AS_CONTEXT,
    RemoteActor,
    RemoteServer,
    Seen,
    ed25519_key,
    json_reply,
    new_id,
    rsa_key,
)

BASE = "http://testserver"
ALICE = f"{BASE}/users/alice"
ALICE_SKILLS = f"{ALICE}/skills"
DAVE = f"{BASE}/users/dave"
DAVE_SKILLS = f"{DAVE}/skills"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACCEPT_AS2 = {"Accept": AS2}

Auth = dict[str, str]


# ----------------------------------------------------------------------------- people


@pytest.fixture
async def auth(alice: User, db: Database) -> Auth:
    """alice's bearer header for the JSON API."""
    issued = await tokens.create_token(db, "alice")
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
async def dave(db: Database) -> Auth:
    """Another local account (dave), with his bearer header."""
    await create_user(db, "dave")
    issued = await tokens.create_token(db, "dave")
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def bob(remote: RemoteServer) -> RemoteActor:
    """conftest's bob, who also publishes an Ed25519 key and signs his objects."""
    actor = RemoteActor(remote, "/users/bob", rsa_key(0), proof_key=ed25519_key(10))
    actor.publish()
    return actor


@pytest.fixture
def neighbour(remote: RemoteServer) -> RemoteActor:
    """Another account on bob's server: the same origin, another person."""
    actor = RemoteActor(remote, "/users/nick", rsa_key(2), proof_key=ed25519_key(11))
    actor.publish()
    return actor


@pytest.fixture
def ann(remote: RemoteServer) -> RemoteActor:
    """A person on host A whose skills profile host A serves (the "alice" of the rows about
    remote profiles)."""
    return RemoteActor(remote, "/users/ann", rsa_key(4), proof_key=ed25519_key(12))


@pytest.fixture
async def carol_server(servers: StartServer) -> RemoteServer:
    return await servers("127.0.0.3")


@pytest.fixture
def carol(carol_server: RemoteServer) -> RemoteActor:
    """An endorser on host C, with her own Ed25519 key."""
    actor = RemoteActor(carol_server, "/users/carol", rsa_key(3), proof_key=ed25519_key(13))
    actor.publish()
    return actor


FORGER_KEY = 14  # ed25519_key(FORGER_KEY): a key that is nobody's published key


# ----------------------------------------------------------------------------- documents


def endorsement(
    by: RemoteActor,
    *,
    owner: str = ALICE,
    collection: str = ALICE_SKILLS,
    key: str = "rust",
    name: str = "Rust",
    comment: str = "",
    signed: bool = True,
) -> dict[str, Any]:
    """``by``'s Endorsement of ``owner``'s skill ``key`` (with ``by``'s proof if signed)."""
    doc = vocabulary.endorsement(
        base_url=by.origin,
        id=f"{by.uri}/endorsements/{new_id()}",
        endorser=by.uri,
        owner=owner,
        skill=vocabulary.skill_uri(collection, key),
        key=key,
        name=name,
        comment_html=markup.paragraph(markup.text(comment)) if comment else "",
        published=datetime.now(UTC),
        followers=f"{by.uri}/followers",
    )
    return by.sign_object(doc) if signed else doc


def offer(
    by: RemoteActor,
    *,
    name: str = "Rust",
    target: str = ALICE,
    about: str | None = None,
    to: list[str] | None = None,
) -> dict[str, Any]:
    """``by``'s signed Offer of the skill ``name`` for ``target`` (addressed ``to``)."""
    draft = {"type": "Skill", "name": name, "skillKey": name.casefold(), "about": about or target}
    doc = vocabulary.offer(
        base_url=by.origin,
        id=by.activity_id(),
        actor=by.uri,
        owner=target,
        draft=draft,
        comment_html="<p>I saw your work</p>",
        published=datetime.now(UTC),
    )
    if to is not None:
        doc["to"] = to
    return by.sign_object(doc)


def mention_note(by: RemoteActor, *tags: str) -> dict[str, Any]:
    """A Mastodon post "@alice #SuggestSkill #Tag ..."."""
    return by.note(
        "@alice " + " ".join(f"#{t}" for t in ("SuggestSkill", *tags)),
        tag=[
            {"type": "Mention", "href": ALICE, "name": "@alice@testserver"},
            *({"type": "Hashtag", "name": f"#{t}"} for t in ("SuggestSkill", *tags)),
        ],
        to=[ALICE],
    )


# ----------------------------------------------------------------------------- probes


async def declare(app: App, auth: Auth, *names: str) -> None:
    for name in names:
        made = await app.http.post("/api/v1/skills", json={"skill": name}, headers=auth)
        assert made.status_code == 201, made.text


async def skill_note(app: App, key: str) -> str:
    """The URI of alice's public Note announcing her skill ``key``."""
    [(public_id,)] = await app.rows(
        "SELECT public_id FROM notes WHERE kind = 'skill' AND skill_key = :key", key=key
    )
    return f"{ALICE}/notes/{public_id}"


async def endorsement_rows(app: App) -> list[tuple[str, str, str]]:
    rows = await app.rows("SELECT endorser, subject, skill_key FROM endorsements ORDER BY id")
    return [(str(a), str(b), str(c)) for a, b, c in rows]


async def suggestion_rows(app: App) -> list[tuple[str, str, str, str]]:
    rows = await app.rows("SELECT author, subject, key, state FROM suggestions ORDER BY id")
    return [(str(a), str(b), str(c), str(d)) for a, b, c, d in rows]


async def reply_notes(app: App) -> int:
    return int((await app.rows("SELECT count(*) FROM notes WHERE kind = 'reply'"))[0][0])


async def get_json(app: App, path: str, headers: Auth | None = None) -> dict[str, Any]:
    answer = await app.http.get(path, headers=headers or ACCEPT_AS2)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def profile(app: App, auth: Auth, handle: str = "alice@testserver") -> dict[str, Any]:
    return await get_json(app, f"/api/v1/profiles/{handle}", auth)


def skill_in(shown: dict[str, Any], key: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [s for s in shown["skills"] if s["key"] == key]
    assert len(found) == 1, shown
    return found[0]


async def deliver_all(app: App, sender: RemoteActor, *activities: dict[str, Any]) -> None:
    for activity in activities:
        answer = await app.deliver(sender, activity)
        assert answer.status_code == 202, answer.text
    await app.process()


# ----------------------------------------------------------------------------- remote profiles


def remote_skill(
    owner: RemoteActor, key: str, name: str, endorsements: list[Any]
) -> dict[str, Any]:
    return {
        "id": vocabulary.skill_uri(f"{owner.uri}/skills", key),
        "type": "Skill",
        "name": name,
        "skillKey": key,
        "about": owner.uri,
        "endorsements": endorsements,
    }


def serve_profile(owner: RemoteActor, items: list[dict[str, Any]]) -> str:
    """Serve ``owner``'s actor (with ``skills``), their skills collection and its page, and
    WebFinger on their server; returns their handle."""
    collection = f"{owner.uri}/skills"
    owner.publish(skills=collection)
    context = vocabulary.document_context(owner.origin)
    top = {
        "@context": context,
        "id": collection,
        "type": "OrderedCollection",
        "totalItems": len(items),
        "first": f"{collection}?page=1",
    }
    page = {
        "@context": context,
        "id": f"{collection}?page=1",
        "type": "OrderedCollectionPage",
        "partOf": collection,
        "orderedItems": items,
    }

    def skills(seen: Seen) -> Any:
        return json_reply(page if seen.target.endswith("?page=1") else top)

    owner.server.routes[f"{owner.path}/skills"] = skills
    username = owner.path.rsplit("/", 1)[-1]
    host = f"{owner.server.host}:{owner.server.port}"
    jrd = {
        "subject": f"acct:{username}@{host}",
        "links": [{"rel": "self", "type": AS2, "href": owner.uri}],
    }
    owner.server.routes["/.well-known/webfinger"] = json_reply(jrd, "application/jrd+json")
    return f"{username}@{host}"


# ============================================================================= the rows


@pytest.mark.parametrize(
    "forgery",
    [
        "none (control)",
        "signed with another key",
        "altered after signing",
        "host's key",
        "no proof",
    ],
)
async def test_forged_endorsement_inside_a_remote_profile(
    app: App,
    auth: Auth,
    ann: RemoteActor,
    carol: RemoteActor,
    carol_server: RemoteServer,
    forgery: str,
) -> None:
    """Host A serves ann's skills with an endorsement "by carol@C". Unless carol's own key
    (from C) verifies its proof, we never show it as carol's: a bad proof is ``failed``
    with ``by: null``, a missing one only host A's word (``server``, signer = A)."""
    unsigned = endorsement(
        carol, owner=ann.uri, collection=f"{ann.uri}/skills", comment="Solid", signed=False
    )
    if forgery == "none (control)":
        shown_doc = carol.sign_object(unsigned)
    elif forgery == "signed with another key":
        # Claims carol's key id, signed with a key that is not hers.
        shown_doc = carol.sign_object(unsigned, key=ed25519_key(FORGER_KEY))
    elif forgery == "altered after signing":
        shown_doc = carol.sign_object(unsigned)
        shown_doc["content"] = "<p>The best Rust programmer I know</p>"
    elif forgery == "host's key":
        # A valid proof, but by ann's key on host A, not by carol.
        shown_doc = ann.sign_object(unsigned)
    else:
        shown_doc = unsigned
    handle = serve_profile(ann, [remote_skill(ann, "rust", "Rust", [shown_doc])])

    shown = await profile(app, auth, handle)

    assert shown["actor"] == ann.uri and shown["local"] is False
    rust = skill_in(shown, "rust")
    [entry] = rust["endorsements"]
    if forgery == "none (control)":
        assert entry["verified"] == "proof" and entry["by"] == carol.uri
        assert entry["signer"] == carol.proof_key_id
        assert rust["counts"] == {"proof": 1, "server": 0, "failed": 0, "total": 1}
        return
    assert entry["verified"] != "proof"
    if forgery == "no proof":
        assert entry["verified"] == "server"
        assert entry["signer"] == ann.origin  # only host A vouches for it
        assert rust["counts"] == {"proof": 0, "server": 1, "failed": 0, "total": 1}
    else:
        assert entry["verified"] == "failed" and entry["by"] is None
        assert entry.get("signer") in (None, ann.origin)
        assert rust["counts"] == {"proof": 0, "server": 0, "failed": 1, "total": 0}
    if forgery == "host's key":
        assert carol_server.requests == []  # a key on A's origin is never carol's: no fetch


@pytest.mark.parametrize(
    "move", ["none (control)", "to Go after signing", "target only", "to another person"]
)
async def test_endorsement_moved_to_another_skill_or_person_at_the_inbox(
    app: App, auth: Auth, dave: Auth, bob: RemoteActor, move: str
) -> None:
    """bob's valid signed endorsement of alice/Rust, re-used for alice/Go or for dave/Rust:
    the proof covers ``about``, ``target`` and ``skillKey``, so nothing is stored."""
    await declare(app, auth, "Rust", "Go")
    await declare(app, dave, "Rust")
    doc = endorsement(bob)
    go = vocabulary.skill_uri(ALICE_SKILLS, "go")
    if move == "to Go after signing":
        doc.update(target=go, skillKey="go", name="Go")
    elif move == "target only":
        doc["target"] = go  # skillKey still says rust
    elif move == "to another person":
        doc.update(about=DAVE, target=vocabulary.skill_uri(DAVE_SKILLS, "rust"), to=[DAVE])

    await deliver_all(app, bob, bob.create(doc))

    if move == "none (control)":
        assert await endorsement_rows(app) == [(bob.uri, ALICE, "rust")]
        assert await app.count("notifications") == 1
        return
    assert await endorsement_rows(app) == []
    assert await app.count("notifications") == 0
    for handle, key in (("alice", "go"), ("alice", "rust"), ("dave", "rust")):
        shown = await profile(app, auth, f"{handle}@testserver")
        assert skill_in(shown, key)["endorsements"] == []


async def test_endorsement_moved_inside_a_remote_profile(
    app: App, auth: Auth, ann: RemoteActor, bob: RemoteActor, carol: RemoteActor
) -> None:
    """Host A embeds carol's valid endorsement of ann/Rust under ann's Go (as is, and with
    target and skillKey rewritten), and carol's endorsement of bob/Rust under ann's Rust.
    Only the original, in its place, shows as carol's."""
    ann_skills = f"{ann.uri}/skills"
    original = endorsement(carol, owner=ann.uri, collection=ann_skills, key="rust")
    rewritten = {
        **original,
        "target": vocabulary.skill_uri(ann_skills, "go"),
        "skillKey": "go",
        "name": "Go",
    }
    of_bob = endorsement(carol, owner=bob.uri, collection=f"{bob.uri}/skills", key="rust")
    handle = serve_profile(
        ann,
        [
            remote_skill(ann, "rust", "Rust", [original, of_bob]),
            remote_skill(ann, "go", "Go", [original, rewritten]),
        ],
    )

    shown = await profile(app, auth, handle)

    rust, go = skill_in(shown, "rust"), skill_in(shown, "go")
    assert [(e["verified"], e["by"]) for e in rust["endorsements"]] == [
        ("proof", carol.uri),
        ("failed", None),
    ]
    assert [(e["verified"], e["by"]) for e in go["endorsements"]] == [
        ("failed", None),
        ("failed", None),
    ]
    assert rust["counts"]["total"] == 1 and go["counts"]["total"] == 0
    assert shown["counts"] == {"proof": 1, "server": 0, "failed": 3, "total": 1}


@pytest.mark.parametrize(
    "variant",
    [
        "none (control)",
        "target is a remote actor",
        "about differs from target",
        "about a remote person",
        "target is no account here",
        "target is not an actor",
        "addressed to someone else",
    ],
)
async def test_suggestion_for_someone_elses_profile(
    app: App, auth: Auth, dave: Auth, bob: RemoteActor, carol: RemoteActor, variant: str
) -> None:
    """An Offer delivered to alice's inbox creates a pending suggestion only if its target
    is one of our people and its Skill is about that same person."""
    target, about = ALICE, None
    if variant == "target is a remote actor":
        target = carol.uri
    elif variant == "about differs from target":
        about = DAVE
    elif variant == "about a remote person":
        about = carol.uri
    elif variant == "target is no account here":
        target = f"{BASE}/users/nobody"
    elif variant == "target is not an actor":
        target = ALICE_SKILLS
    to = [DAVE] if variant == "addressed to someone else" else None

    await deliver_all(app, bob, offer(bob, target=target, about=about, to=to))

    if variant == "none (control)":
        assert await suggestion_rows(app) == [(bob.uri, ALICE, "rust", "pending")]
        assert await app.count("notifications") == 1
        return
    assert await suggestion_rows(app) == []
    assert await app.count("notifications") == 0
    for who in (auth, dave):
        listed = await get_json(app, "/api/v1/suggestions", who)
        assert listed == {"suggestions": []}


@pytest.mark.parametrize(
    ("sender", "kind"),
    [
        ("bob", "Accept"),  # control: the suggestion's subject decides
        ("bob", "Reject"),  # control
        ("mallory", "Accept"),
        ("mallory", "Reject"),
        ("neighbour", "Accept"),  # bob's origin, but not bob
        ("neighbour", "Reject"),
    ],
)
async def test_accept_of_our_suggestion_by_the_wrong_party(
    app: App,
    auth: Auth,
    bob: RemoteActor,
    mallory: RemoteActor,
    neighbour: RemoteActor,
    sender: str,
    kind: str,
) -> None:
    """alice suggested Rust to bob; only bob's Accept or Reject decides it."""
    made = await app.http.post(
        "/api/v1/suggestions", json={"to": bob.uri, "skill": "Rust"}, headers=auth
    )
    assert made.status_code == 201, made.text
    offer_uri = made.json()["uri"]
    actor = {"bob": bob, "mallory": mallory, "neighbour": neighbour}[sender]

    await deliver_all(app, actor, actor.activity(kind, offer_uri, to=[ALICE]))

    [sent] = (await get_json(app, "/api/v1/suggestions?box=sent", auth))["suggestions"]
    decided = await app.rows("SELECT kind FROM notifications")
    if sender == "bob":
        wanted = "accepted" if kind == "Accept" else "rejected"
        assert sent["status"] == wanted
        assert decided == [(f"suggestion_{wanted}",)]
    else:
        assert sent["status"] == "pending" and sent["decided_at"] is None
        assert decided == []
    assert await suggestion_rows(app) == [(ALICE, bob.uri, "rust", sent["status"])]


async def test_accept_of_a_suggestion_to_alice_by_its_author(
    app: App, auth: Auth, bob: RemoteActor, mallory: RemoteActor
) -> None:
    """bob suggested Rust to alice; neither bob himself nor mallory can accept it for her."""
    suggestion = offer(bob)
    await deliver_all(app, bob, suggestion)
    assert await suggestion_rows(app) == [(bob.uri, ALICE, "rust", "pending")]

    await deliver_all(
        app,
        bob,
        bob.activity("Accept", suggestion["id"], result=vocabulary.skill_uri(ALICE_SKILLS, "rust")),
    )
    await deliver_all(app, mallory, mallory.activity("Accept", suggestion["id"]))

    assert await suggestion_rows(app) == [(bob.uri, ALICE, "rust", "pending")]
    assert await app.count("skills") == 0
    assert (await profile(app, auth))["skills"] == []


async def test_self_endorsement_through_the_api_is_refused(app: App, auth: Auth) -> None:
    await declare(app, auth, "Rust")
    for to in ("alice@testserver", "@alice@testserver", ALICE):
        answer = await app.http.post(
            "/api/v1/endorsements", json={"to": to, "skill": "Rust"}, headers=auth
        )
        assert answer.status_code == 422, answer.text
        assert "own" in answer.json()["error"]
    assert await endorsement_rows(app) == []
    assert skill_in(await profile(app, auth), "rust")["counts"]["total"] == 0


async def test_self_endorsement_through_the_inbox_is_refused(
    app: App, auth: Auth, bob: RemoteActor
) -> None:
    """An Endorsement attributed to alice herself, about alice, sent by bob (with his key),
    and a Like of alice's skill note in alice's name from outside: nothing is stored."""
    await declare(app, auth, "Rust")
    as_alice = endorsement(bob)
    as_alice["attributedTo"] = ALICE
    await deliver_all(app, bob, bob.create(as_alice))
    like = {
        "@context": AS_CONTEXT,
        "id": f"{ALICE}/activities/self-like",
        "type": "Like",
        "actor": ALICE,
        "object": await skill_note(app, "rust"),
    }
    assert (await app.deliver(bob, like)).status_code in (400, 401)
    await app.process()
    assert await endorsement_rows(app) == []
    assert await app.count("notifications") == 0


async def test_duplicate_endorsements_through_the_api_count_once(
    app: App, auth: Auth, dave: Auth
) -> None:
    await declare(app, auth, "Rust")
    first = await app.http.post(
        "/api/v1/endorsements", json={"to": "alice@testserver", "skill": "Rust"}, headers=dave
    )
    assert first.status_code == 201, first.text
    for skill in ("Rust", "RUST", " rust "):
        again = await app.http.post(
            "/api/v1/endorsements", json={"to": ALICE, "skill": skill}, headers=dave
        )
        assert again.status_code == 409, again.text
    assert await endorsement_rows(app) == [(DAVE, ALICE, "rust")]
    assert skill_in(await profile(app, auth), "rust")["counts"]["total"] == 1


async def test_duplicate_endorsements_through_the_inbox_count_once(
    app: App, auth: Auth, bob: RemoteActor
) -> None:
    """bob endorses alice/Rust, replays that Create, sends a second signed Endorsement,
    likes the skill's note and replies to it: one endorsement, one notification."""
    await declare(app, auth, "Rust")
    note = await skill_note(app, "rust")
    create = bob.create(endorsement(bob, comment="first"))
    await deliver_all(
        app,
        bob,
        create,
        create,
        bob.create(endorsement(bob, comment="second")),
        bob.activity("Like", note),
        bob.create(bob.note("@alice great Rust work", inReplyTo=note, to=[ALICE])),
    )
    assert await endorsement_rows(app) == [(bob.uri, ALICE, "rust")]
    assert await app.count("notifications") == 1
    [entry] = skill_in(await profile(app, auth), "rust")["endorsements"]
    assert entry["id"] == create["object"]["id"] and entry["comment"] == "first"
    page = await get_json(app, "/users/alice/skills?page=1")
    [item] = page["orderedItems"]
    assert item["endorsementCount"] == 1


async def test_self_endorsement_and_duplicates_inside_a_remote_profile(
    app: App, auth: Auth, ann: RemoteActor, carol: RemoteActor
) -> None:
    """Host A embeds ann's endorsement of her own Rust and carol's endorsement twice (the
    same document, and a second one carol signed): never ann's own, carol's once."""
    ann_skills = f"{ann.uri}/skills"
    own = endorsement(ann, owner=ann.uri, collection=ann_skills)
    first = endorsement(carol, owner=ann.uri, collection=ann_skills, comment="first")
    second = endorsement(carol, owner=ann.uri, collection=ann_skills, comment="second")
    handle = serve_profile(ann, [remote_skill(ann, "rust", "Rust", [own, first, first, second])])

    rust = skill_in(await profile(app, auth, handle), "rust")

    assert not any(e["by"] == ann.uri and e["verified"] != "failed" for e in rust["endorsements"])
    assert [e["by"] for e in rust["endorsements"] if e["verified"] == "proof"] == [carol.uri]
    assert rust["counts"]["total"] == 1


def withdrawal(actor: RemoteActor, how: str, endorsement_doc: dict[str, Any]) -> dict[str, Any]:
    uri = endorsement_doc["id"]
    if how == "Delete":
        return actor.activity("Delete", uri)
    if how == "Delete of a Tombstone":
        return actor.activity("Delete", {"id": uri, "type": "Tombstone"})
    if how == "Undo":
        return actor.activity("Undo", uri)
    assert how == "Undo of the Endorsement"
    return actor.activity("Undo", {"id": uri, "type": "Endorsement"})


HOWS = ["Delete", "Delete of a Tombstone", "Undo", "Undo of the Endorsement"]


@pytest.mark.parametrize("how", HOWS)
async def test_withdrawn_endorsement_disappears(
    app: App, auth: Auth, bob: RemoteActor, how: str
) -> None:
    """bob withdraws his endorsement: it leaves alice's profile, her skills collection and
    every count."""
    await declare(app, auth, "Rust")
    doc = endorsement(bob)
    await deliver_all(app, bob, bob.create(doc))
    assert await endorsement_rows(app) == [(bob.uri, ALICE, "rust")]

    await deliver_all(app, bob, withdrawal(bob, how, doc))

    assert await endorsement_rows(app) == []
    shown = await profile(app, auth)
    assert skill_in(shown, "rust")["endorsements"] == []
    assert shown["counts"]["total"] == 0
    [item] = (await get_json(app, "/users/alice/skills?page=1"))["orderedItems"]
    assert item["endorsements"] == [] and item["endorsementCount"] == 0
    one = await app.http.get(f"{ALICE_SKILLS}/rust", headers=ACCEPT_AS2)
    assert one.json()["endorsements"] == []


async def test_withdrawn_like_endorsement_disappears(
    app: App, auth: Auth, bob: RemoteActor
) -> None:
    await declare(app, auth, "Rust")
    like = bob.activity("Like", await skill_note(app, "rust"))
    await deliver_all(app, bob, like)
    assert await endorsement_rows(app) == [(bob.uri, ALICE, "rust")]

    await deliver_all(app, bob, bob.activity("Undo", like))

    assert await endorsement_rows(app) == []
    assert (await profile(app, auth))["counts"]["total"] == 0


@pytest.mark.parametrize("how", [*HOWS, "Undo of bob's Like"])
@pytest.mark.parametrize("who", ["mallory", "neighbour"])
async def test_withdrawal_by_others_is_a_no_op(
    app: App,
    auth: Auth,
    bob: RemoteActor,
    mallory: RemoteActor,
    neighbour: RemoteActor,
    who: str,
    how: str,
) -> None:
    """Someone else (on another origin, or on bob's own) Deletes or Undoes bob's
    endorsement of alice/Rust (or his like of alice/Go): both stay."""
    await declare(app, auth, "Rust", "Go")
    doc = endorsement(bob)
    like = bob.activity("Like", await skill_note(app, "go"))
    await deliver_all(app, bob, bob.create(doc), like)
    before = await endorsement_rows(app)
    assert before == [(bob.uri, ALICE, "rust"), (bob.uri, ALICE, "go")]
    other = mallory if who == "mallory" else neighbour

    if how == "Undo of bob's Like":
        attack = other.activity("Undo", like)
    else:
        attack = withdrawal(other, how, doc)
    await deliver_all(app, other, attack)

    assert await endorsement_rows(app) == before
    shown = await profile(app, auth)
    assert [e["by"] for e in skill_in(shown, "rust")["endorsements"]] == [bob.uri]
    assert skill_in(shown, "rust")["endorsements"][0]["verified"] == "proof"
    assert shown["counts"]["total"] == 2


@pytest.mark.parametrize("blocked", [False, True], ids=["control", "blocked"])
async def test_blocked_people_are_ignored(
    app: App, auth: Auth, bob: RemoteActor, blocked: bool
) -> None:
    """After alice blocks bob, his Offer, Endorsement, like of a skill note, reply to one and
    #SuggestSkill mention leave no suggestion, endorsement, notification or reply."""
    await declare(app, auth, "Rust", "Python", "Haskell")
    if blocked:
        answer = await app.http.post("/api/v1/blocks", json={"account": bob.uri}, headers=auth)
        assert answer.status_code == 201, answer.text
        assert answer.json() == {"actor": bob.uri, "blocked": True}
    python, haskell = await skill_note(app, "python"), await skill_note(app, "haskell")

    await deliver_all(
        app,
        bob,
        offer(bob, name="Go"),
        bob.create(endorsement(bob)),
        bob.activity("Like", python),
        bob.create(bob.note("@alice lovely Haskell", inReplyTo=haskell, to=[ALICE])),
        bob.create(mention_note(bob, "Cobol")),
    )

    notified = (await get_json(app, "/api/v1/notifications", auth))["notifications"]
    received = (await get_json(app, "/api/v1/suggestions", auth))["suggestions"]
    shown = await profile(app, auth)
    if not blocked:
        assert sorted(s["skill"]["key"] for s in received) == ["cobol", "go"]
        assert sorted(k for _, _, k in await endorsement_rows(app)) == [
            "haskell",
            "python",
            "rust",
        ]
        assert len(notified) == 5 and shown["counts"]["total"] == 3
        assert await reply_notes(app) == 2  # thanks for the suggestion and the endorsement
        return
    assert await suggestion_rows(app) == [] and received == []
    assert await endorsement_rows(app) == []
    assert notified == [] and await app.count("notifications") == 0
    assert shown["counts"] == {"proof": 0, "server": 0, "failed": 0, "total": 0}
    assert await reply_notes(app) == 0  # not even "I do not take suggestions from you"


BAD_NAMES = [
    pytest.param("", id="empty"),
    pytest.param("   \t ", id="blank"),
    pytest.param("x" * 10_000, id="10kB"),
    pytest.param("Ru\x00st", id="NUL"),
    pytest.param("Ru\x07st", id="bell"),
    pytest.param("Rust\nGo", id="newline"),
    pytest.param("Ru\x1b[31mst", id="ANSI-escape"),
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param('<img src=x onerror="alert(1)">', id="img-onerror"),
    pytest.param("Rust\u202egnp", id="RTL-override"),
    pytest.param("\u2067Rust\u2069", id="RTL-isolate"),
    pytest.param("Ru\u200bst", id="zero-width-space"),
    pytest.param("Ru\u200dst", id="zero-width-joiner"),
    pytest.param("\ufeffRust", id="BOM"),
    pytest.param("Ru\u00adst", id="soft-hyphen"),
    pytest.param("Rust\U000e0041", id="tag-character"),
]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_bad_skill_names_are_refused_everywhere(
    app: App, auth: Auth, dave: Auth, bob: RemoteActor, name: str
) -> None:
    """Empty, oversized, control characters, HTML, text-direction controls and invisible
    characters: 400 from the API, and an inbound Offer of such a name stores nothing (one
    holding NUL, which no database stores, is refused at the inbox with 400)."""
    declared = await app.http.post("/api/v1/skills", json={"skill": name}, headers=auth)
    assert declared.status_code == 400, declared.text
    suggested = await app.http.post(
        "/api/v1/suggestions", json={"to": "alice@testserver", "skill": name}, headers=dave
    )
    assert suggested.status_code == 400, suggested.text

    if "\x00" in name:
        answer = await app.deliver(bob, offer(bob, name=name))
        assert answer.status_code == 400, answer.text
        assert await app.count("inbox_items") == 0
    else:
        await deliver_all(app, bob, offer(bob, name=name))

    assert await app.count("skills") == 0
    assert await suggestion_rows(app) == []
    assert await app.count("notifications") == 0


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("\uff32\uff55\uff53\uff54", id="fullwidth"),
        pytest.param("\u211dust", id="double-struck"),
    ],
)
async def test_compatibility_confusables_are_normalised(
    app: App, auth: Auth, bob: RemoteActor, name: str
) -> None:
    """Compatibility look-alikes become the plain name (NFKC): the same skill as "Rust"."""
    made = await app.http.post("/api/v1/skills", json={"skill": name}, headers=auth)
    assert made.status_code == 201, made.text
    assert (made.json()["name"], made.json()["hashtag"]) == ("Rust", "Rust")
    again = await app.http.post("/api/v1/skills", json={"skill": "rust"}, headers=auth)
    assert again.status_code == 409
    assert await app.rows("SELECT key, name FROM skills") == [("rust", "Rust")]


async def test_mixed_script_confusable_is_refused(app: App, auth: Auth) -> None:
    made = await app.http.post("/api/v1/skills", json={"skill": "R\u0446st"}, headers=auth)
    assert made.status_code == 400, made.text


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def parsed(fragment: str) -> _Html:
    parser = _Html()
    parser.feed(fragment)
    parser.close()
    return parser


RAW_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;|quot;|#\d+;|#x[0-9a-fA-F]+;)")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param('R&D "core"', id="hashtag"),
        pytest.param('"1"', id="quotes-no-hashtag"),
        pytest.param('"' + "&" * 34 + '"', id="ampersands-no-hashtag"),
    ],
)
async def test_skill_names_are_escaped_in_html(
    app: App, auth: Auth, bob: RemoteActor, name: str
) -> None:
    """A name with ``&`` or quotes is kept as written in JSON, and escaped wherever it
    becomes HTML: the skill's Note and the actor's "Skills" field."""
    made = await app.http.post("/api/v1/skills", json={"skill": name}, headers=auth)
    assert made.status_code == 201, made.text
    assert made.json()["name"] == name
    hashtag = made.json()["hashtag"]

    note_uri = await skill_note(app, name.casefold())
    note = await get_json(app, note_uri.removeprefix(BASE))
    content = note["content"]
    assert not RAW_AMPERSAND.search(content), content
    read = parsed(content)
    assert read.tags <= {"p", "a", "span"}
    if hashtag is None:
        assert f"added {name} to their skills" in read.text
        if "&" in name:
            assert "&amp;" * 34 in content
    else:
        assert f"#{hashtag}" in read.text and name not in content
    assert markup.plain_text(content) == read.text.strip()

    actor = await get_json(app, "/users/alice")
    [field] = actor["attachment"]
    assert field["value"] == html.escape(name)
    assert not RAW_AMPERSAND.search(field["value"]) and '"' not in field["value"]
    assert parsed(field["value"]).text == name

    # The same name offered from outside is stored as written, for the JSON API to show.
    await deliver_all(app, bob, offer(bob, name=name + " 2"))
    [received] = (await get_json(app, "/api/v1/suggestions", auth))["suggestions"]
    assert received["skill"]["name"] == name + " 2"


async def test_private_suggestions_and_replies_are_never_public(
    app: App, auth: Auth, dave: Auth, db: Database, bob: RemoteActor
) -> None:
    """Pending and rejected suggestions (from bob's server and from dave here), and the
    direct replies alice sends to Mastodon users, appear in no public document and in no
    other person's API answers."""
    await create_user(db, "erin")
    erin = {"Authorization": f"Bearer {(await tokens.create_token(db, 'erin')).token}"}
    await declare(app, auth, "Python")
    await deliver_all(
        app,
        bob,
        offer(bob, name="Rust"),  # stays pending
        offer(bob, name="Golang"),  # rejected below
        bob.create(mention_note(bob, "Haskell")),  # pending, and alice thanks bob directly
    )
    local = await app.http.post(
        "/api/v1/suggestions", json={"to": "alice@testserver", "skill": "Cobol"}, headers=dave
    )
    assert local.status_code == 201, local.text
    mine = (await get_json(app, "/api/v1/suggestions", auth))["suggestions"]
    [golang] = [s["id"] for s in mine if s["skill"]["key"] == "golang"]
    rejected = await app.http.post(f"/api/v1/suggestions/{golang}/reject", headers=auth)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert sorted((s["skill"]["key"], s["status"]) for s in mine) == [
        ("cobol", "pending"),
        ("golang", "pending"),
        ("haskell", "pending"),
        ("rust", "pending"),
    ]
    [(reply_id,)] = await app.rows("SELECT public_id FROM notes WHERE kind = 'reply'")
    secret = re.compile(r"rust|golang|haskell|cobol", re.IGNORECASE)

    # Public documents: the skills collection and its page, the outbox, the actor and
    # its featured tags.
    skills = await get_json(app, "/users/alice/skills")
    assert skills["totalItems"] == 1
    page = await get_json(app, "/users/alice/skills?page=1")
    assert [i["skillKey"] for i in page["orderedItems"]] == ["python"]
    outbox_page = await get_json(app, "/users/alice/outbox?page=1")
    outbox = await get_json(app, "/users/alice/outbox")
    served = [
        skills,
        page,
        outbox,
        outbox_page,
        await get_json(app, "/users/alice"),
        await get_json(app, "/users/alice/featured_tags"),
    ]
    for doc in served:
        text = str(doc)
        assert not secret.search(text), text
        assert reply_id not in text
    assert outbox["totalItems"] == len(outbox_page["orderedItems"]) == 1  # Python's note
    assert all(i["object"]["to"] == [PUBLIC] for i in outbox_page["orderedItems"])

    # The direct reply is served to nobody, neither as a note nor as an activity.
    for path in (f"/users/alice/notes/{reply_id}", f"/users/alice/activities/{reply_id}"):
        answer = await app.http.get(path, headers=ACCEPT_AS2)
        assert answer.status_code == 404, (path, answer.text)

    # Other people's API answers: erin sees nothing; dave sees only what he sent.
    for box in ("received", "sent"):
        erin_sees = await get_json(app, f"/api/v1/suggestions?box={box}", erin)
        assert erin_sees == {"suggestions": []}
    assert (await get_json(app, "/api/v1/suggestions", dave)) == {"suggestions": []}
    [dave_sent] = (await get_json(app, "/api/v1/suggestions?box=sent", dave))["suggestions"]
    assert dave_sent["skill"]["key"] == "cobol"
    for who in (dave, erin):
        shown = await profile(app, who)
        assert [s["key"] for s in shown["skills"]] == ["python"]
    # Nor can anyone decide them but alice.
    for who in (dave, erin):
        answer = await app.http.post(f"/api/v1/suggestions/{golang}/accept", headers=who)
        assert answer.status_code == 404
    unauthenticated = await app.http.get("/api/v1/suggestions")
    assert unauthenticated.status_code == 401
