"""Logs never contain secrets: passwords, API tokens, session and CSRF cookies, or private
keys, even at debug level, through sign-up, sign-in, API calls, federation and errors
(a real server process, its whole log read back)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.instances import Instance
from tests.processes import cli

pytestmark = pytest.mark.slow

PASSWORD = "hunter2 is not a good password"


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def test_logs_hold_no_secrets(tmp_path: Path) -> None:
    inst = Instance(root=tmp_path / "a", extra_env={"LOG_LEVEL": "debug"})
    inst.setup()
    made = cli("create-user", "alice", "--password-stdin", env=inst.env(), cwd=inst.root,
               stdin=PASSWORD + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    issued = cli("token", "create", "alice", env=inst.env(), cwd=inst.root)
    token = issued.stdout.strip()
    assert token.startswith("fsk_")
    inst.start()
    try:
        with httpx.Client(base_url=inst.url, timeout=30) as guesser:
            refused = guesser.post(
                "/login",
                data={"csrf": _csrf(guesser.get("/login")), "username": "alice",
                      "password": PASSWORD + "!"},
            )  # fmt: skip
            assert refused.status_code == 400
        with httpx.Client(base_url=inst.url, timeout=30) as web:
            page = web.get("/login")
            signed_in = web.post(
                "/login",
                data={"csrf": _csrf(page), "username": "alice", "password": PASSWORD},
            )
            assert signed_in.status_code == 303
            session = next(v for k, v in web.cookies.items() if k.startswith("fs_session"))
            csrf = next(v for k, v in web.cookies.items() if k.startswith("fs_csrf"))
            web.get("/settings")
            headers = {"Authorization": f"Bearer {token}"}
            assert (
                web.post("/api/v1/notes", json={"content": "hi"}, headers=headers).status_code
                == 201
            )
            assert (
                web.get("/api/v1/me", headers={"Authorization": "Bearer fsk_wrong"}).status_code
                == 401
            )
            assert (
                web.post("/api/v1/skills", json={"skill": "Rust"}, headers=headers).status_code
                == 201
            )
            # an inbox POST with a bogus signature, and a malformed one
            web.post(
                "/users/alice/inbox",
                content=b"{",
                headers={"Content-Type": "application/activity+json"},
            )
        rows = inst.query("SELECT rsa_private_pem, ed25519_private, password_hash FROM users")
    finally:
        inst.stop()
    log = inst.logs()
    assert "POST /login" in log or "/login" in log  # the log is there and was read
    private_pem, ed25519_hex, password_hash = rows[0]
    body = "".join(str(private_pem).splitlines()[1:-1])
    for secret, what in (
        (PASSWORD, "the password"),
        (token, "the API token"),
        (token.removeprefix("fsk_"), "the API token"),
        (session, "the session cookie"),
        (csrf, "the CSRF token"),
        (str(ed25519_hex), "the Ed25519 private key"),
        (body[40:100], "the RSA private key"),
        (str(password_hash), "the password hash"),
    ):
        assert secret not in log, f"{what} is in the log"
    assert "PRIVATE KEY" not in log
