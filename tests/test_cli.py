"""The command line as an admin uses it: real processes, real databases."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fediverse_skills.services import accounts
from fediverse_skills.store import endorsements, follows, skills
from fediverse_skills.store.db import Database
from fediverse_skills.store.endorsements import NewEndorsement
from tests.processes import ServerProcess, clean_env, cli, free_port

COMMANDS = [
    [],
    ["serve"],
    ["worker"],
    ["migrate"],
    ["create-user"],
    ["token"],
    ["token", "create"],
    ["token", "revoke"],
    ["trust"],
    ["trust", "recompute"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_every_command_has_help(command: list[str], tmp_path: Path) -> None:
    result = cli(*command, "--help", env=clean_env(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: fediverse-skills" in result.stdout
    assert not (tmp_path / "data").exists()  # --help creates nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "required: COMMAND"),
        (["launch"], "invalid choice: 'launch'"),
        (["serve", "--port", "http"], "not a port number"),
        (["serve", "--port", "70000"], "between 1 and 65535"),
        (["create-user"], "required: name"),
        (["token"], "required: ACTION"),
    ],
)
def test_usage_mistakes_exit_2_with_one_message(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = cli(*args, env=clean_env(), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"BASE_URL": "skills.example.org"}, "FEDSKILLS_BASE_URL must be an http(s) origin"),
        ({"DATABASE_URL": "mysql://x/y"}, "unsupported driver 'mysql'"),
        ({"PORT": "eighty"}, "FEDSKILLS_PORT must be a number"),
        ({"SECRET_KEY": "short"}, "at least 32 characters"),
        ({"DATABSE_URL": "sqlite:///x"}, "unknown setting FEDSKILLS_DATABSE_URL"),
    ],
)
def test_bad_settings_give_one_line_and_create_nothing(
    settings: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = cli("serve", "--port", str(free_port()), env=clean_env(**settings), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert lines[0].startswith("fediverse-skills: error: configuration error:")
    assert not (tmp_path / "data").exists()


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/nothing"
    for command in (["migrate"], ["worker", "--once"], ["serve", "--port", str(free_port())]):
        result = cli(*command, env=clean_env(DATABASE_URL=url), cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "cannot connect to the database" in lines[0]
        assert "check FEDSKILLS_DATABASE_URL" in lines[0]
    assert not (tmp_path / "data").exists()


def test_unwritable_sqlite_location_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    url = f"sqlite+aiosqlite:///{blocker}/sub/db.sqlite"
    result = cli("migrate", env=clean_env(DATABASE_URL=url), cwd=tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "SQLite database" in result.stderr


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("serve", "--port", str(port), env=clean_env(), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {port} on 127.0.0.1 is already in use" in lines[0]
    assert not (tmp_path / "data").exists()  # nothing half-created


def test_create_user_and_token_on_sqlite(tmp_path: Path) -> None:
    env = clean_env(BASE_URL="https://skills.example")
    created = cli(
        "create-user",
        "Alice",
        "--admin",
        "--password-stdin",
        env=env,
        cwd=tmp_path,
        stdin="a long password\n",
    )
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "Created admin @alice@skills.example."
    again = cli("create-user", "alice", env=env, cwd=tmp_path)
    assert again.returncode == 2 and "taken" in again.stderr
    weak = cli("create-user", "bob", "--password-stdin", env=env, cwd=tmp_path, stdin="short\n")
    assert weak.returncode == 2 and "at least 8 characters" in weak.stderr
    bad = cli("create-user", "bad name", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "letters a-z" in bad.stderr
    empty = cli("create-user", "carol", "--password-stdin", env=env, cwd=tmp_path, stdin="")
    assert empty.returncode == 2 and "standard input is empty" in empty.stderr

    token = cli("token", "create", "alice", "--label", "ci", env=env, cwd=tmp_path)
    assert token.returncode == 0, token.stderr
    assert token.stdout.startswith("fsk_") and len(token.stdout.strip().splitlines()) == 1
    unknown = cli("token", "create", "nobody", env=env, cwd=tmp_path)
    assert unknown.returncode == 2 and "no user named 'nobody'" in unknown.stderr
    assert (tmp_path / "data" / "fediverse-skills.db").exists()


def test_token_scopes_and_revoke_on_sqlite(tmp_path: Path) -> None:
    env = clean_env(BASE_URL="https://skills.example")
    assert cli("create-user", "alice", env=env, cwd=tmp_path).returncode == 0
    read = cli("token", "create", "alice", "--scope", "read", env=env, cwd=tmp_path)
    assert read.returncode == 0, read.stderr
    assert read.stdout.startswith("fsk_")
    assert "Token 1 for @alice, scopes read " in read.stderr
    both = cli("token", "create", "alice", "--scope", "write,read", env=env, cwd=tmp_path)
    assert "Token 2 for @alice, scopes read,write " in both.stderr
    for bad, reason in (("admin", "unknown scope 'admin'"), (",", "at least one scope")):
        refused = cli("token", "create", "alice", "--scope", bad, env=env, cwd=tmp_path)
        assert refused.returncode == 2 and reason in refused.stderr, refused.stderr
    revoked = cli("token", "revoke", "1", env=env, cwd=tmp_path)
    assert revoked.returncode == 0 and "Revoked token 1." in revoked.stderr
    again = cli("token", "revoke", "1", env=env, cwd=tmp_path)
    assert again.returncode == 2 and "no active token 1" in again.stderr


def test_postgres_must_be_migrated_before_serving(fresh_postgres_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=fresh_postgres_url)
    for command in (
        ["serve", "--port", str(free_port())],
        ["worker", "--once"],
        ["create-user", "alice"],
    ):
        refused = cli(*command, env=env, cwd=tmp_path)
        assert refused.returncode == 1, refused.stderr
        assert "run `fediverse-skills migrate`" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert not (tmp_path / "data").exists()

    migrated = cli("migrate", env=env, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "Migrated the database from empty to" in migrated.stdout
    assert "up to date" in cli("migrate", env=env, cwd=tmp_path).stdout

    server = ServerProcess(env=env, cwd=tmp_path).start()
    try:
        health = server.wait_healthy()
        assert health.json()["workers"] == 0  # PostgreSQL runs workers as separate processes
    finally:
        assert server.stop() == 0


def test_trust_recompute_scores_every_local_profile(tmp_path: Path) -> None:
    """Seed a small network in the database, then recompute from the command line."""
    env = clean_env(BASE_URL="http://127.0.0.1:9")
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    base = "http://127.0.0.1:9/users"

    async def seed() -> None:
        db = Database.open(f"sqlite+aiosqlite:///{tmp_path}/data/fediverse-skills.db")
        try:
            for name in ("alice", "bob", "carol"):
                await accounts.create_user(db, name)
            now = datetime.now(UTC)
            async with db.transaction() as conn:
                alice = 1
                await skills.add(
                    conn, user_id=alice, key="rust", name="Rust", hashtag="Rust",
                    taxonomy=None, now=now,
                )  # fmt: skip
                await follows.add(
                    conn, follower=f"{base}/carol", followee=f"{base}/bob",
                    activity_uri="x", state="accepted", now=now,
                )  # fmt: skip
                await endorsements.add(
                    conn,
                    NewEndorsement(
                        public_id="e1", uri="urn:e1", subject=f"{base}/alice",
                        subject_user_id=alice, skill_key="rust", endorser=f"{base}/bob",
                        endorser_user_id=2, kind="endorsement", attestation="proof",
                        comment="", document="{}", created_at=now,
                    ),
                )  # fmt: skip
        finally:
            await db.close()

    asyncio.run(seed())
    done = cli("trust", "recompute", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 people, 2 edges, 1 skills on 3 local profiles" in done.stdout
    assert "alice@127.0.0.1:9" in done.stdout and "rust" in done.stdout
    assert "scoring profiles" in done.stderr and "3/3" in done.stderr
