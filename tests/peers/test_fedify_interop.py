"""Interop with Fedify 2.3.6, a real independent implementation, over HTTP on 127.0.0.1.

Fedify follows our user and we verify its signed requests (it sends RFC 9421 first);
we accept and publish, and Fedify verifies our signatures on everything we deliver.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from fediverse_skills.federation.signatures import (
    private_key_from_pem,
    sign_cavage,
    sign_rfc9421,
)
from tests.instances import Instance, eventually
from tests.peers.fedify import FedifyPeer

pytestmark = pytest.mark.slow


@pytest.fixture
def ours(tmp_path: Path) -> Iterator[Instance]:
    inst = Instance(tmp_path / "ours").setup("alice")
    try:
        yield inst.start()
    finally:
        inst.stop()


def test_fedify_finds_our_actor_with_both_keys(ours: Instance, fedify_peer: FedifyPeer) -> None:
    actor = fedify_peer.lookup(f"{ours.url}/users/alice")
    assert actor["id"] == f"{ours.url}/users/alice"
    assert actor["type"] == "Person"
    assert "publicKey" in actor
    methods = actor["assertionMethod"]
    methods = methods if isinstance(methods, list) else [methods]
    assert any(str(m.get("publicKeyMultibase", "")).startswith("z6Mk") for m in methods)


def test_fedify_follows_us_and_hears_our_posts(ours: Instance, fedify_peer: FedifyPeer) -> None:
    alice = f"{ours.url}/users/alice"
    since = fedify_peer.mark()
    follow_id = fedify_peer.follow(alice)

    # We verified Fedify's signature (202), queued, accepted; Fedify verified our Accept.
    eventually(
        lambda: (
            ours.query("SELECT state FROM follows WHERE activity_uri=:a", a=follow_id)
            == [("accepted",)]
        ),
        what=f"our side accepts Fedify's follow\n{ours.logs()}",
    )
    accept = fedify_peer.wait_for(
        lambda e: e["kind"] == "inbox" and e.get("type") == "Accept" and e.get("actor") == alice,
        since=since,
    )
    assert accept["kind"] == "inbox"  # "inbox" entries passed Fedify's signature check

    posted = ours.api("alice", "/api/v1/notes", {"content": "Hello Fedify"})
    assert posted.status_code == 201, posted.text
    note_uri = posted.json()["uri"]
    create = fedify_peer.wait_for(
        lambda e: (
            e["kind"] == "inbox" and e.get("type") == "Create" and e.get("object") == note_uri
        ),
        since=since,
    )
    assert "Hello Fedify" in create["content"]
    assert not [e for e in fedify_peer.log(since) if e["kind"] in ("unverified", "error")]


def test_we_follow_fedify_and_record_its_accept(ours: Instance, fedify_peer: FedifyPeer) -> None:
    since = fedify_peer.mark()
    followed = ours.api("alice", "/api/v1/follows", {"target": fedify_peer.actor_url})
    assert followed.status_code == 201, followed.text
    assert followed.json()["state"] == "pending"
    fedify_peer.wait_for(
        lambda e: (
            e["kind"] == "inbox"
            and e.get("type") == "Follow"
            and e.get("actor") == f"{ours.url}/users/alice"
        ),
        since=since,
    )
    eventually(
        lambda: (
            ours.query("SELECT state FROM follows WHERE followee=:f", f=fedify_peer.actor_url)
            == [("accepted",)]
        ),
        what=f"Fedify's Accept is verified and recorded\n{ours.logs()}",
    )


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
def test_fedify_verifies_both_of_our_signature_schemes(
    ours: Instance, fedify_peer: FedifyPeer, scheme: str
) -> None:
    alice = f"{ours.url}/users/alice"
    (pem,) = ours.query("SELECT rsa_private_pem FROM users WHERE username='alice'")[0]
    key = private_key_from_pem(pem)
    body = (
        b'{"@context":"https://www.w3.org/ns/activitystreams","id":"'
        + alice.encode()
        + b"/activities/x-"
        + scheme.encode()
        + b'","type":"Like","actor":"'
        + alice.encode()
        + b'","object":"'
        + fedify_peer.actor_url.encode()
        + b'"}'
    )
    headers = {"Content-Type": "application/activity+json"}
    sign = sign_cavage if scheme == "cavage" else sign_rfc9421
    headers.update(
        sign(
            "POST",
            fedify_peer.verify_url,
            headers,
            body,
            key_id=f"{alice}#main-key",
            private_key=key,
            now=datetime.now(UTC),
        )
    )
    answer = httpx.post(fedify_peer.verify_url, content=body, headers=headers, timeout=30)
    assert answer.status_code == 202, answer.text
    assert answer.json()["keyId"] == f"{alice}#main-key"
