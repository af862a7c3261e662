"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 06:53:24.357826
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "albums",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("album_type", sa.String(length=16), server_default="album", nullable=False),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("release_date_precision", sa.String(length=5), nullable=True),
        sa.Column("total_tracks", sa.Integer(), server_default="0", nullable=False),
        sa.Column("label", sa.String(length=500), nullable=True),
        sa.Column("upc", sa.String(length=20), nullable=True),
        sa.Column("musicbrainz_id", sa.String(length=36), nullable=True),
        sa.Column("cover_art_path", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "album_type IN ('album', 'single', 'compilation', 'ep')",
            name=op.f("ck_albums_album_type"),
        ),
        sa.CheckConstraint(
            "release_date_precision IS NULL OR release_date_precision IN ('year', 'month', 'day')",
            name=op.f("ck_albums_release_date_precision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_albums")),
        sa.UniqueConstraint("musicbrainz_id", name=op.f("uq_albums_musicbrainz_id")),
    )
    op.create_table(
        "artists",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("sort_name", sa.String(length=500), nullable=False),
        sa.Column("musicbrainz_id", sa.String(length=36), nullable=True),
        sa.Column("image_path", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artists")),
        sa.UniqueConstraint("musicbrainz_id", name=op.f("uq_artists_musicbrainz_id")),
    )
    with op.batch_alter_table("artists", schema=None) as batch_op:
        batch_op.create_index("ix_artists_sort_name", ["sort_name"], unique=False)

    op.create_table(
        "genres",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genres")),
        sa.UniqueConstraint("name", name=op.f("uq_genres_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("plan", sa.String(length=16), server_default="free", nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "plan IN ('free', 'premium', 'family', 'duo')", name=op.f("ck_users_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "album_artists",
        sa.Column("album_id", sa.String(length=22), nullable=False),
        sa.Column("artist_id", sa.String(length=22), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["album_id"],
            ["albums.id"],
            name=op.f("fk_album_artists_album_id_albums"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_album_artists_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("album_id", "artist_id", name=op.f("pk_album_artists")),
    )
    with op.batch_alter_table("album_artists", schema=None) as batch_op:
        batch_op.create_index("ix_album_artists_artist_id", ["artist_id"], unique=False)

    op.create_table(
        "follows",
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=22), nullable=False),
        sa.Column("followed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "target_type IN ('artist', 'playlist', 'user')", name=op.f("ck_follows_target_type")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "target_type", "target_id", name=op.f("pk_follows")),
    )
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.create_index("ix_follows_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "plan_changes",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("from_plan", sa.String(length=16), nullable=False),
        sa.Column("to_plan", sa.String(length=16), nullable=False),
        sa.Column("changed_by", sa.String(length=22), nullable=False),
        sa.Column("reason", sa.String(length=255), server_default="", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "to_plan IN ('free', 'premium', 'family', 'duo')", name=op.f("ck_plan_changes_to_plan")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_plan_changes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_changes")),
        sa.UniqueConstraint("user_id", "idempotency_key", name="uq_plan_changes_user_key"),
    )
    op.create_table(
        "plan_members",
        sa.Column("owner_id", sa.String(length=22), nullable=False),
        sa.Column("member_id", sa.String(length=22), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('invited', 'active')", name=op.f("ck_plan_members_status")),
        sa.CheckConstraint("owner_id <> member_id", name=op.f("ck_plan_members_not_self")),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["users.id"],
            name=op.f("fk_plan_members_member_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_plan_members_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("owner_id", "member_id", name=op.f("pk_plan_members")),
        sa.UniqueConstraint("member_id", name="uq_plan_members_member"),
    )
    op.create_table(
        "playlists",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("owner_id", sa.String(length=22), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("public", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("collaborative", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("kind", sa.String(length=32), server_default="user", nullable=False),
        sa.Column("snapshot_id", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "NOT (public AND collaborative)", name=op.f("ck_playlists_collaborative_private")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_playlists_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playlists")),
    )
    with op.batch_alter_table("playlists", schema=None) as batch_op:
        batch_op.create_index("ix_playlists_owner_id", ["owner_id"], unique=False)

    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("family_id", sa.String(length=22), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refresh_tokens_family_id"), ["family_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_refresh_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "tracks",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("album_id", sa.String(length=22), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("disc_number", sa.Integer(), server_default="1", nullable=False),
        sa.Column("track_number", sa.Integer(), nullable=True),
        sa.Column("isrc", sa.String(length=12), nullable=True),
        sa.Column("explicit", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("popularity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("restricted", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("musicbrainz_id", sa.String(length=36), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("duration_ms >= 0", name=op.f("ck_tracks_duration")),
        sa.CheckConstraint("popularity BETWEEN 0 AND 100", name=op.f("ck_tracks_popularity")),
        sa.ForeignKeyConstraint(
            ["album_id"], ["albums.id"], name=op.f("fk_tracks_album_id_albums"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracks")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_tracks_content_hash")),
    )
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracks_album_id", ["album_id", "disc_number", "track_number"], unique=False
        )
        batch_op.create_index("ix_tracks_isrc", ["isrc"], unique=False)
        batch_op.create_index("ix_tracks_popularity", ["popularity"], unique=False)

    op.create_table(
        "liked_tracks",
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("liked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_liked_tracks_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_liked_tracks_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "track_id", name=op.f("pk_liked_tracks")),
    )
    with op.batch_alter_table("liked_tracks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_liked_tracks_user_liked_at", ["user_id", "liked_at"], unique=False
        )

    op.create_table(
        "listening_history",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("listened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_played_ms", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("skipped", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("context_type", sa.String(length=16), nullable=True),
        sa.Column("context_id", sa.String(length=64), nullable=True),
        sa.Column("device", sa.String(length=100), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("duration_played_ms >= 0", name=op.f("ck_listening_history_duration")),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_listening_history_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_listening_history_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_listening_history")),
    )
    with op.batch_alter_table("listening_history", schema=None) as batch_op:
        batch_op.create_index("ix_listening_history_track_id", ["track_id"], unique=False)
        batch_op.create_index(
            "ix_listening_history_user_listened_at", ["user_id", "listened_at"], unique=False
        )

    op.create_table(
        "playlist_collaborators",
        sa.Column("playlist_id", sa.String(length=22), nullable=False),
        sa.Column("user_id", sa.String(length=22), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["playlists.id"],
            name=op.f("fk_playlist_collaborators_playlist_id_playlists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_playlist_collaborators_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playlist_id", "user_id", name=op.f("pk_playlist_collaborators")),
    )
    op.create_table(
        "playlist_tracks",
        sa.Column("playlist_id", sa.String(length=22), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=22), nullable=True),
        sa.CheckConstraint("position >= 0", name=op.f("ck_playlist_tracks_position")),
        sa.ForeignKeyConstraint(
            ["added_by"],
            ["users.id"],
            name=op.f("fk_playlist_tracks_added_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["playlist_id"],
            ["playlists.id"],
            name=op.f("fk_playlist_tracks_playlist_id_playlists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_playlist_tracks_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playlist_id", "position", name=op.f("pk_playlist_tracks")),
    )
    with op.batch_alter_table("playlist_tracks", schema=None) as batch_op:
        batch_op.create_index("ix_playlist_tracks_track_id", ["track_id"], unique=False)

    op.create_table(
        "renditions",
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("quality", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("codec", sa.String(length=16), nullable=False),
        sa.Column("bitrate_kbps", sa.Integer(), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "quality IN ('low', 'normal', 'high', 'very_high', 'lossless', 'preview')",
            name=op.f("ck_renditions_quality"),
        ),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_renditions_size")),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_renditions_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("track_id", "quality", name=op.f("pk_renditions")),
        sa.UniqueConstraint("path", name=op.f("uq_renditions_path")),
    )
    op.create_table(
        "track_artists",
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("artist_id", sa.String(length=22), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_track_artists_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_track_artists_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("track_id", "artist_id", name=op.f("pk_track_artists")),
    )
    with op.batch_alter_table("track_artists", schema=None) as batch_op:
        batch_op.create_index("ix_track_artists_artist_id", ["artist_id"], unique=False)

    op.create_table(
        "track_countries",
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_track_countries_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("track_id", "country", name=op.f("pk_track_countries")),
    )
    op.create_table(
        "track_genres",
        sa.Column("track_id", sa.String(length=22), nullable=False),
        sa.Column("genre_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["genre_id"],
            ["genres.id"],
            name=op.f("fk_track_genres_genre_id_genres"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["track_id"],
            ["tracks.id"],
            name=op.f("fk_track_genres_track_id_tracks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("track_id", "genre_id", name=op.f("pk_track_genres")),
    )
    with op.batch_alter_table("track_genres", schema=None) as batch_op:
        batch_op.create_index("ix_track_genres_genre_id", ["genre_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("track_genres", schema=None) as batch_op:
        batch_op.drop_index("ix_track_genres_genre_id")

    op.drop_table("track_genres")
    op.drop_table("track_countries")
    with op.batch_alter_table("track_artists", schema=None) as batch_op:
        batch_op.drop_index("ix_track_artists_artist_id")

    op.drop_table("track_artists")
    op.drop_table("renditions")
    with op.batch_alter_table("playlist_tracks", schema=None) as batch_op:
        batch_op.drop_index("ix_playlist_tracks_track_id")

    op.drop_table("playlist_tracks")
    op.drop_table("playlist_collaborators")
    with op.batch_alter_table("listening_history", schema=None) as batch_op:
        batch_op.drop_index("ix_listening_history_user_listened_at")
        batch_op.drop_index("ix_listening_history_track_id")

    op.drop_table("listening_history")
    with op.batch_alter_table("liked_tracks", schema=None) as batch_op:
        batch_op.drop_index("ix_liked_tracks_user_liked_at")

    op.drop_table("liked_tracks")
    with op.batch_alter_table("tracks", schema=None) as batch_op:
        batch_op.drop_index("ix_tracks_popularity")
        batch_op.drop_index("ix_tracks_isrc")
        batch_op.drop_index("ix_tracks_album_id")

    op.drop_table("tracks")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_family_id"))

    op.drop_table("refresh_tokens")
    with op.batch_alter_table("playlists", schema=None) as batch_op:
        batch_op.drop_index("ix_playlists_owner_id")

    op.drop_table("playlists")
    op.drop_table("plan_members")
    op.drop_table("plan_changes")
    with op.batch_alter_table("follows", schema=None) as batch_op:
        batch_op.drop_index("ix_follows_target")

    op.drop_table("follows")
    with op.batch_alter_table("album_artists", schema=None) as batch_op:
        batch_op.drop_index("ix_album_artists_artist_id")

    op.drop_table("album_artists")
    op.drop_table("users")
    op.drop_table("genres")
    with op.batch_alter_table("artists", schema=None) as batch_op:
        batch_op.drop_index("ix_artists_sort_name")

    op.drop_table("artists")
    op.drop_table("albums")
