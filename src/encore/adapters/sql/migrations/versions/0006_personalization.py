"""personalization: generated playlists, batch runs, listeners' time zones

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 15:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))
    op.create_table(
        "generated_playlists",
        sa.Column("playlist_id", sa.String(length=22), nullable=False),
        sa.Column("made_for", sa.String(length=22), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.Integer(), server_default="0", nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "source IN ('model', 'popularity')", name=op.f("ck_generated_playlists_source")
        ),
        sa.ForeignKeyConstraint(
            ["made_for"],
            ["users.id"],
            name=op.f("fk_generated_playlists_made_for_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["playlists.id"],
            name=op.f("fk_generated_playlists_playlist_id_playlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playlist_id", name=op.f("pk_generated_playlists")),
    )
    op.create_index(
        "ix_generated_playlists_made_for_kind",
        "generated_playlists",
        ["made_for", "kind"],
        unique=False,
    )
    op.create_table(
        "recommend_runs",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("runner", sa.String(length=16), nullable=False),
        sa.Column("kinds", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("users", sa.Integer(), server_default="0", nullable=False),
        sa.Column("playlists", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'complete', 'failed')", name=op.f("ck_recommend_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommend_runs")),
    )
    op.create_index("ix_recommend_runs_started_at", "recommend_runs", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_recommend_runs_started_at", table_name="recommend_runs")
    op.drop_table("recommend_runs")
    op.drop_index("ix_generated_playlists_made_for_kind", table_name="generated_playlists")
    op.drop_table("generated_playlists")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
