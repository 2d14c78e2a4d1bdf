"""web accounts: sessions, sign-in failures, invites, settings, media, reports

Adds what the web UI needs: browser sessions (hashed tokens), failed sign-ins for the rate
limit, invites, instance settings an admin edits, uploaded avatars, received reports
(Flag), suspension, deletion (the row stays as a tombstone) and open-to-work on users, and
the undo window of web decisions on suggestions. Only columns are added to existing tables,
so no SQLite table is recreated (the triggers of 0005 stay in place).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fediverse_skills.store.tables

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_settings")),
    )
    op.create_table(
        "login_failures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_key_at", ["key", "at"], unique=False)

    op.create_table(
        "reports",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("reporter", sa.Text(), nullable=False),
        sa.Column("targets", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "created_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "resolved_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("uri", name=op.f("uq_reports_uri")),
    )
    op.create_table(
        "invites",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "created_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("used_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "used_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_invites_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["used_by"], ["users.id"], name=op.f("fk_invites_used_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_invites")),
    )
    op.create_table(
        "media",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_media_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_media")),
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_user_id"), ["user_id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "created_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_seen_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_web_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_web_sessions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.add_column("suggestions", sa.Column("pending_decision", sa.String(length=16), nullable=True))
    op.add_column(
        "suggestions",
        sa.Column(
            "decision_due_at",
            fediverse_skills.store.tables.UTCDateTime(timezone=True),
            nullable=True,
        ),
    )
    op.create_index(
        op.f("ix_suggestions_decision_due_at"), "suggestions", ["decision_due_at"], unique=False
    )

    op.add_column("users", sa.Column("avatar", sa.String(length=80), nullable=True))
    op.add_column(
        "users",
        sa.Column(
            "suspended_at",
            fediverse_skills.store.tables.UTCDateTime(timezone=True),
            nullable=True,
        ),
    )
    op.add_column(
        "users", sa.Column("open_to_work", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "users",
        sa.Column("show_open_to_work", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "users",
        sa.Column(
            "deleted_at",
            fediverse_skills.store.tables.UTCDateTime(timezone=True),
            nullable=True,
        ),
    )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of users would
    # break the triggers of 0005.
    for column in ("deleted_at", "show_open_to_work", "open_to_work", "suspended_at", "avatar"):
        op.drop_column("users", column)
    op.drop_index(op.f("ix_suggestions_decision_due_at"), table_name="suggestions")
    op.drop_column("suggestions", "decision_due_at")
    op.drop_column("suggestions", "pending_decision")

    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_web_sessions_expires_at"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_user_id"))

    op.drop_table("media")
    op.drop_table("invites")
    op.drop_table("reports")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_key_at")

    op.drop_table("login_failures")
    op.drop_table("instance_settings")
