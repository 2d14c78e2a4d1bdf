"""The public pages in a real browser: they load, are structured, accessible and quiet.

Also checks the harness itself: under a strict Content-Security-Policy axe-core still
runs, and a refused inline script is caught as a console error.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.harness import (
    PageErrors,
    Site,
    assert_accessible,
    axe_violations,
    new_context,
)


@pytest.mark.parametrize(("path", "name"), [("/", "home"), ("/@alice", "profile")])
def test_public_page_is_structured_and_accessible(
    page: Page, site: Site, path: str, name: str
) -> None:
    response = page.goto(site.at(path))
    assert response is not None and response.status == 200
    assert page.locator("h1").count() == 1
    assert page.get_by_role("main").count() == 1
    assert page.locator("html").get_attribute("lang")
    if name == "profile":
        assert page.get_by_role("heading", name="Rust").is_visible()
    assert_accessible(page)


def test_tab_from_the_top_of_a_profile_reaches_a_visible_link(page: Page, site: Site) -> None:
    page.goto(site.at("/@alice"))
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const el = document.activeElement;
            const box = el.getBoundingClientRect();
            return {
                tag: el.tagName.toLowerCase(),
                text: el.textContent.trim(),
                focusVisible: el.matches(":focus-visible"),
                onScreen: box.width > 0 && box.height > 0
                    && box.bottom > 0 && box.top < innerHeight,
            };
        }"""
    )
    assert focused["tag"] == "a", focused
    assert focused["focusVisible"] and focused["onScreen"], focused


STRICT_PAGE = """<!doctype html><html lang="en"><head><title>CSP</title></head>
<body><main><h1>Strict</h1><script>window.inlineRan = true;</script></main></body></html>"""


def test_harness_runs_axe_and_catches_csp_refusals_under_a_strict_policy(
    browser: Browser,
) -> None:
    errors = PageErrors()
    context = errors.watch(new_context(browser))
    try:
        strict = context.new_page()
        strict.route(
            "http://harness.invalid/",
            lambda route: route.fulfill(
                status=200,
                content_type="text/html",
                headers={"Content-Security-Policy": "default-src 'self'"},
                body=STRICT_PAGE,
            ),
        )
        strict.goto("http://harness.invalid/")
        assert strict.evaluate("() => window.inlineRan") is None  # the policy applied
        assert axe_violations(strict) == []  # and axe-core still ran
        strict.wait_for_timeout(50)
        assert any("Content Security Policy" in e for e in errors.unexpected()), errors.seen
        errors.allow("Content Security Policy")
        assert errors.unexpected() == []
    finally:
        context.close()


def test_site_reads_its_database_while_the_browser_is_up(browser: Browser, site: Site) -> None:
    # asyncio.run in this thread would fail while Playwright's loop is up; site.query
    # runs in a thread of its own.
    assert site.query("SELECT username FROM users WHERE password_hash IS NOT NULL") == [("alice",)]
