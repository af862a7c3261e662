"""external ids of catalog feeds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:12:03.511842
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "external_ids",
        sa.Column("namespace", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("entity_id", sa.String(length=22), nullable=False),
        sa.CheckConstraint(
            "kind IN ('track', 'album', 'artist')", name=op.f("ck_external_ids_kind")
        ),
        sa.PrimaryKeyConstraint("namespace", "kind", "external_id", name=op.f("pk_external_ids")),
    )
    with op.batch_alter_table("external_ids", schema=None) as batch_op:
        batch_op.create_index("ix_external_ids_entity_id", ["entity_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("external_ids", schema=None) as batch_op:
        batch_op.drop_index("ix_external_ids_entity_id")

    op.drop_table("external_ids")
