"""profile version triggers lock users in id order (PostgreSQL)

The trigger function of 0005 bumped the users a row names one after the other (an
endorsement's subject, then its author), so two transactions endorsing each other took
the same two users' rows in opposite orders and could deadlock. It now takes them
together, in ascending id order, the order ``store.users.lock_users`` takes them in,
then bumps each once. SQLite has a single writer at a time and keeps its triggers.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# FOR NO KEY UPDATE is the lock UPDATE itself takes: foreign-key checks (FOR KEY SHARE) of
# rows that name these users still go through.
_IN_ID_ORDER = """
CREATE OR REPLACE FUNCTION bump_profile_version() RETURNS trigger AS $$
DECLARE
    column_name text;
    ids bigint[] := '{}';
BEGIN
    FOREACH column_name IN ARRAY TG_ARGV LOOP
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            ids := ids || (to_jsonb(NEW) ->> column_name)::bigint;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            ids := ids || (to_jsonb(OLD) ->> column_name)::bigint;
        END IF;
    END LOOP;
    PERFORM 1 FROM users WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE users SET profile_version = profile_version + 1 WHERE id = ANY(ids);
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

# The function as 0005 created it.
_ONE_BY_ONE = """
CREATE OR REPLACE FUNCTION bump_profile_version() RETURNS trigger AS $$
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_IN_ID_ORDER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_ONE_BY_ONE)
