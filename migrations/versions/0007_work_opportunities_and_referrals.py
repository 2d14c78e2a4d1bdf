"""work opportunities and referrals

Postings (ours and those received from other servers), the skills they need (indexed by
key for the board and for matching), and referrals of candidates to them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fediverse_skills.store.tables

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opportunities",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("public_id", sa.String(length=40), nullable=True),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("place", sa.String(length=400), nullable=False),
        sa.Column("pay", sa.String(length=400), nullable=False),
        sa.Column("contact_url", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column(
            "expires_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expiry_sent_at",
            fediverse_skills.store.tables.UTCDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column("document", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_opportunities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
        sa.UniqueConstraint("public_id", name=op.f("uq_opportunities_public_id")),
        sa.UniqueConstraint("uri", name=op.f("uq_opportunities_uri")),
    )
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.create_index("ix_opportunities_author", ["author"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_opportunities_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index("ix_opportunities_user", ["user_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("opportunity", sa.String(length=2048), nullable=False),
        sa.Column("poster", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("referrer", sa.Text(), nullable=False),
        sa.Column(
            "referrer_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("candidate", sa.Text(), nullable=False),
        sa.Column(
            "candidate_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "poster_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=True),
        sa.Column(
            "created_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "decided_at", fediverse_skills.store.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["candidate_user_id"],
            ["users.id"],
            name=op.f("fk_referrals_candidate_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poster_user_id"],
            ["users.id"],
            name=op.f("fk_referrals_poster_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referrer_user_id"],
            ["users.id"],
            name=op.f("fk_referrals_referrer_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("public_id", name=op.f("uq_referrals_public_id")),
        sa.UniqueConstraint("uri", name=op.f("uq_referrals_uri")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_referrals_candidate", ["candidate_user_id", "state"], unique=False
        )
        batch_op.create_index("ix_referrals_poster", ["poster_user_id", "state"], unique=False)
        batch_op.create_index("ix_referrals_referrer", ["referrer_user_id"], unique=False)

    op.create_table(
        "opportunity_skills",
        sa.Column(
            "opportunity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_skills_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("opportunity_id", "key", name=op.f("pk_opportunity_skills")),
    )
    with op.batch_alter_table("opportunity_skills", schema=None) as batch_op:
        batch_op.create_index("ix_opportunity_skills_key", ["key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opportunity_skills", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunity_skills_key")

    op.drop_table("opportunity_skills")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_referrer")
        batch_op.drop_index("ix_referrals_poster")
        batch_op.drop_index("ix_referrals_candidate")

    op.drop_table("referrals")
    with op.batch_alter_table("opportunities", schema=None) as batch_op:
        batch_op.drop_index("ix_opportunities_user")
        batch_op.drop_index(batch_op.f("ix_opportunities_expires_at"))
        batch_op.drop_index("ix_opportunities_author")

    op.drop_table("opportunities")
