"""The "LD-sig reshape" row (CVE-2026-42462, CVE-2026-46349): a signed body wrapped or
rearranged with ``@graph``, ``@included``, ``@reverse`` (or keyword aliases declared in an
inline ``@context``) is refused, and a proof computed over another shape of the same data
never counts as a signature of the node we read.

Through the real app: HTTP-signed POSTs into alice's inbox (the Create and the endorsement's
FEP-8b32 proof are both valid before the reshaping), and remote profiles served by real
peer servers. Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest

from fediverse_skills.federation import jsonld, proofs, shapes, vocabulary
from fediverse_skills.federation.multibase import b58encode
from fediverse_skills.services import tokens
from fediverse_skills.store.db import Database
from fediverse_skills.store.users import User
from tests.security.conftest import App, StartServer
from tests.security.remote import RemoteActor, RemoteServer, ed25519_key, new_id, rsa_key
from tests.security.test_skills_security import (
    ALICE,
    ALICE_SKILLS,
    Auth,
    declare,
    endorsement,
    endorsement_rows,
    profile,
    remote_skill,
    serve_profile,
    skill_in,
)

CAROL_PROOF_KEY = 13


@pytest.fixture
async def auth(alice: User, db: Database) -> Auth:
    issued = await tokens.create_token(db, "alice")
    return {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def bob(remote: RemoteServer) -> RemoteActor:
    actor = RemoteActor(remote, "/users/bob", rsa_key(0), proof_key=ed25519_key(10))
    actor.publish()
    return actor


@pytest.fixture
def ann(remote: RemoteServer) -> RemoteActor:
    """A person whose (hostile) server serves her skills profile."""
    return RemoteActor(remote, "/users/ann", rsa_key(4), proof_key=ed25519_key(12))


@pytest.fixture
async def carol(servers: StartServer) -> RemoteActor:
    """An endorser on her own server, with her own Ed25519 key."""
    server = await servers("127.0.0.3")
    actor = RemoteActor(server, "/users/carol", rsa_key(3), proof_key=ed25519_key(CAROL_PROOF_KEY))
    actor.publish()
    return actor


# ----------------------------------------------------------------------------- shapes


def _body(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "@context"}


def _with_context(doc: dict[str, Any], *extra: Any) -> list[Any]:
    context = doc["@context"]
    return [*(context if isinstance(context, list) else [context]), *extra]


def reshape_object(signed: dict[str, Any], how: str) -> dict[str, Any]:
    """``signed`` (an endorsement with its proof) wrapped or rearranged as ``how`` says.
    The proof is kept where a verifier would look for it."""
    proof = signed["proof"]
    body = _body({k: v for k, v in signed.items() if k != "proof"})
    if how == "@graph":
        return {"@context": signed["@context"], "@graph": [body], "proof": proof}
    if how == "@graph alias":
        return {"@context": _with_context(signed, {"x": "@graph"}), "x": [body], "proof": proof}
    if how == "@graph alias, fields kept":
        # The signed fields stay at the top (a plain reader sees them), an alias adds a graph.
        return {**signed, "@context": _with_context(signed, {"x": "@graph"}), "x": [body]}
    if how == "@included":
        other = {**body, "id": body["id"] + "-2", "skillKey": "go"}
        return {**signed, "@included": [other]}
    if how == "@included alias":
        other = {**body, "id": body["id"] + "-2", "skillKey": "go"}
        return {**signed, "@context": _with_context(signed, {"inc": "@included"}), "inc": [other]}
    if how == "@reverse":
        return {**signed, "@reverse": {"tag": {"id": body["id"] + "#note", "type": "Note"}}}
    if how == "@reverse alias":
        context = _with_context(signed, {"rev": "@reverse"})
        return {**signed, "@context": context, "rev": {"tag": {"id": body["id"] + "#n"}}}
    if how == "reverse term":
        context = _with_context(signed, {"taggedBy": {"@reverse": "as:tag"}})
        return {**signed, "@context": context, "taggedBy": {"id": body["id"] + "#n"}}
    if how == "@nest alias":
        context = _with_context(signed, {"meta": "@nest"})
        return {**signed, "@context": context, "meta": {"name": "Rust"}}
    if how == "graph container":
        context = _with_context(signed, {"claims": {"@id": "as:items", "@container": "@graph"}})
        return {**signed, "@context": context, "claims": body}
    if how == "id alias":
        return {**signed, "@context": _with_context(signed, {"realId": "@id"})}
    if how == "attributedTo re-pointed":
        context = _with_context(signed, {"attributedTo": "as:generator"})
        return {**signed, "@context": context}
    raise AssertionError(how)


OBJECT_SHAPES = [
    "@graph",
    "@graph alias",
    "@graph alias, fields kept",
    "@included",
    "@included alias",
    "@reverse",
    "@reverse alias",
    "reverse term",
    "@nest alias",
    "graph container",
    "id alias",
    "attributedTo re-pointed",
]


def reshape_activity(activity: dict[str, Any], how: str) -> dict[str, Any]:
    """The Create itself reshaped (its id, type and actor stay readable as plain JSON)."""
    if how == "activity @included":
        return {**activity, "@included": [activity["object"]]}
    if how == "activity @graph alias":
        context = _with_context(activity, {"g": "@graph"})
        return {**activity, "@context": context, "g": [activity["object"]]}
    if how == "activity actor alias":
        return {**activity, "@context": _with_context(activity, {"actor": "@id"})}
    raise AssertionError(how)


ACTIVITY_SHAPES = ["activity @included", "activity @graph alias", "activity actor alias"]


def sign_rdfc(by: RemoteActor, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with an ``eddsa-rdfc-2022`` proof by ``by`` (the suite the app accepts
    besides jcs): the signature covers the RDF dataset, not the JSON tree."""
    assert by.proof_key is not None
    config = {
        "@context": document["@context"],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "verificationMethod": by.proof_key_id,
        "proofPurpose": "assertionMethod",
        "created": proofs.format_created(datetime.now(UTC)),
    }
    digest = (
        hashlib.sha256(jsonld.canonize(config).encode()).digest()
        + hashlib.sha256(jsonld.canonize(document).encode()).digest()
    )
    proof = {**config, "proofValue": "z" + b58encode(by.proof_key.sign(digest))}
    del proof["@context"]
    return {**document, "proof": proof}


# ============================================================================= the inbox


@pytest.mark.parametrize("how", ["none (control)", *OBJECT_SHAPES, *ACTIVITY_SHAPES])
async def test_ld_reshape_graph_alias_rejected_cve_2026_42462(
    app: App, auth: Auth, bob: RemoteActor, how: str
) -> None:
    """bob's valid Create of his valid, proof-signed endorsement of alice's Rust, with the
    endorsement (or the Create) reshaped: ``@graph``, ``@included``, ``@reverse``, ``@nest``,
    and aliases of them declared in an inline ``@context``. The HTTP signature covers the
    reshaped body, so only the shape is wrong: 400, and nothing is queued or stored."""
    await declare(app, auth, "Rust")
    signed = endorsement(bob)
    if how in OBJECT_SHAPES:
        activity = bob.create(reshape_object(signed, how))
    elif how in ACTIVITY_SHAPES:
        activity = reshape_activity(bob.create(signed), how)
    else:
        activity = bob.create(signed)

    answer = await app.deliver(bob, activity)
    await app.process()

    if how == "none (control)":
        assert answer.status_code == 202, answer.text
        assert await endorsement_rows(app) == [(bob.uri, ALICE, "rust")]
        return
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("the activity's JSON-LD is reshaped")
    assert await app.count("inbox_items") == 0
    assert await endorsement_rows(app) == []
    assert await app.count("notifications") == 0
    assert skill_in(await profile(app, auth), "rust")["endorsements"] == []


# ============================================================================= RDF proofs


def _note_mentioning_an_endorsement(carol: RemoteActor, ann: RemoteActor) -> dict[str, Any]:
    """A Note carol signs (rdfc) that merely tags an endorsement-shaped node: carol never
    published that node as an endorsement of her own."""
    claim = {
        "id": f"{carol.uri}/drafts/{new_id()}",
        "type": "Endorsement",
        "attributedTo": carol.uri,
        "about": ann.uri,
        "target": vocabulary.skill_uri(f"{ann.uri}/skills", "rust"),
        "skillKey": "rust",
        "name": "Rust",
    }
    return {
        "@context": vocabulary.document_context(carol.origin),
        "id": carol.note_id(),
        "type": "Note",
        "attributedTo": carol.uri,
        "content": "<p>Someone asked me to sign this; I did not.</p>",
        "tag": [claim],
    }


def _reshaped_to_the_claim(signed_note: dict[str, Any], how: str) -> dict[str, Any]:
    """The same RDF as ``signed_note``, rearranged so that the tagged node is on top."""
    note = _body({k: v for k, v in signed_note.items() if k != "proof"})
    [claim] = note.pop("tag")
    context = signed_note["@context"]
    if how == "@reverse":
        return {
            "@context": context,
            **claim,
            "@reverse": {"tag": note},
            "proof": signed_note["proof"],
        }
    if how == "@reverse alias":
        return {
            "@context": [*context, {"taggedIn": "@reverse"}],
            **claim,
            "taggedIn": {"tag": note},
            "proof": signed_note["proof"],
        }
    if how == "@included alias":
        return {
            "@context": [*context, {"also": "@included"}],
            **claim,
            "also": [{**note, "tag": claim["id"]}],
            "proof": signed_note["proof"],
        }
    raise AssertionError(how)


RDF_SHAPES = ["@reverse", "@reverse alias", "@included alias"]


@pytest.mark.parametrize("how", ["none (control)", *RDF_SHAPES])
async def test_ld_reshape_proof_over_another_shape_is_not_signed_cve_2026_46349(
    app: App,
    auth: Auth,
    ann: RemoteActor,
    carol: RemoteActor,
    how: str,
) -> None:
    """carol signs (eddsa-rdfc-2022) a Note that tags an endorsement-shaped node. Host A
    rearranges the same RDF so that node is on top, and shows it on ann's profile as
    carol's endorsement. The RDF proof still holds (the canonical N-Quads are identical),
    but the node was never what carol signed as a document: it shows ``failed``, never as
    carol's; the verifier refuses it; and carol's own server cannot deliver it either."""
    note = sign_rdfc(carol, _note_mentioning_an_endorsement(carol, ann))
    lookup = {carol.proof_key_id: ed25519_key(CAROL_PROOF_KEY).public_key()}.get
    if how == "none (control)":
        # A real rdfc endorsement by carol is shown as hers: the suite itself works here.
        shown_doc = sign_rdfc(
            carol, endorsement(carol, owner=ann.uri, collection=f"{ann.uri}/skills", signed=False)
        )
    else:
        shown_doc = _reshaped_to_the_claim(note, how)
        unsecured = {k: v for k, v in shown_doc.items() if k != "proof"}
        original = {k: v for k, v in note.items() if k != "proof"}
        assert jsonld.canonize(unsecured) == jsonld.canonize(original)  # same signed RDF
        assert shapes.reshaping(shown_doc) is not None
        with pytest.raises(proofs.ProofError, match="reshaped"):
            proofs.verify(shown_doc, lookup_key=lookup)
    proofs.verify(note, lookup_key=lookup)  # carol's note itself is fine as it is

    handle = serve_profile(ann, [remote_skill(ann, "rust", "Rust", [shown_doc])])
    shown = await profile(app, auth, handle)

    [entry] = skill_in(shown, "rust")["endorsements"]
    if how == "none (control)":
        assert (entry["verified"], entry["by"]) == ("proof", carol.uri)
        return
    assert entry["verified"] == "failed" and entry["by"] is None
    assert "reshaped" in entry["error"]
    assert shown["counts"] == {"proof": 0, "server": 0, "failed": 1, "total": 0}

    # Delivered by carol's own server (valid HTTP signature), it is refused at the door.
    declared = await app.http.post("/api/v1/skills", json={"skill": "Rust"}, headers=auth)
    assert declared.status_code == 201
    aimed = copy.deepcopy(shown_doc)
    aimed.update(about=ALICE, target=vocabulary.skill_uri(ALICE_SKILLS, "rust"))
    answer = await app.deliver(carol, carol.create(aimed))
    assert answer.status_code == 400, answer.text
    await app.process()
    assert await endorsement_rows(app) == []


def test_reshaping_keywords_are_found_anywhere() -> None:
    """The detector the three layers share (inbox, vocabulary reader, proof verifier) finds
    every shape above, at any depth, and lets Mastodon's and our own documents through."""
    signed = {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": "https://b.example/e/1",
        "type": "Endorsement",
        "proof": {"type": "DataIntegrityProof"},
    }
    for how in OBJECT_SHAPES:
        assert shapes.reshaping(reshape_object(signed, how)) is not None, how
        assert shapes.reshaping({"object": {"object": reshape_object(signed, how)}}), how
    mastodon_context = [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
            "id": "@id",
            "type": "@type",
            "@language": "und",
        },
    ]
    assert shapes.reshaping({"@context": mastodon_context, "id": "x", "type": "Note"}) is None
    ours = {"@context": vocabulary.document_context("https://a.example"), **_body(signed)}
    assert shapes.reshaping(ours) is None
