"""Real server and worker processes on 127.0.0.1, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import PostgresServer
from tests.processes import ServerProcess, clean_env, cli

pytestmark = pytest.mark.slow


def wait_for(predicate: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_serve_on_a_fresh_directory_with_sqlite(tmp_path: Path) -> None:
    """What `make run` does: no settings at all, and an instance comes up."""
    server = ServerProcess(env=clean_env(LOG_FORMAT="json"), cwd=tmp_path).start()
    try:
        server.wait_healthy()
        # The in-process worker beats within a moment.
        wait_for(lambda: httpx.get(f"{server.url}/healthz").json()["workers"] == 1)
        home = httpx.get(f"{server.url}/")
        assert home.status_code == 200 and "fediverse-skills" in home.text
    finally:
        assert server.stop() == 0, server.log()
    data = tmp_path / "data"
    assert (data / "fediverse-skills.db").is_file()
    assert (data / "secret_key").stat().st_mode & 0o077 == 0
    records = [json.loads(line) for line in server.log().splitlines() if line.strip()]
    assert {"ts", "level", "logger", "msg"} <= set(records[0])
    assert any(r["msg"] == "instance ready" and r["database"] == "sqlite" for r in records)
    assert any(r["msg"] == "worker stopped" for r in records)
    secret = (data / "secret_key").read_text().strip()
    assert secret not in server.log()


def test_postgres_with_separate_workers(fresh_postgres_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=fresh_postgres_url)
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    server = ServerProcess(env=env, cwd=tmp_path).start()
    workers = [ServerProcess(env=env, cwd=tmp_path, command=("worker",)).start() for _ in range(2)]
    try:
        server.wait_healthy()

        def alive() -> int:
            return int(httpx.get(f"{server.url}/healthz").json()["workers"])

        wait_for(lambda: alive() == 2)
        assert workers[0].stop() == 0, workers[0].log()
        wait_for(lambda: alive() == 1)  # a stopped worker removes its heartbeat
    finally:
        for proc in [*workers, server]:
            proc.stop()
    assert "worker stopped" in workers[0].log()


def test_healthz_turns_503_when_the_database_goes_away(
    postgres_server: PostgresServer | None, fresh_postgres_url: str, tmp_path: Path
) -> None:
    assert postgres_server is not None
    env = clean_env(DATABASE_URL=fresh_postgres_url)
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    server = ServerProcess(env=env, cwd=tmp_path).start()
    try:
        server.wait_healthy()
        postgres_server.drop(fresh_postgres_url)
        response = httpx.get(f"{server.url}/healthz", timeout=30)
        assert response.status_code == 503
        assert response.json()["status"] == "error"
        assert response.json()["database"] == "unavailable"  # details go to the log only
        assert "health check failed" in server.log()
    finally:
        server.stop()
