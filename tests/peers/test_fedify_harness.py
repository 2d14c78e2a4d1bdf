"""Smoke tests of the Fedify peer harness itself (tests/peers/fedify.py and fedify/peer.mjs).

They need no part of our own server: a tiny actor served from this file stands in for
a remote instance, with a draft-cavage signer written here for the purpose."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.peers.fedify import FedifyPeer, FedifyPeerError

# Until tests/conftest.py imports it, the fixture comes from here.

AS = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
PUBLIC = f"{AS}#Public"


# ----------------------------------------------------------------------------- helpers


def sign_draft_cavage(
    method: str, url: str, body: bytes, key: rsa.RSAPrivateKey, key_id: str
) -> dict[str, str]:
    """Headers for a draft-cavage-12 rsa-sha256 signature over
    ``(request-target) host date digest content-type``."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {
        "host": parts.netloc,
        "date": formatdate(usegmt=True),
        "digest": "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode(),
        "content-type": "application/activity+json",
    }
    lines = [f"(request-target): {method.lower()} {target}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="(request-target) {" ".join(headers)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


@dataclass
class RemoteActor:
    """An actor document and an inbox on 127.0.0.1, served by a thread of this process."""

    key: rsa.RSAPrivateKey
    base: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def id(self) -> str:
        return f"{self.base}/actor"

    @property
    def key_id(self) -> str:
        return f"{self.id}#main-key"

    def document(self) -> dict[str, Any]:
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "@context": [AS, SECURITY],
            "id": self.id,
            "type": "Person",
            "preferredUsername": "t",
            "inbox": f"{self.base}/inbox",
            "publicKey": {"id": self.key_id, "owner": self.id, "publicKeyPem": pem.decode()},
        }

    def post(self, url: str, activity: dict[str, Any]) -> httpx.Response:
        body = json.dumps(activity).encode()
        headers = sign_draft_cavage("POST", url, body, self.key, self.key_id)
        return httpx.post(url, content=body, headers=headers, timeout=30, trust_env=False)

    def wait_received(self, type_: str, timeout: float = 15) -> list[dict[str, Any]]:
        """Wait until the inbox got an activity of that type; returns all of that type."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [a for a in self.received if a.get("type") == type_]
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"no {type_} reached the remote inbox; got {self.received}")


def _handler(remote: RemoteActor) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/actor":
                self.send_error(404)
                return
            body = json.dumps(remote.document()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/activity+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            activity = json.loads(self.rfile.read(length) or b"{}")
            with remote.lock:
                remote.received.append(activity)
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteActor]:
    actor = RemoteActor(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(actor))
    actor.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield actor
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def new_id(remote: RemoteActor, kind: str) -> str:
    return f"{remote.base}/{kind}/{uuid.uuid4().hex}"


# ----------------------------------------------------------------------------- tests


def test_peer_starts_and_serves_its_actor(fedify_peer: FedifyPeer) -> None:
    assert f"fedify-peer listening on {fedify_peer.url}" in fedify_peer.output()
    actor = fedify_peer.lookup(fedify_peer.actor_url)

    assert actor["id"] == fedify_peer.actor_url
    assert actor["type"] == "Person"
    assert actor["inbox"] == fedify_peer.inbox_url
    assert actor["endpoints"]["sharedInbox"] == fedify_peer.shared_inbox_url
    assert actor["publicKey"]["owner"] == fedify_peer.actor_url
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    methods = actor["assertionMethod"]
    assert {m["type"] for m in methods} == {"Multikey"}
    assert any(m["publicKeyMultibase"].startswith("z6Mk") for m in methods)  # Ed25519


def test_lookup_failure_is_reported(fedify_peer: FedifyPeer, remote: RemoteActor) -> None:
    with pytest.raises(FedifyPeerError, match="404"):
        fedify_peer.lookup(f"{remote.base}/nothing-here")


def test_verify_inbox_refuses_an_unsigned_request(fedify_peer: FedifyPeer) -> None:
    activity_id = f"urn:uuid:{uuid.uuid4()}"
    response = httpx.post(
        fedify_peer.verify_url,
        json={"@context": AS, "id": activity_id, "type": "Create"},
        timeout=30,
        trust_env=False,
    )

    assert response.status_code == 401
    assert response.json()["verified"] is False
    assert response.json()["reason"] == "noSignature"
    entry = fedify_peer.wait_for(lambda e: e["kind"] == "verify" and e["id"] == activity_id)
    assert entry["verified"] is False


def test_verify_inbox_accepts_a_draft_cavage_signature(
    fedify_peer: FedifyPeer, remote: RemoteActor
) -> None:
    activity = {
        "@context": AS,
        "id": new_id(remote, "likes"),
        "type": "Like",
        "actor": remote.id,
        "object": fedify_peer.actor_url,
    }
    response = remote.post(fedify_peer.verify_url, activity)

    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["verified"] is True
    assert answer["spec"] == "draft-cavage-http-signatures-12"
    assert answer["keyId"] == remote.key_id
    assert answer["owner"] == remote.id

    # The same signature over another body: the digest no longer matches.
    body = json.dumps(activity).encode()
    headers = sign_draft_cavage("POST", fedify_peer.verify_url, body, remote.key, remote.key_id)
    tampered = body.replace(b"Like", b"Undo")
    response = httpx.post(
        fedify_peer.verify_url, content=tampered, headers=headers, timeout=30, trust_env=False
    )
    assert response.status_code == 401
    assert response.json()["reason"].startswith("invalidSignature")
    assert any("digest mismatch" in line for line in response.json()["details"])


def test_inbox_records_verified_activities_and_accepts_follows(
    fedify_peer: FedifyPeer, remote: RemoteActor
) -> None:
    note_id = new_id(remote, "notes")
    create = {
        "@context": AS,
        "id": new_id(remote, "creates"),
        "type": "Create",
        "actor": remote.id,
        "to": [fedify_peer.actor_url],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": remote.id,
            "to": [fedify_peer.actor_url],
            "content": "<p>Hello, Fedify</p>",
        },
    }
    assert remote.post(fedify_peer.inbox_url, create).status_code == 202
    entry = fedify_peer.wait_for(lambda e: e["kind"] == "inbox" and e["id"] == create["id"])
    assert entry["type"] == "Create"
    assert entry["actor"] == remote.id
    assert entry["inbox"] == "fedi"
    assert entry["object"] == note_id
    assert entry["content"] == "<p>Hello, Fedify</p>"
    assert entry["raw"] == create

    follow = {
        "@context": AS,
        "id": new_id(remote, "follows"),
        "type": "Follow",
        "actor": remote.id,
        "object": fedify_peer.actor_url,
    }
    assert remote.post(fedify_peer.shared_inbox_url, follow).status_code == 202
    entry = fedify_peer.wait_for(lambda e: e["kind"] == "inbox" and e["id"] == follow["id"])
    assert entry["inbox"] == "shared"
    accepts = remote.wait_received("Accept")
    assert any(a["object"]["id"] == follow["id"] for a in accepts), accepts

    # A forged sender: signed by our key but claiming another actor.
    forged = dict(create, id=new_id(remote, "creates"), actor=f"{remote.base}/someone-else")
    assert remote.post(fedify_peer.inbox_url, forged).status_code == 401
    entry = fedify_peer.wait_for(lambda e: e["kind"] == "unverified" and e["id"] == forged["id"])
    assert entry["reason"]


def test_admin_follow_note_and_unfollow_reach_a_remote_inbox(
    fedify_peer: FedifyPeer, remote: RemoteActor
) -> None:
    follow_id = fedify_peer.follow(remote.id)
    follows = remote.wait_received("Follow")
    assert any(f["id"] == follow_id and f["object"] == remote.id for f in follows), follows

    note_id = fedify_peer.note(remote.id, "a <small> test")
    creates = [c for c in remote.wait_received("Create") if c["object"]["id"] == note_id]
    assert len(creates) == 1, creates
    note = creates[0]["object"]
    assert note["attributedTo"] == fedify_peer.actor_url
    assert "a &lt;small&gt; test" in note["content"]
    assert {"type": "Mention", "href": remote.id, "name": "@t@" + urlsplit(remote.id).netloc} in (
        note["tag"] if isinstance(note["tag"], list) else [note["tag"]]
    )
    assert PUBLIC in json.dumps(creates[0]) or "as:Public" in json.dumps(creates[0])
    assert fedify_peer.lookup(note_id)["id"] == note_id  # the note is dereferenceable

    undo_id = fedify_peer.unfollow(remote.id)
    undos = [u for u in remote.wait_received("Undo") if u["id"] == undo_id]
    assert undos and undos[0]["object"]["id"] == follow_id
    sent = [e for e in fedify_peer.log() if e["kind"] == "sent"]
    assert {follow_id, undo_id} <= {e["id"] for e in sent}
