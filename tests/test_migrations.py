"""Migrations and models agree, on both databases; an unmigrated database is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

from fediverse_skills.store.db import Database
from fediverse_skills.store.migrations import (
    NotMigrated,
    current_revisions,
    ensure_migrated,
    head_revisions,
    script_location,
    upgrade,
)
from fediverse_skills.store.tables import metadata


def _diff(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(ctx, metadata))


async def test_models_and_migrations_agree(db: Database) -> None:
    """The same check as `alembic check`, on this backend."""
    async with db.connection() as conn:
        assert await conn.run_sync(_diff) == []
    await ensure_migrated(db)


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = Database.open(f"sqlite+aiosqlite:///{tmp_path}/nested/dir/wal.db")
    try:
        await upgrade(db)
        async with db.connection() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
    finally:
        await db.close()
    # WAL mode is persistent: a plain connection sees it too.
    with sqlite3.connect(tmp_path / "nested" / "dir" / "wal.db") as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_unmigrated_postgres_is_refused_then_migrated(fresh_postgres_url: str) -> None:
    db = Database.open(fresh_postgres_url)
    try:
        with pytest.raises(NotMigrated, match="run `fediverse-skills migrate`"):
            await ensure_migrated(db)
        before, after = await upgrade(db)
        assert before == set()
        assert after == head_revisions()
        await ensure_migrated(db)
        # Running again is a no-op.
        assert await upgrade(db) == (after, after)
    finally:
        await db.close()


async def test_database_from_a_newer_version_is_refused(fresh_postgres_url: str) -> None:
    db = Database.open(fresh_postgres_url)
    try:
        await upgrade(db)
        async with db.transaction() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
        with pytest.raises(NotMigrated, match="newer version"):
            await ensure_migrated(db)
    finally:
        await db.close()


def test_migration_scripts_are_found() -> None:
    assert (script_location() / "env.py").is_file()
    assert head_revisions()


def _downgrade(conn: Connection, revision: str) -> None:
    from alembic import command

    from fediverse_skills.store.migrations import alembic_config

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.downgrade(cfg, revision)


async def _check_0009(url: str) -> None:
    """Tokens made before scopes existed keep what they could do (``read write``); the
    revision goes down and up again."""
    db = Database.open(url)
    try:
        await upgrade(db, "0008")
        async with db.transaction() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (username, display_name, summary, is_admin,"
                    " rsa_private_pem, rsa_public_pem, ed25519_private, ed25519_public,"
                    " created_at) VALUES ('old', '', '', false, '', '', '', '',"
                    " CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO api_tokens (user_id, name, token_hash, created_at)"
                    " SELECT id, 'old', 'h', CURRENT_TIMESTAMP FROM users"
                )
            )
        await upgrade(db)
        async with db.connection() as conn:
            scopes = (await conn.execute(text("SELECT scopes FROM api_tokens"))).scalar_one()
        assert scopes == "read write"
        async with db.transaction() as conn:
            await conn.run_sync(_downgrade, "0008")
        assert await current_revisions(db) == {"0008"}
        await upgrade(db)
        assert await current_revisions(db) == head_revisions()
    finally:
        await db.close()


async def test_0009_gives_existing_tokens_read_and_write_on_sqlite(tmp_path: Path) -> None:
    await _check_0009(f"sqlite+aiosqlite:///{tmp_path}/t.db")


async def test_0009_gives_existing_tokens_read_and_write_on_postgres(
    fresh_postgres_url: str,
) -> None:
    await _check_0009(fresh_postgres_url)


async def _check_0010(url: str) -> None:
    """0010 changes PostgreSQL's trigger function to lock users in id order (SQLite keeps
    its triggers); down and up again, the triggers still bump both people."""
    db = Database.open(url)
    postgres = db.dialect == "postgresql"
    source = "SELECT prosrc FROM pg_proc WHERE proname = 'bump_profile_version'"
    try:
        await upgrade(db)
        if postgres:
            async with db.connection() as conn:
                assert (
                    "ORDER BY id FOR NO KEY UPDATE"
                    in (await conn.execute(text(source))).scalar_one()
                )
        async with db.transaction() as conn:
            await conn.run_sync(_downgrade, "0009")
        assert await current_revisions(db) == {"0009"}
        if postgres:
            async with db.connection() as conn:
                assert "FOR NO KEY UPDATE" not in (await conn.execute(text(source))).scalar_one()
        await upgrade(db)
        assert await current_revisions(db) == head_revisions()
        async with db.transaction() as conn:
            for name in ("a", "b"):
                await conn.execute(
                    text(
                        "INSERT INTO users (username, display_name, summary, is_admin,"
                        " rsa_private_pem, rsa_public_pem, ed25519_private, ed25519_public,"
                        " created_at) VALUES (:n, '', '', false, '', '', '', '',"
                        " CURRENT_TIMESTAMP)"
                    ),
                    {"n": name},
                )
            await conn.execute(
                text(
                    "INSERT INTO endorsements (public_id, uri, subject, subject_user_id,"
                    " skill_key, endorser, endorser_user_id, kind, attestation, comment,"
                    " document, created_at) SELECT 'p', 'u', 's', b.id, 'k', 'e', a.id,"
                    " 'endorsement', 'proof', '', '{}', CURRENT_TIMESTAMP"
                    " FROM users a, users b WHERE a.username = 'a' AND b.username = 'b'"
                )
            )
        async with db.connection() as conn:
            versions = (
                await conn.execute(text("SELECT profile_version FROM users ORDER BY username"))
            ).scalars()
            assert list(versions) == [1, 1]
    finally:
        await db.close()


async def test_0010_goes_down_and_up_on_sqlite(tmp_path: Path) -> None:
    await _check_0010(f"sqlite+aiosqlite:///{tmp_path}/t.db")


async def test_0010_goes_down_and_up_on_postgres(fresh_postgres_url: str) -> None:
    await _check_0010(fresh_postgres_url)
