"""Whole instances of our server as real processes on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from fediverse_skills.store.db import Database
from tests.processes import ServerProcess, clean_env, cli, free_port


@dataclass
class Instance:
    """One instance: its directory, database, web process and (on PostgreSQL) workers."""

    root: Path
    database_url: str | None = None  # None: SQLite in the instance's data directory
    workers: int = 0  # separate worker processes (PostgreSQL)
    port: int = field(default_factory=free_port)
    server: ServerProcess | None = None
    worker_procs: list[ServerProcess] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)  # more FEDSKILLS_* settings

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        settings = {"BASE_URL": self.url, "ALLOW_PRIVATE_ADDRESSES": "true"}
        if self.database_url:
            settings["DATABASE_URL"] = self.database_url
        return clean_env(**settings, **self.extra_env)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.root}/data/fediverse-skills.db"

    def setup(self, *usernames: str, password: str | None = None) -> Instance:
        """Create the accounts (with ``password``, if given, for signing in on the web)
        and an API token for each."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self.database_url:
            migrated = cli("migrate", env=self.env(), cwd=self.root)
            assert migrated.returncode == 0, migrated.stderr
        for name in usernames:
            if password is None:
                made = cli("create-user", name, env=self.env(), cwd=self.root)
            else:
                made = cli(
                    "create-user",
                    name,
                    "--password-stdin",
                    env=self.env(),
                    cwd=self.root,
                    stdin=password + "\n",
                )
            assert made.returncode == 0, made.stderr
            token = cli("token", "create", name, env=self.env(), cwd=self.root)
            assert token.returncode == 0, token.stderr
            self.tokens[name] = token.stdout.strip()
        return self

    def start(self) -> Instance:
        self.server = ServerProcess(env=self.env(), cwd=self.root, port=self.port).start()
        self.worker_procs = [
            ServerProcess(env=self.env(), cwd=self.root, command=("worker",)).start()
            for _ in range(self.workers)
        ]
        self.server.wait_healthy()
        return self

    def stop(self) -> None:
        for proc in [*self.worker_procs, *([self.server] if self.server else [])]:
            proc.stop()

    def logs(self) -> str:
        parts = [p.log() for p in [*([self.server] if self.server else []), *self.worker_procs]]
        return "\n".join(parts)

    def api(self, user: str, path: str, payload: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"}
        if payload is None:
            return httpx.get(f"{self.url}{path}", headers=headers, timeout=30)
        return httpx.post(f"{self.url}{path}", json=payload, headers=headers, timeout=30)

    def get_as(self, path_or_url: str) -> httpx.Response:
        url = path_or_url if path_or_url.startswith("http") else f"{self.url}{path_or_url}"
        return httpx.get(url, headers={"Accept": "application/activity+json"}, timeout=30)

    def query(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async def run() -> list[tuple[Any, ...]]:
            db = Database.open(self.db_url)
            try:
                async with db.connection() as conn:
                    return [tuple(r) for r in await conn.execute(text(sql), params)]
            finally:
                await db.close()

        return asyncio.run(run())

    def execute(self, sql: str, **params: Any) -> int:
        """Run a write statement directly in the instance's database (tests that tamper)."""

        async def run() -> int:
            db = Database.open(self.db_url)
            try:
                async with db.transaction() as conn:
                    return int((await conn.execute(text(sql), params)).rowcount)
            finally:
                await db.close()

        return asyncio.run(run())


def eventually(check: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")
