"""The admin pages through the real app (ASGI, lifespan, both databases): accounts
(suspend, delete), domain blocks, reports received as Flag activities, instance settings
and invites. People sign up and in through the real forms, CSRF token included."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image
from sqlalchemy import select
from starlette.types import Receive, Scope, Send

from fediverse_skills.app import create_app
from fediverse_skills.config import Settings
from fediverse_skills.services import (
    accounts,
    avatars,
    blocks,
    inbox,
    moderation,
    outbox,
    site,
    tokens,
)
from fediverse_skills.services import endorsements as endorsement_service
from fediverse_skills.services import follows as follow_service
from fediverse_skills.services import skills as skill_service
from fediverse_skills.services import suggestions as suggestion_service
from fediverse_skills.services.context import Federation
from fediverse_skills.store import actors, follows
from fediverse_skills.store import users as users_store
from fediverse_skills.store.actors import RemoteActor as CachedActor
from fediverse_skills.store.db import Database
from fediverse_skills.store.tables import (
    api_tokens,
    deliveries,
    endorsements,
    media,
    notes,
    notifications,
    outgoing_activities,
    skills,
    suggestions,
    users,
    web_sessions,
)
from fediverse_skills.store.tables import follows as follows_table
from tests.security.remote import RemoteActor, RemoteServer, body_of, rsa_key, signed_headers

PASSWORD = "correct horse battery"
AS2 = {"Accept": "application/activity+json"}
PAGES = ["/admin", "/admin/users", "/admin/domains", "/admin/reports", "/admin/settings"]
POSTS = [
    "/admin/users/bob/suspend",
    "/admin/users/bob/unsuspend",
    "/admin/users/bob/delete",
    "/admin/domains",
    "/admin/domains/spam.example/unblock",
    "/admin/reports/1/resolve",
    "/admin/settings",
    "/admin/invites",
]


# ----------------------------------------------------------------------------- the app


@dataclass
class Instance:
    """The running app; each ``browser()`` is a separate cookie jar (a separate person)."""

    fed: Federation
    db: Database
    transport: httpx.ASGITransport
    base_url: str
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def browser(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=self.transport, base_url=self.base_url)
        self.clients.append(client)
        return client


@pytest.fixture
async def peer() -> AsyncIterator[RemoteServer]:
    """Another fediverse server on 127.0.0.1 (it outlives the app, see ``instance``)."""
    server = await RemoteServer(("127.0.0.1",)).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def instance(settings: Settings, db: Database, peer: RemoteServer) -> AsyncIterator[Instance]:
    app = create_app(settings.replace(allow_private_addresses=True), run_worker=False)
    state: dict[str, Any] = {}

    async def capture(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            state.update(app_state=scope["state"])
        await app(scope, receive, send)

    async with LifespanManager(capture) as manager:
        fed = state["app_state"]["fed"]
        assert isinstance(fed, Federation)
        running = Instance(fed, db, httpx.ASGITransport(app=manager.app), settings.base_url)
        try:
            yield running
        finally:
            for client in running.clients:
                await client.aclose()


# ----------------------------------------------------------------------------- forms


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def submit(
    client: httpx.AsyncClient, page_url: str, action: str, fields: dict[str, str] | None = None
) -> httpx.Response:
    """Load ``page_url`` like a browser, then post a form to ``action`` with ``fields``
    and the page's CSRF token."""
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"csrf": csrf_of(page), **(fields or {})})


async def sign_up(client: httpx.AsyncClient, name: str, **extra: str) -> httpx.Response:
    fields = {"username": name, "password": PASSWORD, "password2": PASSWORD, **extra}
    return await submit(client, "/signup", "/signup", fields)


async def sign_in(client: httpx.AsyncClient, name: str) -> httpx.Response:
    return await submit(client, "/login", "/login", {"username": name, "password": PASSWORD})


def text_of(page: httpx.Response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def field_error(page: httpx.Response, name: str) -> str:
    """The error shown next to the field whose error element is ``e-<name>``."""
    found = re.search(rf'<p class="error" id="e-{re.escape(name)}">([^<]*)</p>', page.text)
    assert found, f"no error next to {name}"
    return unescape(found.group(1))


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.labels: set[str] = set()
        self.inputs: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "style" in found:
            self.problems.append(f"inline style on <{tag}>")
        if tag == "script" and not found.get("src"):
            self.problems.append("inline script")
        if tag == "h1":
            self.h1 += 1
        if tag == "th" and found.get("scope") not in ("col", "row"):
            self.problems.append("a <th> without scope")
        if tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        if tag in ("input", "textarea", "select") and found.get("type") not in ("hidden",):
            if tag == "input" and found.get("id") == "q":
                return  # the search box in the header (labelled as well)
            self.inputs.append(str(found.get("id")))
        if tag == "button" and found.get("type") != "submit":
            self.problems.append("a button without type=submit")


def assert_accessible(page: httpx.Response) -> None:
    parser = _Markup()
    parser.feed(page.text)
    assert parser.h1 == 1, "one h1 per page"
    assert parser.problems == []
    unlabelled = [i for i in parser.inputs if i not in parser.labels]
    assert unlabelled == [], f"inputs without a label: {unlabelled}"


async def community(instance: Instance, *names: str) -> list[httpx.AsyncClient]:
    """Signed-in browsers for ``names``; the first signs up first and is the admin."""
    found = []
    for i, name in enumerate(names):
        if i == 1:
            await site.update(instance.db, registrations="open")
        client = instance.browser()
        answer = await sign_up(client, name)
        assert answer.status_code == 303, answer.text
        found.append(client)
    return found


async def user_row(db: Database, name: str) -> Any:
    async with db.connection() as conn:
        return (await conn.execute(select(users).where(users.c.username == name))).one_or_none()


# ----------------------------------------------------------------------------- access


async def test_admin_pages_need_an_admin(instance: Instance) -> None:
    admin, bob = await community(instance, "alice", "bob")
    anonymous = instance.browser()
    for path in PAGES:
        away = await anonymous.get(path)
        assert away.status_code == 303, path
        assert away.headers["location"] == f"/login?next={path}"
        assert (await bob.get(path)).status_code == 403, path
        page = await admin.get(path)
        assert page.status_code == 200, path
        assert page.headers["cache-control"] == "no-store"
        assert_accessible(page)
        assert 'aria-current="page"' in page.text
    # Forms: anonymous and non-admin POSTs with a valid CSRF token are refused too.
    anonymous_token = csrf_of(await anonymous.get("/login"))
    bob_token = csrf_of(await bob.get("/settings"))
    for path in POSTS:
        refused = await anonymous.post(path, data={"csrf": anonymous_token, "confirm": "bob"})
        assert refused.status_code == 401, path
        forbidden = await bob.post(path, data={"csrf": bob_token, "confirm": "bob"})
        assert forbidden.status_code == 403, path
    bob_row = await user_row(instance.db, "bob")
    assert bob_row is not None and bob_row.suspended_at is None
    # The header links admins (only) to the admin pages.
    assert 'href="/admin"' in (await admin.get("/")).text
    assert 'href="/admin"' not in (await bob.get("/")).text


async def test_posts_without_the_csrf_token_change_nothing(instance: Instance) -> None:
    (admin,) = await community(instance, "alice")
    await site.update(instance.db, registrations="open")
    assert (await sign_up(instance.browser(), "bob")).status_code == 303
    await admin.get("/admin/users")  # the browser has its CSRF cookie
    for path, data in [
        ("/admin/users/bob/suspend", {}),
        ("/admin/users/bob/delete", {"confirm": "bob"}),
        ("/admin/domains", {"domain": "spam.example"}),
        ("/admin/settings", {"registrations": "closed"}),
        ("/admin/invites", {}),
    ]:
        missing = await admin.post(path, data={**data, "other": "field"})
        assert missing.status_code == 403, path
        forged = await admin.post(path, data={**data, "csrf": "x" * 43})
        assert forged.status_code == 403, path
    bob_row = await user_row(instance.db, "bob")
    assert bob_row is not None and bob_row.suspended_at is None
    assert await blocks.listing(instance.db) == []
    assert (await site.load(instance.db)).registrations == "open"
    assert await site.recent_invites(instance.db) == []


# ----------------------------------------------------------------------------- accounts


async def test_suspending_ends_sessions_tokens_and_the_profile_until_lifted(
    instance: Instance,
) -> None:
    admin, bob = await community(instance, "alice", "bob")
    token = {"Authorization": f"Bearer {(await tokens.create_token(instance.db, 'bob')).token}"}
    assert (await bob.get("/settings")).status_code == 200
    assert (await bob.get("/api/v1/me", headers=token)).status_code == 200

    done = await submit(admin, "/admin/users", "/admin/users/bob/suspend")
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/users?done=suspended#u-bob"
    listed = await admin.get("/admin/users?done=suspended")
    assert "The account is suspended." in text_of(listed)
    assert "Suspended since" in text_of(listed)
    assert 'aria-label="Unsuspend @bob"' in listed.text

    assert (await bob.get("/settings")).headers["location"] == "/login?next=/settings"
    assert (await bob.get("/@bob")).status_code == 410
    actor = await instance.browser().get("/users/bob", headers=AS2)
    assert actor.status_code == 410 and actor.json() == {"error": "This account is suspended."}
    assert (await bob.get("/api/v1/me", headers=token)).status_code == 401
    refused = await sign_in(instance.browser(), "bob")
    assert refused.status_code == 400
    assert "This account is suspended." in text_of(refused)

    lifted = await submit(admin, "/admin/users", "/admin/users/bob/unsuspend")
    assert lifted.headers["location"] == "/admin/users?done=unsuspended#u-bob"
    assert (await sign_in(bob, "bob")).status_code == 303
    assert (await bob.get("/settings")).status_code == 200
    assert (await bob.get("/@bob")).status_code == 200
    assert (await instance.browser().get("/users/bob", headers=AS2)).status_code == 200
    assert (await bob.get("/api/v1/me", headers=token)).status_code == 200


async def test_an_admin_cannot_suspend_or_delete_themselves(instance: Instance) -> None:
    (admin,) = await community(instance, "alice")
    page = await admin.get("/admin/users")
    assert "This is you" in text_of(page)
    assert "/admin/users/alice/suspend" not in page.text  # no button for oneself
    token = csrf_of(page)
    own = await admin.post("/admin/users/alice/suspend", data={"csrf": token})
    assert own.status_code == 400
    assert "You cannot suspend your own account." in text_of(own)
    gone = await admin.post("/admin/users/alice/delete", data={"csrf": token, "confirm": "alice"})
    assert gone.status_code == 400
    assert "You cannot delete your own account." in text_of(gone)
    row = await user_row(instance.db, "alice")
    assert row is not None and row.suspended_at is None
    assert (await admin.get("/admin")).status_code == 200  # still signed in
    unknown = await admin.post("/admin/users/nobody/suspend", data={"csrf": token})
    assert unknown.status_code == 404


async def _remote_follower_of(db: Database, followee: str, uri: str) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        await actors.upsert(
            conn,
            CachedActor(
                uri=uri,
                host="remote.example",
                type="Person",
                username="r",
                name="r",
                inbox=f"{uri}/inbox",
                shared_inbox="https://remote.example/inbox",
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


async def _bobs_rows(db: Database, user_id: int, actor: str) -> dict[str, int]:
    """How many rows of each table still belong to (or name) the person."""
    checks = {
        "skills": select(skills).where(skills.c.user_id == user_id),
        "notes": select(notes).where(notes.c.user_id == user_id),
        "api_tokens": select(api_tokens).where(api_tokens.c.user_id == user_id),
        "web_sessions": select(web_sessions).where(web_sessions.c.user_id == user_id),
        "media": select(media).where(media.c.user_id == user_id),
        "endorsements": select(endorsements).where(
            (endorsements.c.subject_user_id == user_id)
            | (endorsements.c.endorser_user_id == user_id)
        ),
        "suggestions": select(suggestions).where(
            (suggestions.c.subject_user_id == user_id) | (suggestions.c.author_user_id == user_id)
        ),
        "notifications": select(notifications).where(
            (notifications.c.user_id == user_id) | (notifications.c.actor == actor)
        ),
        "follows": select(follows_table).where(
            (follows_table.c.follower == actor) | (follows_table.c.followee == actor)
        ),
    }
    async with db.connection() as conn:
        return {name: len((await conn.execute(q)).all()) for name, q in checks.items()}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


async def test_deleting_needs_the_username_typed_and_tells_followers(
    instance: Instance,
) -> None:
    admin, bob = await community(instance, "alice", "bob")
    fed = instance.fed
    bob_actor = "http://testserver/users/bob"
    alice_actor = "http://testserver/users/alice"
    await _remote_follower_of(instance.db, bob_actor, "https://remote.example/users/r")
    # Bob holds something of every kind: skills, endorsements and suggestions both ways,
    # a note, an avatar, an API token, and a follow of alice.
    alice_user = await accounts.get_user(instance.db, "alice")
    bob_user = await accounts.get_user(instance.db, "bob")
    assert alice_user is not None and bob_user is not None
    await skill_service.declare(fed, bob_user, "Rust")
    await skill_service.declare(fed, alice_user, "Go")
    await endorsement_service.endorse(fed, alice_user, bob_actor, "Rust")
    await endorsement_service.endorse(fed, bob_user, alice_actor, "Go")
    await suggestion_service.suggest(fed, alice_user, bob_actor, "Haskell")
    await suggestion_service.suggest(fed, bob_user, alice_actor, "Python")
    _, create = await outbox.publish_note(fed, bob_user, "Hello")
    create_path = create["id"].removeprefix("http://testserver")
    assert (await instance.browser().get(create_path, headers=AS2)).status_code == 200
    bob_user = await avatars.upload(fed, bob_user, _png())
    await tokens.create_token(instance.db, "bob")
    await follow_service.follow(fed, bob_user, alice_actor)
    before = await _bobs_rows(instance.db, bob_user.id, bob_actor)
    assert all(before.values()), before

    wrong = await submit(admin, "/admin/users", "/admin/users/bob/delete", {"confirm": "bobby"})
    assert wrong.status_code == 400
    assert field_error(wrong, "confirm-bob") == "Type the username bob to confirm the deletion."
    assert 'value="bobby"' in wrong.text  # what was typed is kept
    assert re.search(r'<details class="danger" open>\s*<summary>Delete @bob', wrong.text)
    assert_accessible(wrong)
    assert (await user_row(instance.db, "bob")).deleted_at is None

    done = await submit(admin, "/admin/users", "/admin/users/bob/delete", {"confirm": "bob"})
    assert done.status_code == 303 and done.headers["location"] == "/admin/users?done=deleted"
    listed = await admin.get("/admin/users?done=deleted")
    assert "The account is deleted." in text_of(listed)
    assert "Deleted on" in text_of(listed)
    assert "/admin/users/bob/" not in listed.text  # no actions for a deleted account
    assert_accessible(listed)

    # The row stays as a tombstone, keys included; the profile is blanked.
    row = await user_row(instance.db, "bob")
    assert row is not None and row.deleted_at is not None and row.suspended_at is not None
    assert (row.display_name, row.summary, row.avatar, row.password_hash) == ("", "", None, None)
    assert row.rsa_public_pem == bob_user.rsa_public_pem and row.rsa_private_pem
    after = await _bobs_rows(instance.db, bob_user.id, bob_actor)
    assert after == dict.fromkeys(before, 0)
    async with instance.db.connection() as conn:  # alice keeps her own skill
        assert len((await conn.execute(select(skills))).all()) == 1

    # Gone for everyone: the profile and the actor say 410, WebFinger does not know it.
    assert (await admin.get("/@bob")).status_code == 410
    actor = await instance.browser().get("/users/bob", headers=AS2)
    assert actor.status_code == 410 and actor.json() == {"error": "This account was deleted."}
    finger = await instance.browser().get(
        "/.well-known/webfinger", params={"resource": "acct:bob@testserver"}
    )
    assert finger.status_code == 404
    assert (await bob.get("/settings")).status_code == 303  # the session is gone
    # What it sent before stays queued for delivery but is no longer served.
    assert (await instance.browser().get(create_path, headers=AS2)).status_code == 404
    assert (await instance.browser().get("/users/bob/outbox", headers=AS2)).status_code == 404

    # The Delete is signed by bob (his key stays with the row) and queued to the
    # follower's shared inbox.
    async with instance.db.connection() as conn:
        sent = (
            await conn.execute(
                select(outgoing_activities).where(outgoing_activities.c.type == "Delete")
            )
        ).all()
        queued = (
            await conn.execute(select(deliveries).where(deliveries.c.activity_id == sent[0].id))
        ).all()
    assert [(a.type, a.user_id) for a in sent] == [("Delete", bob_user.id)]
    body = json.loads(sent[0].body)
    assert body["actor"] == bob_actor and body["object"] == bob_actor
    assert body["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert body["cc"] == [f"{bob_actor}/followers"]
    assert body["id"].startswith(bob_actor + "/activities/")
    assert [(d.inbox, d.state) for d in queued] == [("https://remote.example/inbox", "pending")]

    # The name stays taken, sign-in fails like a wrong password, nothing can be lifted.
    again = await sign_up(instance.browser(), "bob")
    assert again.status_code == 400
    assert field_error(again, "username") == "That username is taken. Choose another."
    refused = await sign_in(instance.browser(), "bob")
    assert refused.status_code == 400
    assert "That username and password do not match." in text_of(refused)
    assert "suspended" not in text_of(refused)
    with pytest.raises(moderation.ModerationError, match="was deleted"):
        await moderation.suspend(fed, alice_user, "bob")
    with pytest.raises(moderation.ModerationError, match="was deleted"):
        await moderation.delete(fed, alice_user, "bob", "bob")
    lift = await admin.post("/admin/users/bob/unsuspend", data={"csrf": csrf_of(listed)})
    assert lift.status_code == 400
    assert "The account bob was deleted; there is nothing left to unsuspend." in text_of(lift)

    # Hidden from the landing page, search and NodeInfo's count; the admin still lists it.
    assert "@bob" not in text_of(await instance.browser().get("/"))
    assert [u.username for u in await accounts.recent_people(instance.db)] == ["alice"]
    async with instance.db.connection() as conn:
        assert await users_store.search(conn, "bob") == []
    nodeinfo = await instance.browser().get("/nodeinfo/2.1")
    assert nodeinfo.json()["usage"]["users"]["total"] == 1

    # Nothing new is stored for it: a Follow arriving now is ignored.
    follow = {
        "id": "https://remote.example/users/r/follows/2",
        "type": "Follow",
        "actor": "https://remote.example/users/r",
        "object": bob_actor,
    }
    assert await follow_service.on_follow(fed, follow) == "ignored: not a follow of a local account"
    assert [u.username for u in (await moderation.people(fed))[0]] == ["alice", "bob"]


# ----------------------------------------------------------------------------- domains


async def _inbox_post_from(instance: Instance, actor: str) -> httpx.Response:
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/1",
        "type": "Create",
        "actor": actor,
        "object": f"{actor}/notes/1",
    }
    return await instance.browser().post(
        "/inbox",
        content=json.dumps(activity).encode(),
        headers={"Content-Type": "application/activity+json"},
    )


async def test_domain_blocks_cover_subdomains_at_once_and_can_be_lifted(
    instance: Instance,
) -> None:
    (admin,) = await community(instance, "alice")
    subdomain_actor = "https://social.spam.example/users/x"
    unsigned = await _inbox_post_from(instance, subdomain_actor)
    assert unsigned.status_code == 401  # not blocked: refused for the missing signature

    done = await submit(
        admin, "/admin/domains", "/admin/domains", {"domain": " Spam.Example. ", "reason": "spam"}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/domains?done=blocked#d-spam.example"
    page = await admin.get("/admin/domains?done=blocked")
    assert "Blocked." in text_of(page)
    assert re.search(r'<th scope="row">spam\.example</th>\s*<td>spam</td>', page.text)
    assert 'aria-label="Unblock spam.example"' in page.text
    assert_accessible(page)
    # Effective at once in this process, for the domain and its subdomains.
    blocked = await instance.fed.blocked_domains()
    assert blocks.is_blocked("social.spam.example", blocked)
    assert not blocks.is_blocked("notspam.example", blocked)
    refused = await _inbox_post_from(instance, subdomain_actor)
    assert refused.status_code == 403 and refused.json() == {"error": "the domain is blocked"}

    for typed in ("not a domain!", "spam.example/path", "a..b"):
        bad = await submit(
            admin, "/admin/domains", "/admin/domains", {"domain": typed, "reason": "why"}
        )
        assert bad.status_code == 400, typed
        assert "not a domain name" in field_error(bad, "domain")
        assert f'value="{typed}"' in bad.text.replace("&#34;", '"')  # what was typed is kept
        assert ">why</textarea>" in bad.text
    empty = await submit(admin, "/admin/domains", "/admin/domains", {"domain": ""})
    assert field_error(empty, "domain") == "Enter a domain name, such as spam.example."
    own = await submit(admin, "/admin/domains", "/admin/domains", {"domain": "testserver"})
    assert own.status_code == 400
    assert field_error(own, "domain") == "That is this instance's own domain."

    lifted = await submit(admin, "/admin/domains", "/admin/domains/spam.example/unblock")
    assert lifted.headers["location"] == "/admin/domains?done=unblocked"
    assert "No domain is blocked." in text_of(await admin.get("/admin/domains"))
    assert (await _inbox_post_from(instance, subdomain_actor)).status_code == 401
    again = await submit(admin, "/admin/domains", "/admin/domains/spam.example/unblock")
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://Mastodon.Example/@someone", "mastodon.example"),
        ("*.spam.example", "spam.example"),
        ("spam.example:8443", "spam.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("127.0.0.2", "127.0.0.2"),
        ("localhost.", "localhost"),
    ],
)
def test_domains_are_stored_as_host_names(typed: str, stored: str) -> None:
    assert blocks.normalise_domain(typed) == stored


# ----------------------------------------------------------------------------- reports


async def test_a_flag_from_another_server_becomes_a_report_to_resolve(
    instance: Instance, peer: RemoteServer
) -> None:
    admin, _bob = await community(instance, "alice", "bob")
    moderator = RemoteActor(peer, "/users/mod", rsa_key(0))
    moderator.publish()
    post = "https://elsewhere.example/notes/7"
    flag = moderator.activity(
        "Flag",
        ["http://testserver/users/bob", post, {"id": "javascript:alert(1)"}, 42],
        content="Spam <b>everywhere</b>",
    )
    body = body_of(flag)
    sent = await instance.browser().post(
        "/inbox", content=body, headers=signed_headers(body, key_id=moderator.key_id,
                                                       key=moderator.key, path="/inbox"),
    )  # fmt: skip
    assert sent.status_code == 202, sent.text
    assert await inbox.process_due(instance.fed, "admin-test") == 1
    # Idempotent by the activity's id.
    assert await moderation.on_flag(instance.fed, flag) == "ignored: the report is already stored"

    overview = await admin.get("/admin")
    assert "1 unresolved report" in text_of(overview)
    page = await admin.get("/admin/reports")
    assert_accessible(page)
    shown = text_of(page)
    assert "Spam <b>everywhere</b>" in shown  # shown as text...
    assert "<b>everywhere" not in page.text  # ...escaped
    assert f'href="{moderator.uri}"' in page.text
    assert 'href="/@bob"' in page.text and "an account here" in shown
    assert f'href="{post}"' in page.text
    assert "javascript:" not in page.text
    assert "No unresolved reports." not in shown

    report_id = re.search(r'action="/admin/reports/(\d+)/resolve"', page.text)
    assert report_id
    path = f"/admin/reports/{report_id.group(1)}/resolve"
    done = await submit(admin, "/admin/reports", path)
    assert done.status_code == 303 and done.headers["location"] == "/admin/reports?done=resolved"
    after = await admin.get("/admin/reports?done=resolved")
    assert "The report is marked as resolved." in text_of(after)
    assert "No unresolved reports." in text_of(after)
    assert "Spam <b>everywhere</b>" in text_of(after)  # listed under Resolved
    assert (await submit(admin, "/admin/reports", path)).status_code == 404
    assert "0 unresolved reports" in text_of(await admin.get("/admin"))


# ----------------------------------------------------------------------------- settings


async def test_settings_are_checked_and_saved(instance: Instance) -> None:
    (admin,) = await community(instance, "alice")
    page = await admin.get("/admin/settings")
    assert 'id="f-registrations-invite" name="registrations" value="invite" checked' in page.text
    bad = await submit(
        admin,
        "/admin/settings",
        "/admin/settings",
        {"registrations": "sometimes", "title": "Skills of Tuesday", "description": "Hi"},
    )
    assert bad.status_code == 400
    assert field_error(bad, "registrations") == "Choose open, invite-only or closed."
    assert 'value="Skills of Tuesday"' in bad.text
    assert_accessible(bad)
    long = await submit(
        admin,
        "/admin/settings",
        "/admin/settings",
        {"registrations": "open", "title": "x" * 101, "description": ""},
    )
    assert long.status_code == 400
    assert field_error(long, "title") == "The title has at most 100 characters."
    assert (await site.load(instance.db)).registrations == "invite"

    saved = await submit(
        admin,
        "/admin/settings",
        "/admin/settings",
        {"registrations": "closed", "title": "Skills of Tuesday", "description": "A place."},
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/settings?done=saved"
    now = await site.load(instance.db)
    assert (now.registrations, now.title, now.description) == (
        "closed",
        "Skills of Tuesday",
        "A place.",
    )
    shown = await admin.get("/admin/settings?done=saved")
    assert "Saved." in text_of(shown)
    assert 'value="closed" checked' in shown.text


async def test_invite_only_sign_up_with_an_invite_made_by_the_admin(instance: Instance) -> None:
    (admin,) = await community(instance, "alice")
    chosen = await submit(
        admin,
        "/admin/settings",
        "/admin/settings",
        {"registrations": "invite", "title": "", "description": ""},
    )
    assert chosen.status_code == 303
    visitor = instance.browser()
    no_code = await sign_up(visitor, "bob")
    assert no_code.status_code == 400
    assert field_error(no_code, "invite") == "Sign-up needs an invite code on this instance."

    made = await submit(admin, "/admin/settings", "/admin/invites")
    assert made.headers["location"] == "/admin/settings?done=invite#invites"
    page = await admin.get("/admin/settings?done=invite")
    assert "A new invite code was made." in text_of(page)
    found = re.search(r"<code>([^<]+)</code>", page.text)
    assert found
    code = unescape(found.group(1))
    assert f"http://testserver/signup?invite={code}" in unescape(page.text)

    form = await visitor.get(f"/signup?invite={code}")
    assert f'value="{code}"' in unescape(form.text)  # the link fills the code in
    assert (await sign_up(visitor, "bob", invite=code)).status_code == 303
    second = await sign_up(instance.browser(), "carol", invite=code)
    assert second.status_code == 400
    assert field_error(second, "invite") == "That invite code is unknown, used or expired."
    assert await user_row(instance.db, "carol") is None
    used = text_of(await admin.get("/admin/settings"))
    assert "Yes," in used
