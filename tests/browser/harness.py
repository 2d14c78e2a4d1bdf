"""Helpers for the real-browser tests: Chromium through Playwright, axe-core, screenshots.

The fixtures that use them live in ``tests/browser/conftest.py``. Everything here is
synchronous: Playwright's sync API refuses to run inside a running asyncio loop, so
browser tests and their fixtures are plain ``def`` functions (pytest-asyncio's auto mode
leaves those alone).

``python -m tests.browser.harness`` only installs axe-core (``make pytest`` uses it).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import pytest

from tests.instances import Instance
from tests.processes import cli

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, WebError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

AXE_DIR = Path(__file__).resolve().with_name("axe")
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_STAMP = AXE_DIR / "node_modules" / ".installed"
SERIOUS = ("serious", "critical")

SCREENSHOTS_ENV = "FEDSKILLS_SCREENSHOTS_DIR"

T = TypeVar("T")


class HarnessError(RuntimeError):
    """axe-core could not be installed."""


# ----------------------------------------------------------------------------- Chromium


def chromium_unavailable() -> str | None:
    """None if Playwright and Debian's Chromium are both there, else the reason why not."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: pip install -e '.[test]'"
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (.ci/run does)"
    return None


def new_context(browser: Browser) -> BrowserContext:
    """A fresh context (its own cookies) as the ``page`` fixture makes: 1280x900, en-US.

    For a second person in one test; watch it with ``page_errors.watch(context)``."""
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")


# ----------------------------------------------------------------------------- console errors


@dataclass
class PageErrors:
    """Console errors and uncaught exceptions of every page of one browser context.

    Chromium reports a Content-Security-Policy violation (an inline script or style it
    refused) and a failed subresource load as console errors, so those are caught too.
    A test that expects one calls ``allow("part of the message")``.

    Chromium's own request for /favicon.ico is not counted: it is made once per browser
    and origin, so its 404 would fail whichever test happened to come first."""

    seen: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> BrowserContext:
        """Record what every page of ``context`` reports; returns the context."""
        context.on("console", self._console)
        context.on("weberror", self._weberror)
        return context

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location
            url = where.get("url") or (message.page.url if message.page else "?")
            if urlsplit(url).path == "/favicon.ico":
                return
            self.seen.append(f"console error at {url}:{where.get('lineNumber', 0)}: {message.text}")

    def _weberror(self, error: WebError) -> None:
        url = error.page.url if error.page else "?"
        self.seen.append(f"uncaught exception on {url}: {error.error}")

    def allow(self, substring: str) -> None:
        """Do not fail the test for errors whose message contains ``substring``."""
        self.allowed.append(substring)

    def unexpected(self) -> list[str]:
        return [s for s in self.seen if not any(a in s for a in self.allowed)]

    def clear(self) -> None:
        self.seen.clear()


# ----------------------------------------------------------------------------- the site


def add_user(
    instance: Instance, name: str, *, password: str | None = None, admin: bool = False
) -> str:
    """Create a user with the real CLI (password through stdin) and an API token for it.

    The token is kept in ``instance.tokens`` so that ``instance.api(name, ...)`` works;
    it is also returned."""
    instance.root.mkdir(parents=True, exist_ok=True)
    args = ["create-user", name]
    if password is not None:
        args.append("--password-stdin")
    if admin:
        args.append("--admin")
    stdin = f"{password}\n" if password is not None else None
    made = cli(*args, env=instance.env(), cwd=instance.root, stdin=stdin)
    assert made.returncode == 0, made.stderr
    token = cli("token", "create", name, env=instance.env(), cwd=instance.root)
    assert token.returncode == 0, token.stderr
    instance.tokens[name] = token.stdout.strip()
    return instance.tokens[name]


def _in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@dataclass
class Site:
    """One running instance for browser tests, and the passwords of its users."""

    instance: Instance
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.instance.url

    def at(self, path: str) -> str:
        """The absolute URL of ``path`` (which starts with /)."""
        return f"{self.instance.url}{path}"

    def add_user(self, name: str, password: str | None = None, *, admin: bool = False) -> None:
        add_user(self.instance, name, password=password, admin=admin)
        if password is not None:
            self.passwords[name] = password

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        """``Instance.query`` in a thread: Playwright's loop occupies this one."""
        return _in_thread(self.instance.query, sql, **params)

    def execute(self, sql: str, **params: Any) -> int:
        """``Instance.execute`` in a thread (see ``query``)."""
        return _in_thread(self.instance.execute, sql, **params)

    def add_skill(self, user: str, skill: str) -> dict[str, Any]:
        made = self.instance.api(user, "/api/v1/skills", {"skill": skill})
        assert made.status_code == 201, made.text
        body: dict[str, Any] = made.json()
        return body


# ----------------------------------------------------------------------------- axe-core


def _axe_digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((AXE_DIR / name).read_bytes())
    return digest.hexdigest()


def _axe_installed(digest: str) -> bool:
    try:
        return AXE_SCRIPT.is_file() and AXE_STAMP.read_text().strip() == digest
    except OSError:
        return False


def npm_unavailable() -> str | None:
    if shutil.which("node") is None:
        return "`node` is not on PATH (Node.js and npm install axe-core)"
    if shutil.which("npm") is None:
        return "`npm` is not on PATH"
    return None


def _lock_file() -> Path:
    key = hashlib.sha256(str(AXE_DIR).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"fediverse-skills-axe-{key}.lock"


def ensure_axe_installed(timeout: float = 300) -> Path:
    """Run ``npm ci`` in tests/browser/axe/ unless its node_modules/ matches the lock.

    Safe from parallel processes (one installs, the others wait). Returns axe.min.js."""
    digest = _axe_digest()
    if _axe_installed(digest):
        return AXE_SCRIPT
    reason = npm_unavailable()
    if reason is not None:
        raise HarnessError(f"cannot install axe-core: {reason}")
    deadline = time.monotonic() + timeout
    with _lock_file().open("a") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise HarnessError(
                        f"gave up after {timeout:.0f}s waiting for another `npm ci` in {AXE_DIR}"
                    ) from None
                time.sleep(0.2)
        try:
            if not _axe_installed(digest):
                command = ["npm", "ci", "--no-audit", "--no-fund"]
                result = subprocess.run(
                    command,
                    cwd=AXE_DIR,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=max(deadline - time.monotonic(), 30),
                    check=False,
                )
                if result.returncode != 0:
                    raise HarnessError(
                        f"`{' '.join(command)}` in {AXE_DIR} failed with exit status "
                        f"{result.returncode}:\n{result.stdout}{result.stderr}"
                    )
                AXE_STAMP.write_text(digest + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return AXE_SCRIPT


@cache
def _axe_source() -> str:
    return ensure_axe_installed().read_text(encoding="utf-8")


def axe_source() -> str:
    """The text of axe.min.js, installing it first if needed; skips if npm is missing."""
    if not _axe_installed(_axe_digest()):
        reason = npm_unavailable()
        if reason is not None:
            pytest.skip(f"axe-core is not installed and cannot be: {reason}")
    return _axe_source()


def axe_violations(page: Page, impacts: Iterable[str] = SERIOUS) -> list[dict[str, Any]]:
    """Run axe-core on the page's document; its violations of the given impacts.

    axe is injected with ``page.evaluate``: that goes through the DevTools protocol, which
    the page's Content-Security-Policy does not govern (a <script> tag would be refused)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
        assert page.evaluate("() => typeof window.axe === 'object'"), "axe-core did not load"
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    wanted = set(impacts)
    return [v for v in violations if v.get("impact") in wanted]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact')}): {v.get('help')} [{v.get('helpUrl')}]")
        nodes = v.get("nodes", [])
        for node in nodes[:3]:
            target = " >> ".join(
                json.dumps(t) if not isinstance(t, str) else t for t in node["target"]
            )
            lines.append(f"    on {target}: {node.get('html', '')[:200]}")
        if len(nodes) > 3:
            lines.append(f"    and {len(nodes) - 3} more")
    return "\n".join(lines)


def assert_accessible(page: Page, impacts: Iterable[str] = SERIOUS) -> None:
    """Fail with a readable list if axe-core finds violations of the given impacts."""
    found = axe_violations(page, impacts)
    if found:
        pytest.fail(
            f"axe-core found {len(found)} accessibility violation(s) on {page.url}:\n"
            + describe_violations(found),
            pytrace=False,
        )


# ----------------------------------------------------------------------------- screenshots


def screenshot(page: Page, name: str) -> Path | None:
    """Save a full-page PNG ``NAME.png`` in $FEDSKILLS_SCREENSHOTS_DIR, if that is set."""
    directory = os.environ.get(SCREENSHOTS_ENV)
    if not directory:
        return None
    path = Path(directory) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


if __name__ == "__main__":
    print(ensure_axe_installed())
