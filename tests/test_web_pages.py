"""The web UI over real HTTP (ASGI, the real app and database): accounts, sessions,
CSRF, the owner's pages and the visitor's forms. The same journeys run in Chromium in
tests/browser/."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image
from sqlalchemy import text

from fediverse_skills.app import create_app
from fediverse_skills.config import Settings
from fediverse_skills.services import site
from fediverse_skills.services import suggestions as suggestion_service
from fediverse_skills.services.context import Federation
from fediverse_skills.store.db import Database

TEMPLATES = Path(__file__).parents[1] / "fediverse_skills" / "web" / "templates"
PASSWORD = "correct horse battery"

Browser = Callable[[], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def new_browser(settings: Settings, db: Database) -> AsyncIterator[Browser]:
    """Each call gives a separate cookie jar (a separate person) on the same app."""
    app = create_app(settings.replace(undo_seconds=60), run_worker=False)
    clients: list[httpx.AsyncClient] = []
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)

        async def make() -> httpx.AsyncClient:
            client = httpx.AsyncClient(transport=transport, base_url=settings.base_url)
            clients.append(client)
            return client

        yield make
        for c in clients:
            await c.aclose()


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def submit(
    client: httpx.AsyncClient, page_url: str, action: str, fields: dict[str, str]
) -> httpx.Response:
    """Load ``page_url`` like a browser, then post its form with ``fields``."""
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(action, data={"csrf": csrf_of(page), **fields})


async def sign_up(client: httpx.AsyncClient, name: str, **extra: str) -> httpx.Response:
    return await submit(
        client,
        "/signup",
        "/signup",
        {"username": name, "password": PASSWORD, "password2": PASSWORD, **extra},
    )


def text_of(page: httpx.Response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


async def community(new_browser: Browser, db: Database, *names: str) -> list[httpx.AsyncClient]:
    """Signed-in browsers for ``names`` (the first is the admin); sign-up set to open."""
    found = []
    for i, name in enumerate(names):
        if i == 1:
            await site.update(db, registrations="open")
        client = await new_browser()
        answer = await sign_up(client, name)
        assert answer.status_code == 303, answer.text
        found.append(client)
    return found


# ----------------------------------------------------------------------------- accounts


async def test_landing_page_tells_a_newcomer_what_to_do(new_browser: Browser) -> None:
    client = await new_browser()
    page = await client.get("/")
    assert page.status_code == 200
    assert "Create the first account" in text_of(page)
    assert 'href="/signup"' in page.text


async def test_first_account_is_admin_and_lands_on_its_skills(
    new_browser: Browser, db: Database
) -> None:
    client = await new_browser()
    answer = await sign_up(client, "alice")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/settings/skills?done=welcome"
    cookie = answer.headers.get_list("set-cookie")
    session = next(c for c in cookie if c.startswith("fs_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    page = await client.get("/settings/skills?done=welcome")
    assert "Welcome! Add a few skills" in text_of(page)
    rows = await _query(db, "SELECT is_admin FROM users WHERE username = 'alice'")
    assert rows == [(True,)]
    home = await client.get("/")
    assert "Your next steps" in text_of(home) and 'href="/admin"' in home.text


async def test_sign_up_errors_are_shown_next_to_fields_and_keep_what_was_typed(
    new_browser: Browser, db: Database
) -> None:
    client = await new_browser()
    mismatch = await submit(
        client,
        "/signup",
        "/signup",
        {"username": "alice", "password": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert mismatch.status_code == 400
    assert 'id="e-password2"' in mismatch.text and "not the same" in mismatch.text
    assert 'value="alice"' in mismatch.text  # kept
    assert PASSWORD not in mismatch.text  # passwords are never echoed back
    weak = await submit(
        client,
        "/signup",
        "/signup",
        {"username": "alice", "password": "short", "password2": "short"},
    )
    assert weak.status_code == 400 and "at least 8 characters" in weak.text
    bad = await sign_up(client, "Not a name!")
    assert bad.status_code == 400 and 'id="e-username"' in bad.text
    assert 'value="Not a name!"' in bad.text
    long_name = await sign_up(client, "a" * 5000)
    assert long_name.status_code == 400 and "at most 30" in long_name.text
    assert await _query(db, "SELECT count(*) FROM users") == [(0,)]
    assert (await sign_up(client, "alice")).status_code == 303
    other = await new_browser()
    await site.update(db, registrations="open")
    taken = await sign_up(other, "alice")
    assert taken.status_code == 400 and "taken" in taken.text


async def test_sign_up_modes_invite_and_closed(new_browser: Browser, db: Database) -> None:
    (_admin,) = await community(new_browser, db, "alice")
    visitor = await new_browser()
    no_code = await sign_up(visitor, "bob")  # the default mode is invite-only
    assert no_code.status_code == 400 and 'id="e-invite"' in no_code.text
    wrong = await sign_up(visitor, "bob", invite="nope")
    assert wrong.status_code == 400 and "unknown, used or expired" in wrong.text
    admin_user = await _user(db, "alice")
    code = await site.create_invite(db, admin_user)
    assert (await sign_up(visitor, "bob", invite=code)).status_code == 303
    again = await sign_up(await new_browser(), "carol", invite=code)
    assert again.status_code == 400 and "unknown, used or expired" in again.text
    await site.update(db, registrations="closed")
    closed = await (await new_browser()).get("/signup")
    assert "Sign-up is closed" in text_of(closed) and 'action="/signup"' not in closed.text
    refused = await (await new_browser()).get("/signup")
    assert refused.status_code == 200
    assert await _query(db, "SELECT count(*) FROM users") == [(2,)]


async def test_sign_in_out_and_the_rate_limit(new_browser: Browser, db: Database) -> None:
    await community(new_browser, db, "alice")
    client = await new_browser()
    wrong = await submit(client, "/login", "/login", {"username": "alice", "password": "nope nope"})
    assert wrong.status_code == 400 and "do not match" in wrong.text
    assert 'value="alice"' in wrong.text
    unknown = await submit(client, "/login", "/login", {"username": "zed", "password": "nope nope"})
    assert "do not match" in unknown.text  # the same message: names are not revealed
    ok = await submit(
        client,
        "/login?next=/settings",
        "/login",
        {"username": "@alice", "password": PASSWORD, "next": "/settings"},
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/settings"
    assert (await client.get("/settings")).status_code == 200
    old_session = client.cookies.get("fs_session")
    out = await submit(client, "/settings", "/logout", {})
    assert out.status_code == 303 and out.headers["location"] == "/?done=signed-out"
    gone = await client.get("/settings")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login?next=")
    replay = await new_browser()
    replay.cookies.set("fs_session", old_session or "")
    assert (await replay.get("/settings")).status_code == 303  # the old cookie is dead
    # Rate limit: after 10 failures for a name, even the right password waits.
    attacker = await new_browser()
    for _ in range(10):
        await submit(attacker, "/login", "/login", {"username": "alice", "password": "guess-xyz"})
    limited = await submit(
        attacker, "/login", "/login", {"username": "alice", "password": PASSWORD}
    )
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in limited.text


async def test_next_is_never_another_site(new_browser: Browser, db: Database) -> None:
    await community(new_browser, db, "alice")
    client = await new_browser()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = await submit(
            client, "/login", "/login", {"username": "alice", "password": PASSWORD, "next": target}
        )
        assert answer.headers["location"] == "/"
        await submit(client, "/", "/logout", {})


# ----------------------------------------------------------------------------- CSRF, CSP


async def test_forms_without_a_valid_csrf_token_are_refused_and_change_nothing(
    new_browser: Browser, db: Database
) -> None:
    (alice,) = await community(new_browser, db, "alice")
    await alice.get("/settings/skills")
    missing = await alice.post("/settings/skills", data={"name": "Rust"})
    wrong = await alice.post("/settings/skills", data={"name": "Rust", "csrf": "x" * 43})
    page = await alice.get("/settings/skills")
    foreign = await alice.post(
        "/settings/skills",
        data={"name": "Rust", "csrf": csrf_of(page)},
        headers={"Origin": "https://evil.example"},
    )
    for answer in (missing, wrong, foreign):
        assert answer.status_code == 403
        assert "did not come from this site" in answer.text
    assert await _query(db, "SELECT count(*) FROM skills") == [(0,)]
    # A signed-out visitor's forged sign-up is refused the same way.
    assert (await (await new_browser()).post("/signup", data={"username": "x"})).status_code == 403


async def test_pages_carry_a_strict_content_security_policy(
    new_browser: Browser, db: Database
) -> None:
    (alice,) = await community(new_browser, db, "alice")
    anonymous = await new_browser()
    for path in ("/", "/@alice", "/settings", "/suggestions", "/login"):
        answer = await (anonymous if path == "/login" else alice).get(path)
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, path
        assert "frame-ancestors 'none'" in policy and answer.headers["x-frame-options"] == "DENY"
        assert "no-store" in answer.headers["cache-control"]
    svg = await alice.get("/@alice/skills.svg")
    assert "sandbox" in svg.headers["content-security-policy"]


def test_templates_have_no_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.html"):
        source = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", source), template.name
        assert " style=" not in source and "<style" not in source, template.name
        assert not re.search(r"\son[a-z]+=", source), template.name


# ----------------------------------------------------------------------------- the journey


async def test_skills_suggest_accept_undo_endorse_journey(
    new_browser: Browser, db: Database, fed: Federation
) -> None:
    alice, bob, carol = await community(new_browser, db, "alice", "bob", "carol")
    added = await submit(alice, "/settings/skills", "/settings/skills", {"name": "Go"})
    assert added.status_code == 303
    too_long = await submit(alice, "/settings/skills", "/settings/skills", {"name": "x" * 400})
    assert too_long.status_code == 400 and 'id="e-name"' in too_long.text
    assert "x" * 400 in too_long.text  # kept, not truncated

    suggested = await submit(
        bob, "/@alice", "/@alice/suggest", {"skill": "Rust", "suggest_comment": "Her parser!"}
    )
    assert (
        suggested.status_code == 303 and suggested.headers["location"] == "/@alice?done=suggested"
    )
    empty = await submit(bob, "/@alice", "/@alice/suggest", {"skill": ""})
    assert empty.status_code == 400 and "Enter the skill" in empty.text

    pending = await alice.get("/suggestions")
    assert "Rust" in pending.text and "Her parser!" in pending.text
    public_id = re.search(r'/suggestions/([^/"]+)/accept', pending.text)
    assert public_id
    sid = public_id.group(1)
    held = await submit(alice, "/suggestions", f"/suggestions/{sid}/accept", {})
    assert held.status_code == 303
    waiting = await alice.get("/suggestions")
    assert "Accepting" in waiting.text and f"/suggestions/{sid}/undo" in waiting.text
    undone = await submit(alice, "/suggestions", f"/suggestions/{sid}/undo", {})
    assert undone.status_code == 303
    assert f"/suggestions/{sid}/accept" in (await alice.get("/suggestions")).text
    assert await _query(db, "SELECT count(*) FROM skills WHERE key = 'rust'") == [(0,)]

    await submit(alice, "/suggestions", f"/suggestions/{sid}/accept", {})
    assert await suggestion_service.finish_due(fed) == 0  # the undo window is still open
    await _execute(
        db,
        "UPDATE suggestions SET decision_due_at = :t WHERE public_id = :p",
        t=datetime.now(UTC) - timedelta(seconds=1),
        p=sid,
    )
    assert await suggestion_service.finish_due(fed) == 1
    assert await _query(db, "SELECT state FROM suggestions WHERE public_id = :p", p=sid) == [
        ("accepted",)
    ]

    endorsed = await submit(
        carol, "/@alice", "/@alice/endorse", {"skill": "rust", "comment": "Shipped <b>fast</b>."}
    )
    assert endorsed.status_code == 303
    too_much = await submit(
        carol, "/@alice", "/@alice/endorse", {"skill": "go", "comment": "y" * 3000}
    )
    assert too_much.status_code == 400 and "at most 2000" in too_much.text
    profile = await (await new_browser()).get("/@alice")
    body = profile.text
    assert body.index("Rust") < body.index("<h3>Go</h3>")  # endorsed Rust is stronger
    assert "Suggested by" in body and "@bob@testserver" in body
    assert "Shipped &lt;b&gt;fast&lt;/b&gt;." in body and "<b>fast</b>" not in body
    assert "signed by the endorser" in body
    notes = await alice.get("/notifications")
    assert "endorsed one of your skills" in notes.text and "suggested a skill" in notes.text


async def test_visitors_see_remote_forms_and_members_see_their_own(
    new_browser: Browser, db: Database
) -> None:
    alice, bob = await community(new_browser, db, "alice", "bob")
    anonymous = await (await new_browser()).get("/@alice")
    assert 'action="/@alice/remote"' in anonymous.text
    assert 'action="/@alice/suggest"' not in anonymous.text
    member = await bob.get("/@alice")
    assert 'action="/@alice/suggest"' in member.text and 'action="/@alice/follow"' in member.text
    own = await alice.get("/@alice")
    assert 'action="/@alice/suggest"' not in own.text and "Edit profile" in own.text
    follow = await submit(bob, "/@alice", "/@alice/follow", {})
    assert follow.status_code == 303
    assert await _query(db, "SELECT count(*) FROM follows") == [(1,)]


async def test_remote_follow_form_validates_and_redirects(
    new_browser: Browser, db: Database
) -> None:
    await community(new_browser, db, "alice")
    visitor = await new_browser()
    bad = await submit(visitor, "/@alice", "/@alice/remote", {"handle": "not a handle"})
    assert bad.status_code == 422 and 'id="e-handle"' in bad.text
    assert 'value="not a handle"' in bad.text
    empty = await submit(visitor, "/@alice", "/@alice/remote", {"handle": ""})
    assert empty.status_code == 400
    # A handle on this instance goes to our own interaction page.
    local = await submit(visitor, "/@alice", "/@alice/remote", {"handle": "bob@testserver"})
    assert local.status_code == 303
    assert local.headers["location"] == (
        "http://testserver/authorize_interaction?uri=http%3A%2F%2Ftestserver%2Fusers%2Falice"
    )


async def test_authorize_interaction_follows_after_sign_in(
    new_browser: Browser, db: Database
) -> None:
    _alice, bob = await community(new_browser, db, "alice", "bob")
    anonymous = await new_browser()
    ask = await anonymous.get("/authorize_interaction?uri=http%3A%2F%2Ftestserver%2Fusers%2Falice")
    assert ask.status_code == 303 and ask.headers["location"].startswith("/login?next=")
    page = await bob.get("/authorize_interaction?uri=http%3A%2F%2Ftestserver%2Fusers%2Falice")
    assert "Follow <strong>http://testserver/users/alice</strong>" in page.text
    done = await bob.post(
        "/authorize_interaction",
        data={"csrf": csrf_of(page), "target": "http://testserver/users/alice"},
    )
    assert done.status_code == 200 and "You now follow" in done.text


# ----------------------------------------------------------------------------- settings


def _png(size: tuple[int, int] = (600, 300)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


async def test_avatar_upload_is_reencoded_and_served_under_a_generated_name(
    new_browser: Browser, db: Database
) -> None:
    (alice,) = await community(new_browser, db, "alice")
    page = await alice.get("/settings")
    answer = await alice.post(
        "/settings/avatar",
        data={"csrf": csrf_of(page)},
        files={"avatar": ("../../etc/passwd.jpg", _png(), "image/jpeg")},
    )
    assert answer.status_code == 303, answer.text
    actor = (
        await alice.get("/users/alice", headers={"Accept": "application/activity+json"})
    ).json()
    url = actor["icon"]["url"]
    assert re.fullmatch(r"http://testserver/media/[0-9a-f]{32}\.png", url)
    served = await alice.get(url.removeprefix("http://testserver"))
    assert served.headers["content-type"] == "image/png"
    assert "sandbox" in served.headers["content-security-policy"]
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "PNG" and image.size == (300, 300)
    assert b"SecretCam" not in served.content  # metadata is not carried over

    page = await alice.get("/settings")
    fake = await alice.post(
        "/settings/avatar",
        data={"csrf": csrf_of(page)},
        files={"avatar": ("cat.png", b"<svg onload=alert(1)>", "image/png")},
    )
    assert fake.status_code == 400 and "not an image we can read" in fake.text
    huge = await alice.post(
        "/settings/avatar",
        data={"csrf": csrf_of(page)},
        files={"avatar": ("big.png", b"\x89PNG" + b"0" * (3 * 1024 * 1024), "image/png")},
    )
    assert huge.status_code == 400 and "larger than 2 MB" in huge.text
    flood = await alice.post(
        "/settings/avatar",
        data={"csrf": csrf_of(page)},
        files={"avatar": ("big.png", b"0" * (5 * 1024 * 1024), "image/png")},
    )
    assert flood.status_code == 413
    assert await _query(db, "SELECT count(*) FROM media") == [(1,)]


async def test_profile_policy_and_open_to_work_settings(new_browser: Browser, db: Database) -> None:
    (alice,) = await community(new_browser, db, "alice")
    saved = await submit(
        alice,
        "/settings",
        "/settings/profile",
        {"display_name": "Alice <Liddell>", "summary": "Builds parsers."},
    )
    assert saved.status_code == 303
    profile = await alice.get("/@alice")
    assert "Alice &lt;Liddell&gt;" in profile.text and "Builds parsers." in profile.text
    long = await submit(
        alice, "/settings", "/settings/profile", {"display_name": "n" * 600, "summary": ""}
    )
    assert long.status_code == 400 and 'id="e-display_name"' in long.text
    policy = await submit(
        alice,
        "/settings",
        "/settings/policy",
        {
            "suggest_policy": "followers",
            "endorse_policy": "anyone",
            "auto_accept_suggestions": "on",
        },
    )
    assert policy.status_code == 303
    bad = await submit(
        alice,
        "/settings",
        "/settings/policy",
        {"suggest_policy": "everyone", "endorse_policy": "anyone"},
    )
    assert bad.status_code == 400 and "Choose who may suggest" in bad.text
    work = await submit(alice, "/settings", "/settings/work", {"open_to_work": "on"})
    assert work.status_code == 303
    rows = await _query(
        db,
        "SELECT suggest_policy, auto_accept_suggestions, open_to_work, show_open_to_work "
        "FROM users WHERE username = 'alice'",
    )
    assert rows == [("followers", True, True, False)]
    assert "Open to work" not in (await (await new_browser()).get("/@alice")).text
    await submit(
        alice, "/settings", "/settings/work", {"open_to_work": "on", "show_open_to_work": "on"}
    )
    assert "Open to work" in (await (await new_browser()).get("/@alice")).text


async def test_ask_is_posted_and_shown_on_the_profile(new_browser: Browser, db: Database) -> None:
    (alice,) = await community(new_browser, db, "alice")
    empty = await submit(alice, "/asks/new", "/asks", {"text": "  "})
    assert empty.status_code == 400 and "Write your question" in empty.text
    posted = await submit(alice, "/asks/new", "/asks", {"text": "What am I good at?"})
    assert posted.status_code == 303 and posted.headers["location"] == "/@alice?done=asked"
    profile = await (await new_browser()).get("/@alice")
    assert "What am I good at?" in profile.text and "0 replies" in profile.text


async def test_owner_pages_need_a_session(new_browser: Browser, db: Database) -> None:
    await community(new_browser, db, "alice")
    anonymous = await new_browser()
    for path in ("/suggestions", "/notifications", "/settings", "/settings/skills", "/asks/new"):
        answer = await anonymous.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/login?next={path}"
    page = await anonymous.get("/login")
    refused = await anonymous.post("/settings/skills", data={"csrf": csrf_of(page), "name": "Rust"})
    assert refused.status_code == 401


# ----------------------------------------------------------------------------- helpers


async def _query(db: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    async with db.connection() as conn:
        return [tuple(r) for r in await conn.execute(text(sql), params)]


async def _execute(db: Database, sql: str, **params: object) -> None:
    async with db.transaction() as conn:
        await conn.execute(text(sql), params)


async def _user(db: Database, name: str):  # type: ignore[no-untyped-def]
    from fediverse_skills.services import accounts

    user = await accounts.get_user(db, name)
    assert user is not None
    return user
