"""playlist changes and listening statistics

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:25:40.824478
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consumer_offsets",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "topic", name=op.f("pk_consumer_offsets")),
    )
    op.create_table(
        "wrapped",
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_wrapped_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "year", name=op.f("pk_wrapped")),
    )
    op.create_table(
        "country_daily_plays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_country_daily_plays_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "country", "track_id", name=op.f("pk_country_daily_plays")),
    )
    op.create_table(
        "playlist_changes",
        sa.Column("playlist_id", sa.String(length=22), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.String(length=32), nullable=False),
        sa.Column("touched_from", sa.Integer(), nullable=True),
        sa.Column("fields", sa.String(length=200), server_default="", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["playlists.id"],
            name=op.f("fk_playlist_changes_playlist_id_playlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playlist_id", "version", name=op.f("pk_playlist_changes")),
        sa.UniqueConstraint("playlist_id", "snapshot_id", name="uq_playlist_changes_snapshot"),
    )
    op.create_table(
        "track_stats",
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("plays", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_track_stats_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("track_id", name=op.f("pk_track_stats")),
    )
    with op.batch_alter_table("playlists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("playlists", schema=None) as batch_op:
        batch_op.drop_column("version")

    op.drop_table("track_stats")
    op.drop_table("playlist_changes")
    op.drop_table("country_daily_plays")
    op.drop_table("wrapped")
    op.drop_table("consumer_offsets")
