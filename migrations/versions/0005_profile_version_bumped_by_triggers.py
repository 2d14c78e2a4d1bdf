"""profile version, bumped by triggers on skills and endorsements

Cached profiles are valid while users.profile_version is unchanged. Triggers bump it on
every insert, update or delete of a user's skills or of endorsements of their skills, so
that no write (not even one made by hand in the database) can leave a stale cache.

Note: on SQLite, a later batch migration that recreates `skills` or `endorsements` drops
their triggers; such a migration must create them again (see `_sqlite_triggers`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the columns naming the users whose profiles a row changes (an endorsement
# changes its subject's skills and its author's reciprocity)
WATCHED = {"skills": ("user_id",), "endorsements": ("subject_user_id", "endorser_user_id")}

_BUMP = "UPDATE users SET profile_version = profile_version + 1 WHERE id = {row}.{column};"


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, columns in WATCHED.items():
        for event, rows in (
            ("INSERT", ("NEW",)),
            ("UPDATE", ("OLD", "NEW")),
            ("DELETE", ("OLD",)),
        ):
            body = " ".join(
                _BUMP.format(row=row, column=column) for row in rows for column in columns
            )
            statements.append(
                f"CREATE TRIGGER {table}_profile_version_{event.lower()} "
                f"AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END"
            )
    return statements


_PG_FUNCTION = """
CREATE FUNCTION bump_profile_version() RETURNS trigger AS $$
DECLARE
    column_name text;
BEGIN
    FOREACH column_name IN ARRAY TG_ARGV LOOP
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE users SET profile_version = profile_version + 1
            WHERE id = (to_jsonb(NEW) ->> column_name)::bigint;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE users SET profile_version = profile_version + 1
            WHERE id = (to_jsonb(OLD) ->> column_name)::bigint;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("profile_version", sa.BigInteger(), server_default="0", nullable=False)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table, columns in WATCHED.items():
            arguments = ", ".join(f"'{c}'" for c in columns)
            op.execute(
                f"CREATE TRIGGER {table}_profile_version AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION bump_profile_version({arguments})"
            )
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_profile_version ON {table}")
        op.execute("DROP FUNCTION bump_profile_version()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_profile_version_{event}")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("profile_version")
