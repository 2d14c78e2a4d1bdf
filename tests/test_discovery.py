"""WebFinger, host-meta, NodeInfo, actors and collections through the real app."""

from __future__ import annotations

import httpx
import pytest

from fediverse_skills.services import accounts
from fediverse_skills.services.context import Federation
from fediverse_skills.services.outbox import publish_note
from fediverse_skills.store.db import Database

AS = {"Accept": "application/activity+json"}


@pytest.fixture
async def alice(db: Database) -> accounts.User:
    return await accounts.create_user(db, "alice")


async def test_webfinger_acct_and_actor_url(client: httpx.AsyncClient, alice: object) -> None:
    for resource in (
        "acct:alice@testserver",
        "acct:Alice@TestServer",
        "http://testserver/users/alice",
        "http://testserver/@alice",
    ):
        answer = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert answer.status_code == 200, resource
        assert answer.headers["content-type"].startswith("application/jrd+json")
        assert answer.headers["access-control-allow-origin"] == "*"
        doc = answer.json()
        assert doc["subject"] == "acct:alice@testserver"
        selfs = [link for link in doc["links"] if link["rel"] == "self"]
        assert selfs == [
            {
                "rel": "self",
                "type": "application/activity+json",
                "href": "http://testserver/users/alice",
            }
        ]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"resource": ""}, 400),
        ({"resource": "alice"}, 400),
        ({"resource": "acct:alice"}, 400),
        ({"resource": "acct:bob@testserver"}, 404),
        ({"resource": "acct:alice@elsewhere.example"}, 404),
    ],
)
async def test_webfinger_errors(
    client: httpx.AsyncClient, alice: object, params: dict[str, str], status: int
) -> None:
    answer = await client.get("/.well-known/webfinger", params=params)
    assert answer.status_code == status
    assert "error" in answer.json()
    assert answer.headers["access-control-allow-origin"] == "*"


async def test_host_meta(client: httpx.AsyncClient) -> None:
    xrd = await client.get("/.well-known/host-meta")
    assert xrd.headers["content-type"].startswith("application/xrd+xml")
    assert 'template="http://testserver/.well-known/webfinger?resource={uri}"' in xrd.text
    as_json = await client.get("/.well-known/host-meta.json")
    assert as_json.json()["links"][0]["rel"] == "lrdd"


async def test_nodeinfo_counts_real_usage(
    client: httpx.AsyncClient, db: Database, alice: accounts.User, settings: object
) -> None:
    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    assert links[0]["href"] == "http://testserver/nodeinfo/2.1"
    doc = (await client.get("/nodeinfo/2.1")).json()
    assert doc["version"] == "2.1"
    assert doc["protocols"] == ["activitypub"]
    assert doc["usage"]["users"]["total"] == 1
    assert doc["usage"]["localPosts"] == 0
    assert doc["usage"]["users"]["activeMonth"] == 0


async def test_actor_document_has_what_mastodon_and_fedify_read(
    client: httpx.AsyncClient, alice: accounts.User
) -> None:
    answer = await client.get("/users/alice", headers=AS)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/activity+json"
    assert answer.headers["vary"] == "Accept"
    actor = answer.json()
    context = actor["@context"]
    for needed in (
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ):
        assert needed in context
    assert actor["id"] == "http://testserver/users/alice"
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "alice"
    assert actor["inbox"] == "http://testserver/users/alice/inbox"
    assert actor["endpoints"]["sharedInbox"] == "http://testserver/inbox"
    assert actor["publicKey"]["id"] == "http://testserver/users/alice#main-key"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert actor["publicKey"]["publicKeyPem"] == alice.rsa_public_pem
    (method,) = actor["assertionMethod"]
    assert method["type"] == "Multikey"
    assert method["id"] == "http://testserver/users/alice#ed25519-key"
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert "PRIVATE" not in answer.text


async def test_ld_json_with_profile_gets_as2(client: httpx.AsyncClient, alice: object) -> None:
    accept = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    answer = await client.get("/users/alice", headers={"Accept": accept})
    assert answer.headers["content-type"] == "application/activity+json"


async def test_browsers_get_html_from_the_actor_url(
    client: httpx.AsyncClient, alice: object
) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    answer = await client.get("/users/alice", headers={"Accept": accept})
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["vary"] == "Accept"
    assert "@alice@testserver" in answer.text
    # Mastodon's Accept (AS2 first, html with q=0.1) gets JSON.
    mastodon = "application/activity+json, application/ld+json, text/html;q=0.1"
    answer = await client.get("/users/alice", headers={"Accept": mastodon})
    assert answer.headers["content-type"] == "application/activity+json"


async def test_unknown_actor_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/users/nobody", headers=AS)).status_code == 404
    assert (await client.get("/users/nobody/outbox", headers=AS)).status_code == 404


async def test_instance_actor_signs_our_gets(client: httpx.AsyncClient) -> None:
    actor = (await client.get("/actor", headers=AS)).json()
    assert actor["type"] == "Application"
    assert actor["publicKey"]["id"] == "http://testserver/actor#main-key"
    assert "PRIVATE" not in str(actor)


async def test_outbox_is_a_paged_collection(
    client: httpx.AsyncClient, alice: accounts.User, fed: Federation
) -> None:
    empty = (await client.get("/users/alice/outbox", headers=AS)).json()
    assert empty["type"] == "OrderedCollection"
    assert empty["totalItems"] == 0
    assert "first" not in empty
    for i in range(25):
        await publish_note(fed, alice, f"note {i}")
    outbox = (await client.get("/users/alice/outbox", headers=AS)).json()
    assert outbox["totalItems"] == 25
    first = (await client.get(outbox["first"], headers=AS)).json()
    assert first["type"] == "OrderedCollectionPage"
    assert len(first["orderedItems"]) == 20
    assert first["orderedItems"][0]["type"] == "Create"
    assert first["orderedItems"][0]["object"]["content"] == "<p>note 24</p>"
    second = (await client.get(first["next"], headers=AS)).json()
    assert len(second["orderedItems"]) == 5
    assert "next" not in second
    # Each Create and Note is served at its id.
    create = first["orderedItems"][0]
    served = (await client.get(create["id"], headers=AS)).json()
    assert served["object"]["id"] == create["object"]["id"]
    note = (await client.get(create["object"]["id"], headers=AS)).json()
    assert note["attributedTo"] == "http://testserver/users/alice"
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]


async def test_paging_rejects_nonsense(client: httpx.AsyncClient, alice: object) -> None:
    for page in ("0", "-1", "x", "999999999"):
        answer = await client.get(f"/users/alice/followers?page={page}", headers=AS)
        assert answer.status_code == 400
