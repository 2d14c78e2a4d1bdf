"""Fixtures for tests in a real browser (Debian's Chromium driven by Playwright).

``browser`` (this package): headless Chromium. ``page`` (per test): a fresh context and page;
the test fails if any page logged a console error or threw (CSP refusals included) unless
the test allowed it with ``page_errors.allow("...")``. ``site`` (per module): a running
instance on SQLite with alice (password ``site.passwords["alice"]``) who has two skills.

Browser tests are plain ``def`` functions: Playwright's sync API cannot run inside an
asyncio loop, and while it runs, ``asyncio.run`` cannot either (so ``Instance.query``
cannot): use ``site.query``/``site.execute``, which run in a thread of their own.
Every test in this directory is marked ``slow`` (it starts real processes). Without
Chromium or Playwright they skip (a failure under CI=true).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PageErrors,
    Site,
    chromium_unavailable,
    new_context,
)
from tests.instances import Instance

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

HERE = Path(__file__).resolve().parent
ALICE_PASSWORD = "correct horse battery staple"
SERVER_LOG_LINES = 40
PAGE_ERRORS = pytest.StashKey[tuple[PageErrors, "Page"]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Chromium, shared by the tests of this directory.

    Package-scoped, not session-scoped: while Playwright's sync API is up, its event loop
    counts as running in this thread, so the async tests collected after this directory
    could not start theirs."""
    reason = chromium_unavailable()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page_errors() -> PageErrors:
    """What the pages of this test logged as errors; ``allow(substring)`` to accept one."""
    return PageErrors()


@pytest.fixture
def page(
    browser: Browser, page_errors: PageErrors, request: pytest.FixtureRequest
) -> Iterator[Page]:
    context = page_errors.watch(new_context(browser))
    opened = context.new_page()
    request.node.stash[PAGE_ERRORS] = (page_errors, opened)
    try:
        yield opened
    finally:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A test that passed fails if its pages logged errors; a failed test shows them, and
    the end of the server's log if it used ``site``."""
    report = yield
    if report.when != "call":
        return report
    if PAGE_ERRORS in item.stash:
        errors, opened = item.stash[PAGE_ERRORS]
        if not opened.is_closed():
            opened.wait_for_timeout(50)  # let Playwright deliver the events still in flight
        if unexpected := errors.unexpected():
            text = "\n".join(f"- {e}" for e in unexpected)
            if report.passed:
                report.outcome = "failed"
                report.longrepr = (
                    f"the browser reported errors (allow them with page_errors.allow):\n{text}"
                )
            else:
                report.sections.append(("browser errors", text))
    site = getattr(item, "funcargs", {}).get("site")
    if report.failed and isinstance(site, Site):
        tail = site.instance.logs().splitlines()[-SERVER_LOG_LINES:]
        report.sections.append(("server log (end)", "\n".join(tail)))
    return report


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A running instance (SQLite) with alice, who has a password and two skills."""
    instance = Instance(root=tmp_path_factory.mktemp("browser-site"))
    made = Site(instance)
    made.add_user("alice", ALICE_PASSWORD)
    instance.start()
    try:
        made.add_skill("alice", "Rust")
        made.add_skill("alice", "Technical writing")
        yield made
    finally:
        instance.stop()
