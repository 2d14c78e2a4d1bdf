"""Schema migrations through Alembic, run from code (``fediverse-skills migrate``, ``serve``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from .db import Database, DatabaseUnavailable, describe_error

# An arbitrary constant: PostgreSQL advisory lock held while migrating, so that two
# processes starting at once do not both run the same migration.
MIGRATION_LOCK_ID = 0x5F5D_5C11


class NotMigrated(RuntimeError):
    """The database schema is behind (or ahead of) this version of the code."""


def script_location() -> Path:
    """Where the migration scripts are: inside the wheel, or at the top of a checkout."""
    packaged = Path(str(resources.files("fediverse_skills"))) / "_migrations"
    if (packaged / "env.py").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    if (checkout / "env.py").is_file():
        return checkout
    raise FileNotFoundError("the migration scripts are missing from this installation")


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _current(conn: Connection) -> set[str]:
    return set(MigrationContext.configure(conn).get_current_heads())


async def current_revisions(db: Database) -> set[str]:
    try:
        async with db.connection() as conn:
            return await conn.run_sync(_current)
    except (OSError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(
            f"cannot read the schema version from {db.safe_url}: {describe_error(exc)}"
        ) from None


async def ensure_migrated(db: Database) -> None:
    """Raise NotMigrated unless the database is at the newest schema this code knows."""
    current = await current_revisions(db)
    heads = head_revisions()
    if current == heads:
        return
    if not current:
        raise NotMigrated(
            f"the database at {db.safe_url} has no schema yet; run `fediverse-skills migrate` first"
        )
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current - known:
        raise NotMigrated(
            f"the database at {db.safe_url} was migrated by a newer version of fediverse-skills "
            f"(revision {', '.join(sorted(current - known))}); upgrade the software"
        )
    raise NotMigrated(
        f"the database at {db.safe_url} is not up to date; run `fediverse-skills migrate`"
    )


def _upgrade(conn: Connection, revision: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


async def upgrade(db: Database, revision: str = "head") -> tuple[set[str], set[str]]:
    """Migrate to ``revision``; returns the revisions before and after."""
    before = await current_revisions(db)
    try:
        async with db.transaction() as conn:
            await conn.run_sync(_upgrade, revision)
    except (OSError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(
            f"migrating {db.safe_url} failed: {describe_error(exc)}"
        ) from None
    return before, await current_revisions(db)
