"""Authorized fetch against Fedify 2.3.6, a real independent implementation: with
``FEDSKILLS_AUTHORIZED_FETCH=true`` our instance refuses Fedify's unsigned GETs, serves its
signed ones (Fedify signs with its own key, which we fetch and verify), and keeps the actor
readable so Fedify can always get our keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.instances import Instance
from tests.peers.fedify import FedifyPeer, FedifyPeerError

pytestmark = pytest.mark.slow


@pytest.fixture
def secure(tmp_path: Path) -> Iterator[Instance]:
    inst = Instance(tmp_path / "secure", extra_env={"AUTHORIZED_FETCH": "true"}).setup("alice")
    try:
        yield inst.start()
    finally:
        inst.stop()


def test_fedify_reads_us_only_with_signed_fetches(
    secure: Instance, fedify_peer: FedifyPeer
) -> None:
    alice = f"{secure.url}/users/alice"
    posted = secure.api("alice", "/api/v1/notes", {"content": "Only for signed readers"})
    assert posted.status_code == 201, posted.text
    note = posted.json()["uri"]

    # The actor (and its keys) stays readable without a signature.
    assert fedify_peer.lookup(alice)["id"] == alice

    # Unsigned, the note is refused; our server says why.
    with pytest.raises(FedifyPeerError):
        fedify_peer.lookup(note)
    plain = httpx.get(note, headers={"Accept": "application/activity+json"})
    assert plain.status_code == 401
    assert "authorized fetch" in plain.json()["error"]

    # Signed by Fedify's actor, it is served, and so is the outbox.
    found = fedify_peer.lookup(note, signed=True)
    assert found["id"] == note
    assert "Only for signed readers" in str(found.get("content"))
    outbox = fedify_peer.lookup(f"{alice}/outbox", signed=True)
    assert outbox["id"] == f"{alice}/outbox"
    # We fetched Fedify's key to check its signature.
    cached = secure.query("SELECT uri FROM remote_actors WHERE uri = :u", u=fedify_peer.actor_url)
    assert cached == [(fedify_peer.actor_url,)]
