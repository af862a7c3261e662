"""subsonic credentials, starred albums and ratings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 15:10:44.801334
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("target_id", sa.String(length=22), nullable=False),
        sa.Column("target_type", sa.String(length=8), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "target_type IN ('track', 'album', 'artist')", name=op.f("ck_ratings_target_type")
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_ratings_rating")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ratings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "target_id", name=op.f("pk_ratings")),
    )
    op.create_table(
        "starred_albums",
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("album_id", sa.String(length=22), nullable=False),
        sa.Column("starred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["album_id"],
            ["albums.id"],
            name=op.f("fk_starred_albums_album_id_albums"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_starred_albums_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "album_id", name=op.f("pk_starred_albums")),
    )
    with op.batch_alter_table("starred_albums", schema=None) as batch_op:
        batch_op.create_index(
            "ix_starred_albums_user_starred_at", ["user_id", "starred_at"], unique=False
        )

    op.create_table(
        "subsonic_credentials",
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("username", sa.String(length=320), nullable=False),
        sa.Column("sealed_password", sa.String(length=200), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_subsonic_credentials_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_subsonic_credentials")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_subsonic_credentials_api_key_hash")),
        sa.UniqueConstraint("username", name=op.f("uq_subsonic_credentials_username")),
    )


def downgrade() -> None:
    op.drop_table("subsonic_credentials")
    with op.batch_alter_table("starred_albums", schema=None) as batch_op:
        batch_op.drop_index("ix_starred_albums_user_starred_at")

    op.drop_table("starred_albums")
    op.drop_table("ratings")
