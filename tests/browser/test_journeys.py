"""The issue's journeys in Chromium against real server processes: co-creating a profile
across three people, remote follow between two instances, forms without a CSRF token,
and keyboard-only suggest and endorse. Each page is checked with axe-core on the way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import (
    PageErrors,
    Site,
    assert_accessible,
    new_context,
    screenshot,
)
from tests.instances import Instance, eventually

PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Site]]:
    """Two instances: A (open sign-up, a 2-second undo window) and B with bob."""
    a = Site(Instance(root=tmp_path_factory.mktemp("a"), extra_env={"UNDO_SECONDS": "2"}))
    b = Site(Instance(root=tmp_path_factory.mktemp("b")))
    b.add_user("bob", PASSWORD)
    a.instance.start()
    b.instance.start()
    try:
        a.execute("INSERT INTO instance_settings (name, value) VALUES ('registrations', 'open')")
        yield a, b
    finally:
        a.instance.stop()
        b.instance.stop()


def sign_up(page: Page, site: Site, name: str) -> None:
    page.goto(site.at("/signup"))
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/settings/skills\?done=welcome$"))


def person(browser: Browser, errors: PageErrors) -> Page:
    return errors.watch(new_context(browser)).new_page()


def test_co_created_profile_journey(
    browser: Browser, page: Page, page_errors: PageErrors, world: tuple[Site, Site]
) -> None:
    a, _ = world
    # nina signs up and writes her starting skills
    page.goto(a.url)
    assert_accessible(page)
    screenshot(page, "home")
    page.get_by_role("link", name="Create the first account").click()
    assert_accessible(page)
    screenshot(page, "signup")
    sign_up(page, a, "nina")
    expect(page.get_by_role("status")).to_contain_text("Welcome!")
    for skill in ("Go", "Technical writing"):
        page.get_by_label("Add a skill").fill(skill)
        page.get_by_role("button", name="Add skill").click()
        expect(page.get_by_role("status")).to_contain_text("Skill added")
    assert_accessible(page)
    screenshot(page, "skills")

    # a second person suggests a skill, with a comment
    omar = person(browser, page_errors)
    sign_up(omar, a, "omar")
    omar.goto(a.at("/@nina"))
    omar.get_by_label("Skill", exact=True).fill("Rust")
    omar.get_by_label("Why? (optional)").fill("She rewrote our parser in Rust.")
    omar.get_by_role("button", name="Suggest", exact=True).click()
    expect(omar.get_by_role("status")).to_contain_text("Your suggestion was sent")

    # the owner accepts it (and can undo for a moment)
    page.get_by_role("link", name="Suggestions").click()
    expect(page.get_by_role("heading", name="Rust")).to_be_visible()
    expect(page.get_by_text("She rewrote our parser in Rust.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "suggestions")
    page.get_by_role("button", name="Accept Rust").click()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("button", name="Accept Rust")).to_be_visible()
    page.get_by_role("button", name="Accept Rust").click()
    eventually(
        lambda: a.query("SELECT state FROM suggestions WHERE key = 'rust'") == [("accepted",)],
        timeout=30,
        what="the held decision is carried out",
    )

    # a third person endorses it with a comment
    pia = person(browser, page_errors)
    sign_up(pia, a, "pia")
    pia.goto(a.at("/@nina"))
    pia.locator("summary", has_text="Endorse Rust").click()
    pia.get_by_label("What work did you see? (optional)").first.fill(
        "Her Rust parser has not paged anyone since."
    )
    pia.get_by_role("button", name="Endorse Rust").click()
    expect(pia.get_by_role("status")).to_contain_text("Your endorsement was sent")

    # the public profile shows it all, strongest first
    visitor = person(browser, page_errors)
    visitor.goto(a.at("/@nina"))
    names = visitor.locator("ol.skills > li h3").all_inner_texts()
    assert names[0] == "Rust" and set(names) == {"Rust", "Go", "Technical writing"}
    rust = visitor.locator("li.skill", has=visitor.get_by_role("heading", name="Rust"))
    expect(rust.get_by_text("Suggested by")).to_contain_text("@omar@")
    expect(rust.locator("blockquote")).to_have_text("Her Rust parser has not paged anyone since.")
    expect(rust.get_by_text("signed by the endorser")).to_be_visible()
    expect(visitor.get_by_role("img", name=re.compile("skills and the people"))).to_be_visible()
    assert_accessible(visitor)
    screenshot(visitor, "profile")
    graph = visitor.request.get(a.at("/@nina/skills.svg"))
    assert graph.ok and "@pia@" in graph.text() and "@omar@" in graph.text()

    # notifications tell nina what happened
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_text("endorsed one of your skills")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Settings").click()
    assert_accessible(page)
    screenshot(page, "settings")
    page.goto(a.at("/search?q=rust"))
    assert_accessible(page)
    page.get_by_role("link", name="Admin").click()
    assert_accessible(page)
    screenshot(page, "admin")


def test_remote_follow_goes_through_the_visitors_own_server(
    page: Page, world: tuple[Site, Site]
) -> None:
    a, b = world
    a.add_user("quinn", PASSWORD)
    page.goto(a.at("/@quinn"))
    page.get_by_label("Your handle").fill(f"bob@{b.instance.host}")
    page.get_by_role("button", name="Continue on my server").click()
    # B's interaction page asks bob to sign in first, then offers the follow.
    expect(page).to_have_url(re.compile(re.escape(b.at("/login?next="))))
    nxt = urlsplit(parse_qs(urlsplit(page.url).query)["next"][0])
    assert nxt.path == "/authorize_interaction"
    assert parse_qs(nxt.query)["uri"] == [f"{a.url}/users/quinn"]
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Follow {a.url}/users/quinn")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Follow").click()
    expect(page.get_by_role("status")).to_contain_text("follow")
    eventually(
        lambda: (
            a.query(
                "SELECT count(*) FROM follows WHERE followee = :f AND state = 'accepted'",
                f=f"{a.url}/users/quinn",
            )
            == [(1,)]
        ),
        what="A records bob's follow of quinn",
    )


def test_remote_follow_with_an_unknown_handle_says_so(
    page: Page, page_errors: PageErrors, world: tuple[Site, Site]
) -> None:
    a, _ = world
    page_errors.allow("status of 422")  # the form is shown again with the error
    a.add_user("rosa", PASSWORD)
    page.goto(a.at("/@rosa"))
    page.get_by_label("Your handle").fill("nobody")
    page.get_by_role("button", name="Continue on my server").click()
    page.wait_for_load_state()
    assert page.url == a.at("/@rosa/remote")
    expect(page.get_by_text("Enter your handle as name@your.server")).to_be_visible()
    expect(page.get_by_label("Your handle")).to_have_value("nobody")
    expect(page.get_by_label("Your handle")).to_have_attribute("aria-invalid", "true")


def test_a_form_without_its_csrf_token_is_refused(
    page: Page, page_errors: PageErrors, world: tuple[Site, Site]
) -> None:
    a, _ = world
    sign_up(page, a, "sam")
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    page.get_by_label("Add a skill").fill("Forged")
    page_errors.allow("403")
    page.get_by_role("button", name="Add skill").click()
    expect(page.get_by_text("did not come from this site")).to_be_visible()
    assert a.query("SELECT count(*) FROM skills WHERE key = 'forged'") == [(0,)]
    page.goto(a.at("/settings/skills"))
    page.evaluate(
        "document.querySelectorAll('input[name=csrf]').forEach(e => { e.value = 'x'.repeat(43); })"
    )
    page.get_by_label("Add a skill").fill("Forged")
    page.get_by_role("button", name="Add skill").click()
    expect(page.get_by_text("did not come from this site")).to_be_visible()
    assert a.query("SELECT count(*) FROM skills WHERE key = 'forged'") == [(0,)]


def test_suggest_and_endorse_with_the_keyboard_only(
    browser: Browser, page: Page, page_errors: PageErrors, world: tuple[Site, Site]
) -> None:
    a, _ = world
    a.add_user("uma", PASSWORD)
    sign_up(page, a, "vic")
    page.goto(a.at("/@uma"))
    # Tab from the top of the page to the suggest form, typing as a keyboard user would.
    field = page.get_by_label("Skill", exact=True)
    for _ in range(60):
        page.keyboard.press("Tab")
        if field.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail("the skill field cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused field shows no focus ring"
    page.keyboard.type("Kotlin")
    page.keyboard.press("Tab")
    page.keyboard.type("Built our Android app.")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Suggest"
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your suggestion was sent")
    assert a.query("SELECT name FROM suggestions WHERE key = 'kotlin'") == [("Kotlin",)]

    # endorse: open the disclosure with Enter, type, submit with Enter
    a.add_skill("uma", "SQL")
    page.goto(a.at("/@uma"))
    summary = page.locator("summary", has_text="Endorse SQL")
    for _ in range(80):
        page.keyboard.press("Tab")
        if summary.evaluate("e => e === document.activeElement"):
            break
    else:
        pytest.fail("the endorse control cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("Tuned our slowest query from 9 s to 40 ms.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Endorse SQL"
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your endorsement was sent")
    rows = a.query("SELECT comment FROM endorsements WHERE skill_key = 'sql'")
    assert rows == [("Tuned our slowest query from 9 s to 40 ms.",)]


PAGES = (
    "/",
    "/login",
    "/signup",
    "/@wes",
    "/@wes/skills.svg",
    "/suggestions",
    "/notifications",
    "/settings",
    "/settings/skills",
    "/asks/new",
    "/search",
    "/search?q=rust",
    "/admin",
    "/admin/users",
    "/admin/domains",
    "/admin/reports",
    "/admin/settings",
    "/admin/metrics",
    "/opportunities",
    "/opportunities/new",
    "/referrals",
    "/report?account=wes@example",
)


def test_every_page_passes_axe_and_fits_a_phone(
    browser: Browser, page_errors: PageErrors, world: tuple[Site, Site]
) -> None:
    a, _ = world
    a.add_user("wes", PASSWORD, admin=True)
    a.add_skill("wes", "Rust")
    for width in (1280, 375):
        context = page_errors.watch(
            browser.new_context(viewport={"width": width, "height": 800}, locale="en-US")
        )
        page = context.new_page()
        page.goto(a.at("/login"))
        page.get_by_label("Username").fill("wes")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(a.at("/"))
        for path in PAGES:
            answer = page.goto(a.at(path))
            assert answer is not None and answer.ok, path
            if path.endswith(".svg"):
                continue
            assert page.locator("h1").count() == 1, path
            assert_accessible(page)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways at {width}px"
        context.close()


def test_post_an_opportunity_and_refer_someone(
    browser: Browser, page: Page, page_errors: PageErrors, world: tuple[Site, Site]
) -> None:
    a, _ = world
    # yara posts an opportunity with the form
    sign_up(page, a, "yara")
    page.get_by_role("link", name="Opportunities").click()
    page.get_by_role("link", name="Post an opportunity").click()
    assert_accessible(page)
    page.get_by_label("Title").fill("Rust engineer")
    page.get_by_label("Description").fill("Own our parser.")
    page.get_by_label("Skills it needs").fill("Rust, Kubernetes")
    page.get_by_label("Can be done remotely").check()
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_role("status")).to_contain_text("Your opportunity is posted")
    expect(page.get_by_role("heading", name="People who fit")).to_be_visible()
    posting_url = page.url.split("?")[0]
    assert_accessible(page)
    screenshot(page, "opportunity")

    # xena exists; zoe refers her with a comment
    xena = person(browser, page_errors)
    sign_up(xena, a, "xena")
    zoe = person(browser, page_errors)
    sign_up(zoe, a, "zoe")
    zoe.get_by_role("link", name="Opportunities").click()
    expect(zoe.get_by_role("link", name="Rust engineer")).to_be_visible()
    assert_accessible(zoe)
    screenshot(zoe, "board")
    zoe.get_by_role("link", name="Rust engineer").click()
    zoe.get_by_label("Their handle").fill(f"xena@{a.instance.host}")
    zoe.get_by_label("Why them? (optional)").fill("Xena ran our Rust migration.")
    zoe.get_by_role("button", name="Refer", exact=True).click()
    expect(zoe.get_by_role("status")).to_contain_text("Your referral was sent")

    # yara sees nothing until xena accepts
    page.goto(a.at("/referrals"))
    expect(page.get_by_text("Xena ran our Rust migration.")).to_have_count(0)
    xena.get_by_role("link", name="Referrals").click()
    expect(xena.get_by_text("Xena ran our Rust migration.")).to_be_visible()
    assert_accessible(xena)
    screenshot(xena, "referrals")
    xena.get_by_role("button", name="Accept: show it to the poster").click()
    expect(xena.get_by_role("status")).to_contain_text("the poster now sees the referral")
    page.goto(a.at("/referrals"))
    expect(page.get_by_text("Xena ran our Rust migration.")).to_be_visible()

    # xena tells yara she is interested
    xena.goto(posting_url)
    xena.get_by_label("A few words to the poster (optional)").fill("Happy to talk.")
    xena.get_by_role("button", name=re.compile("Send a direct message")).click()
    expect(xena.get_by_role("status")).to_contain_text("direct message")
