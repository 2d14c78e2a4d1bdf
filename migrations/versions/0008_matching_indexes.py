"""matching indexes

Endorsements by the URI of the person they are about (remote people too) and skill: the
skill signals matching reads for every candidate (services.matching).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_endorsements_subject_key", "endorsements", ["subject", "skill_key"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_endorsements_subject_key", table_name="endorsements")
