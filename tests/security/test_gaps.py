"""Rows of the shared adversarial-case table that had no test of their own (see
docs/security.md). Each test goes through the real app over ASGI."""

from __future__ import annotations

import io
import json
import re

from PIL import Image

from fediverse_skills.config import Settings
from fediverse_skills.services.accounts import create_user
from fediverse_skills.store.db import Database
from tests.security.conftest import StartServer, running_app
from tests.security.remote import RemoteActor, rsa_key
from tests.test_web_pages import Browser, community, csrf_of, new_browser  # noqa: F401

AS_ACCEPT = {"Accept": "application/activity+json"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


async def test_own_upload_is_never_served_as_activitystreams(
    new_browser: Browser,  # noqa: F811
    db: Database,
) -> None:
    """FEP-96ff / Akkoma 3.12: an upload named and typed as ActivityStreams JSON is stored
    as an image under a generated name, and served as an image whatever the Accept header.
    An upload whose bytes are JSON is refused."""
    (alice,) = await community(new_browser, db, "alice")
    actor_json = json.dumps(
        {"@context": "https://www.w3.org/ns/activitystreams", "id": "x", "type": "Person"}
    ).encode()
    page = await alice.get("/settings")
    refused = await alice.post(
        "/settings/avatar",
        data={"csrf": csrf_of(page)},
        files={"avatar": ("actor.json", actor_json, "application/activity+json")},
    )
    assert refused.status_code == 400, refused.text

    page = await alice.get("/settings")
    answer = await alice.post(
        "/settings/avatar",
        data={"csrf": csrf_of(page)},
        files={"avatar": ("actor.json", _png(), "application/activity+json")},
    )
    assert answer.status_code == 303, answer.text
    actor = (await alice.get("/users/alice", headers=AS_ACCEPT)).json()
    url = actor["icon"]["url"]
    assert re.fullmatch(r"http://testserver/media/[0-9a-f]{32}\.png", url)
    path = url.removeprefix("http://testserver")
    for accept in (
        AS_ACCEPT,
        {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'},
        {"Accept": "application/json"},
    ):
        served = await alice.get(path, headers=accept)
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(served.content)).format == "PNG"
    # The original name is not a way in either.
    for guess in ("/media/actor.json", path.removesuffix(".png") + ".json"):
        missing = await alice.get(guess, headers=AS_ACCEPT)
        assert missing.status_code == 404
        assert "activity+json" not in missing.headers.get("content-type", "")


async def test_an_accepted_activity_survives_a_restart_before_it_is_processed(
    settings: Settings, db: Database, servers: StartServer
) -> None:
    """Durable accept, short of SIGKILL: the app answers 202 and shuts down before its worker
    runs. A new app on the same database processes the activity."""
    await create_user(db, "alice")
    remote = await servers("127.0.0.1")
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    bob.publish()
    settings = settings.replace(allow_private_addresses=True)
    create = bob.create(bob.note("kept across a restart"))
    async with running_app(settings, db) as first:
        answer = await first.deliver(bob, create)
        assert answer.status_code == 202, answer.text
        assert await first.inbox_states() == [(create["id"], "pending", None)]
    async with running_app(settings, db) as second:
        assert await second.process() == 1
        assert await second.inbox_states() == [(create["id"], "done", None)]
        [(content,)] = await second.rows(
            "SELECT content FROM remote_objects WHERE uri = :uri", uri=create["object"]["id"]
        )
        assert content == "kept across a restart"


async def test_spoofed_forwarded_for_does_not_move_the_sign_in_rate_limit(
    new_browser: Browser,  # noqa: F811
    db: Database,
) -> None:
    """CVE-2023-49952: X-Forwarded-For is not trusted (serve runs uvicorn without proxy
    headers), so an attacker cannot dodge the per-address limit by inventing addresses."""
    await community(new_browser, db, "alice")
    attacker = await new_browser()
    page = await attacker.get("/login")
    token = csrf_of(page)
    for i in range(30):  # different names, so only the per-address limit can trip
        answer = await attacker.post(
            "/login",
            data={"csrf": token, "username": f"guess{i}", "password": "wrong password"},
            headers={"X-Forwarded-For": f"203.0.113.{i}", "X-Real-IP": f"198.51.100.{i}"},
        )
        assert answer.status_code == 400, answer.text
    limited = await attacker.post(
        "/login",
        data={"csrf": token, "username": "alice", "password": "wrong password"},
        headers={"X-Forwarded-For": "192.0.2.77"},
    )
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in limited.text
