"""import sources and upscaled renditions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 07:57:44.129270
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_sources",
        sa.Column("path_key", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_import_sources_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("path_key", name=op.f("pk_import_sources")),
    )
    with op.batch_alter_table("import_sources", schema=None) as batch_op:
        batch_op.create_index("ix_import_sources_track_id", ["track_id"], unique=False)

    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("upscaled", sa.Boolean(), server_default=sa.text("(false)"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.drop_column("upscaled")

    with op.batch_alter_table("import_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_import_sources_track_id")

    op.drop_table("import_sources")
