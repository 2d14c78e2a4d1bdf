"""Fedify (npm ``@fedify/fedify``) as a real, independent ActivityPub peer on 127.0.0.1.

``tests/peers/fedify/peer.mjs`` runs one Fedify instance with the actor ``/users/fedi``,
admin endpoints to drive it, and ``POST /verify/inbox``, which answers 202 only if Fedify
accepts the request's HTTP signature. This module installs its npm dependencies (pinned
by ``package-lock.json``), runs it as a child process and talks to it::

    with FedifyPeer() as peer:
        peer.follow("http://127.0.0.1:8000/users/alice")
        peer.wait_for(lambda e: e["kind"] == "inbox" and e["type"] == "Accept")

``python -m tests.peers.fedify`` only installs the dependencies (``make`` uses it).
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest

PEER_DIR = Path(__file__).resolve().with_name("fedify")
PEER_SCRIPT = PEER_DIR / "peer.mjs"
STAMP = PEER_DIR / "node_modules" / ".installed"
MIN_NODE = 20
ACTOR = "fedi"

LogEntry = dict[str, Any]


class FedifyPeerError(RuntimeError):
    """The peer could not be installed or started, or an admin call failed."""


# ----------------------------------------------------------------------------- install


def node_available() -> str | None:
    """None if Node (>= 20) and npm are on PATH, else the reason why not."""
    node = shutil.which("node")
    if node is None:
        return "`node` is not on PATH (Node.js >= 20 is needed)"
    if shutil.which("npm") is None:
        return "`npm` is not on PATH"
    try:
        version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=20, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`node --version` failed: {exc}"
    match = re.match(r"v(\d+)\.", version)
    if match is None or int(match.group(1)) < MIN_NODE:
        return f"Node.js >= {MIN_NODE} is needed, found {version or 'nothing'}"
    return None


def _dependencies_digest() -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((PEER_DIR / name).read_bytes())
    return digest.hexdigest()


def _installed(digest: str) -> bool:
    fedify = PEER_DIR / "node_modules" / "@fedify" / "fedify" / "package.json"
    try:
        return fedify.is_file() and STAMP.read_text().strip() == digest
    except OSError:
        return False


def _lock_file() -> Path:
    # Outside node_modules/, which `npm ci` deletes, and outside the source tree.
    key = hashlib.sha256(str(PEER_DIR).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"fediverse-skills-fedify-{key}.lock"


def ensure_installed(timeout: float = 600) -> Path:
    """Run ``npm ci`` in tests/peers/fedify/ unless its node_modules/ matches the lock.

    Safe to call from parallel test processes: one installs, the others wait for it.
    Returns the peer's directory."""
    reason = node_available()
    if reason is not None:
        raise FedifyPeerError(f"cannot install the Fedify peer: {reason}")
    digest = _dependencies_digest()
    if _installed(digest):
        return PEER_DIR
    deadline = time.monotonic() + timeout
    with _lock_file().open("a") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise FedifyPeerError(
                        f"gave up after {timeout:.0f}s waiting for another `npm ci` in {PEER_DIR}"
                    ) from None
                time.sleep(0.2)
        try:
            if not _installed(digest):
                _npm_ci(max(deadline - time.monotonic(), 30))
                STAMP.write_text(digest + "\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return PEER_DIR


def _npm_ci(timeout: float) -> None:
    command = ["npm", "ci", "--no-audit", "--no-fund"]
    try:
        result = subprocess.run(
            command,
            cwd=PEER_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise FedifyPeerError(
            f"`{' '.join(command)}` in {PEER_DIR} took over {timeout:.0f}s"
        ) from exc
    if result.returncode != 0:
        raise FedifyPeerError(
            f"`{' '.join(command)}` in {PEER_DIR} failed with exit status {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )


# ----------------------------------------------------------------------------- the peer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FedifyPeer:
    """``node peer.mjs PORT`` as a child process, with its output in a log file.

    Use it as a context manager. Admin calls raise FedifyPeerError when the peer answers
    with an error; the message carries Fedify's own explanation."""

    def __init__(
        self,
        log_dir: Path | None = None,
        *,
        port: int | None = None,
        startup_timeout: float = 60,
        request_timeout: float = 30,
    ) -> None:
        self.log_dir = log_dir
        self.port = port or 0
        self._fixed_port = port is not None
        self.startup_timeout = startup_timeout
        self.request_timeout = request_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self._http: httpx.Client | None = None

    # -- addresses

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def actor_url(self) -> str:
        return f"{self.url}/users/{ACTOR}"

    @property
    def inbox_url(self) -> str:
        return f"{self.actor_url}/inbox"

    @property
    def shared_inbox_url(self) -> str:
        return f"{self.url}/inbox"

    @property
    def verify_url(self) -> str:
        """POST here: 202 if Fedify accepts the request's HTTP signature, else 401."""
        return f"{self.url}/verify/inbox"

    # -- life cycle

    def start(self) -> FedifyPeer:
        ensure_installed()
        if self.log_dir is None:
            self.log_dir = Path(tempfile.mkdtemp(prefix="fedify-peer-"))
        for attempt in range(3):
            if not self._fixed_port:
                self.port = _free_port()
            self._spawn()
            try:
                self._wait_healthy()
                return self
            except FedifyPeerError:
                in_use = "EADDRINUSE" in self.output()
                self.stop()
                if self._fixed_port or not in_use or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        assert self.log_dir is not None
        self.log_path = self.log_dir / f"fedify-peer-{self.port}.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                ["node", str(PEER_SCRIPT), str(self.port)],
                cwd=PEER_DIR,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._http = httpx.Client(base_url=self.url, timeout=self.request_timeout, trust_env=False)

    def _wait_healthy(self) -> None:
        assert self.proc is not None and self._http is not None
        deadline = time.monotonic() + self.startup_timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise FedifyPeerError(
                    f"the Fedify peer exited with status {self.proc.returncode} while "
                    f"starting:\n{self.output()}"
                )
            try:
                if self._http.get("/admin/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.1)
        raise FedifyPeerError(
            f"the Fedify peer did not answer /admin/health within {self.startup_timeout:.0f}s "
            f"({last}):\n{self.output()}"
        )

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``. Returns the exit status."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        return self.proc.returncode

    def __enter__(self) -> FedifyPeer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def output(self) -> str:
        """What the Node process printed so far."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    # -- admin calls

    def admin(self, path: str, **params: str) -> Any:
        """GET /admin/<path> and return its JSON; FedifyPeerError if the peer reports one."""
        if self._http is None:
            raise FedifyPeerError("the Fedify peer is not running")
        response = self._http.get(f"/admin/{path}", params=params)
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text}
        if response.status_code != 200:
            error = body.get("error") if isinstance(body, dict) else body
            details = body.get("details") if isinstance(body, dict) else None
            message = f"Fedify peer: /admin/{path} {params} -> {response.status_code}: {error}"
            if details:
                message += "\n  " + "\n  ".join(map(str, details))
            raise FedifyPeerError(message)
        return body

    def lookup(self, url: str, *, signed: bool = False) -> dict[str, Any]:
        """Fedify's lookupObject(url) as JSON-LD. ``signed`` fetches with a signed GET."""
        params = {"q": url, "signed": "1"} if signed else {"q": url}
        result: dict[str, Any] = self.admin("lookup", **params)
        return result

    def follow(self, target: str) -> str:
        """Deliver Follow(target) from the peer's actor; returns the Follow's id."""
        return str(self.admin("follow", target=target)["id"])

    def unfollow(self, target: str) -> str:
        """Deliver Undo of the earlier Follow; returns the Undo's id."""
        return str(self.admin("unfollow", target=target)["id"])

    def note(self, target: str, text: str) -> str:
        """Deliver a public Create(Note) mentioning target to its inbox; returns the Note's id."""
        return str(self.admin("note", target=target, text=text)["id"])

    def like(self, object_url: str, target: str) -> str:
        """Deliver Like(object_url) to the target actor's inbox; returns the Like's id."""
        return str(self.admin("like", object=object_url, target=target)["id"])

    def unlike(self, object_url: str, target: str) -> str:
        """Deliver Undo of the earlier Like of object_url; returns the Undo's id."""
        return str(self.admin("unlike", object=object_url, target=target)["id"])

    def verify_proofs(self, url: str) -> list[dict[str, Any]]:
        """Fetch the JSON at ``url`` and check every FEP-8b32 proof in it (embedded objects
        included) with Fedify's own verifyProof. One result per proof: id, cryptosuite,
        verified, key (or error)."""
        results: list[dict[str, Any]] = self.admin("verify-proof", url=url)["results"]
        return results

    def log(self, since: int = 0) -> list[LogEntry]:
        """What the peer saw, oldest first: entries with ``seq`` greater than ``since``.

        Each entry has ``kind``: "inbox" (a verified activity: type, id, actor, object, inbox,
        raw, and for Create objectType and content), "unverified" (signature refused: reason,
        details), "error" (an inbox failure), "verify" (a POST to /verify/inbox: verified,
        spec, keyId/owner or reason), "sent" or "send-error" (the peer's own deliveries)."""
        entries: list[LogEntry] = self.admin("log")
        return [e for e in entries if e["seq"] > since]

    def mark(self) -> int:
        """The ``seq`` of the newest entry, for ``wait_for(..., since=peer.mark())``."""
        entries = self.log()
        return int(entries[-1]["seq"]) if entries else 0

    def wait_for(
        self, predicate: Callable[[LogEntry], bool], timeout: float = 15, *, since: int = 0
    ) -> LogEntry:
        """The first log entry after ``since`` that satisfies predicate, polling until timeout."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.log(since)
            for entry in entries:
                if predicate(entry):
                    return entry
            if time.monotonic() > deadline:
                brief = [{k: v for k, v in e.items() if k != "raw"} for e in entries[-20:]]
                lines = "\n  ".join(map(str, brief)) or "(empty)"
                raise AssertionError(
                    f"no matching entry in the Fedify peer's log within {timeout}s; "
                    f"latest entries:\n  {lines}"
                )
            time.sleep(0.1)


# ----------------------------------------------------------------------------- fixture


@pytest.fixture(scope="session")
def fedify_peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FedifyPeer]:
    """A running Fedify peer shared by the session (its log accumulates: match on ids)."""
    reason = node_available()
    if reason is not None:
        pytest.skip(f"Fedify peer unavailable: {reason}")
    with FedifyPeer(tmp_path_factory.mktemp("fedify-peer")) as peer:
        yield peer


if __name__ == "__main__":
    print(ensure_installed())
