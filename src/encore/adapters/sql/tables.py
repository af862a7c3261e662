"""Table mappings: SQLAlchemy Core tables for SQLite and PostgreSQL alike.

Only the SQL adapter sees these; domains work with their own frozen dataclasses. Timestamps are
timezone-aware UTC. IDs are the opaque 22-character strings from `encore.ids`. Every change here
needs an Alembic revision (a test compares the migrated schema with this metadata).
"""

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ID = String(22)
COUNTRY = String(2)
PLANS = "'free', 'premium', 'family', 'duo'"


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, written and read back in UTC; naive values are taken as UTC.

    SQLite keeps no offset, so 12:00+02:00 would otherwise be stored as 12:00 and read back as
    12:00 UTC; PostgreSQL hands values back in the session's time zone, whatever the server's is.
    The DDL is plain `DateTime(timezone=True)`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value)


def as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _created_at() -> Column[object]:
    return Column("created_at", UtcDateTime(), nullable=False)


# --- accounts ---------------------------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", ID, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("display_name", String(100), nullable=False),
    Column("country", COUNTRY, nullable=False),
    Column("plan", String(16), nullable=False, server_default="free"),
    Column("is_admin", Boolean, nullable=False, server_default=text("false")),
    _created_at(),
    # An IANA zone ('Europe/Stockholm') for what is local to the listener (Discover Weekly's
    # Monday); NULL: the first zone of their country.
    Column("time_zone", String(64), nullable=True),
    CheckConstraint(f"plan IN ({PLANS})", name="plan"),
)

plan_changes = Table(
    "plan_changes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("from_plan", String(16), nullable=False),
    Column("to_plan", String(16), nullable=False),
    Column("changed_by", ID, nullable=False),
    Column("reason", String(255), nullable=False, server_default=""),
    Column("changed_at", UtcDateTime(), nullable=False),
    UniqueConstraint("user_id", "idempotency_key", name="uq_plan_changes_user_key"),
    CheckConstraint(f"to_plan IN ({PLANS})", name="to_plan"),
)

plan_members = Table(
    "plan_members",
    metadata,
    Column("owner_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("invited_at", UtcDateTime(), nullable=False),
    Column("joined_at", UtcDateTime(), nullable=True),
    # A listener belongs to at most one family or duo.
    UniqueConstraint("member_id", name="uq_plan_members_member"),
    CheckConstraint("status IN ('invited', 'active')", name="status"),
    CheckConstraint("owner_id <> member_id", name="not_self"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # Every token descends from one sign-in; a reused token revokes its whole family.
    Column("family_id", ID, nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("used_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
)

# --- catalog ----------------------------------------------------------------------------------

artists = Table(
    "artists",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(500), nullable=False),
    Column("sort_name", String(500), nullable=False),
    Column("musicbrainz_id", String(36), nullable=True, unique=True),
    Column("image_path", String(500), nullable=True),
    _created_at(),
    Index("ix_artists_sort_name", "sort_name"),
)

albums = Table(
    "albums",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(500), nullable=False),
    Column("album_type", String(16), nullable=False, server_default="album"),
    Column("release_date", Date, nullable=True),
    # How much of release_date is known: 'year', 'month' or 'day' (tags often carry only a year).
    Column("release_date_precision", String(5), nullable=True),
    Column("total_tracks", Integer, nullable=False, server_default="0"),
    Column("label", String(500), nullable=True),
    Column("upc", String(20), nullable=True),
    Column("musicbrainz_id", String(36), nullable=True, unique=True),
    Column("cover_art_path", String(500), nullable=True),
    _created_at(),
    CheckConstraint("album_type IN ('album', 'single', 'compilation', 'ep')", name="album_type"),
    CheckConstraint(
        "release_date_precision IS NULL OR release_date_precision IN ('year', 'month', 'day')",
        name="release_date_precision",
    ),
)

album_artists = Table(
    "album_artists",
    metadata,
    Column("album_id", ID, ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True),
    Column("artist_id", ID, ForeignKey("artists.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_album_artists_artist_id", "artist_id"),
)

tracks = Table(
    "tracks",
    metadata,
    Column("id", ID, primary_key=True),
    Column("album_id", ID, ForeignKey("albums.id", ondelete="RESTRICT"), nullable=False),
    Column("title", String(500), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("disc_number", Integer, nullable=False, server_default="1"),
    Column("track_number", Integer, nullable=True),
    Column("isrc", String(12), nullable=True),
    Column("explicit", Boolean, nullable=False, server_default=text("false")),
    Column("popularity", Integer, nullable=False, server_default="0"),
    # False: licensed everywhere; True: only in the countries listed in track_countries.
    Column("restricted", Boolean, nullable=False, server_default=text("false")),
    Column("musicbrainz_id", String(36), nullable=True),
    Column("content_hash", String(64), nullable=True, unique=True),
    _created_at(),
    Index("ix_tracks_album_id", "album_id", "disc_number", "track_number"),
    Index("ix_tracks_isrc", "isrc"),
    Index("ix_tracks_popularity", "popularity"),
    CheckConstraint("duration_ms >= 0", name="duration"),
    CheckConstraint("popularity BETWEEN 0 AND 100", name="popularity"),
)

track_artists = Table(
    "track_artists",
    metadata,
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("artist_id", ID, ForeignKey("artists.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_track_artists_artist_id", "artist_id"),
)

genres = Table(
    "genres",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
)

track_genres = Table(
    "track_genres",
    metadata,
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("genre_id", Integer, ForeignKey("genres.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_track_genres_genre_id", "genre_id"),
)

track_countries = Table(
    "track_countries",
    metadata,
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("country", COUNTRY, primary_key=True),
)

renditions = Table(
    "renditions",
    metadata,
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("quality", String(16), primary_key=True),
    Column("format", String(8), nullable=False),
    Column("codec", String(16), nullable=False),
    # NULL for lossless: FLAC has no nominal bitrate.
    Column("bitrate_kbps", Integer, nullable=True),
    Column("size_bytes", Integer, nullable=False),
    Column("path", String(500), nullable=False, unique=True),
    Column("checksum", String(64), nullable=False),
    # True when the rung's bitrate is above what a lossy source carries: said, not hidden.
    Column("upscaled", Boolean, nullable=False, server_default=text("false")),
    _created_at(),
    CheckConstraint(
        "quality IN ('low', 'normal', 'high', 'very_high', 'lossless', 'preview')", name="quality"
    ),
    CheckConstraint("size_bytes >= 0", name="size"),
)

# Where each imported track came from, so that a re-run skips what it has done already.
import_sources = Table(
    "import_sources",
    metadata,
    # SHA-256 of the path: a path can outgrow what a B-tree key may hold.
    Column("path_key", String(64), primary_key=True),
    Column("path", Text, nullable=False),
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("imported_at", UtcDateTime(), nullable=False),
    Index("ix_import_sources_track_id", "track_id"),
)

# The ids a catalog feed gives its tracks and albums, so that importing it again updates them in
# place. No foreign key: entity_id names a track, an album or an artist, as kind says.
external_ids = Table(
    "external_ids",
    metadata,
    # 'feed:<file stem>' unless the import names one.
    Column("namespace", String(100), primary_key=True),
    Column("kind", String(8), primary_key=True),
    Column("external_id", String(255), primary_key=True),
    Column("entity_id", ID, nullable=False),
    Index("ix_external_ids_entity_id", "entity_id"),
    CheckConstraint("kind IN ('track', 'album', 'artist')", name="kind"),
)

# --- library ----------------------------------------------------------------------------------

playlists = Table(
    "playlists",
    metadata,
    Column("id", ID, primary_key=True),
    Column("owner_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    Column("name", String(200), nullable=False),
    Column("description", String(1000), nullable=False, server_default=""),
    Column("public", Boolean, nullable=False, server_default=text("true")),
    Column("collaborative", Boolean, nullable=False, server_default=text("false")),
    # 'user' for listeners' own; generated ones ('discover_weekly', 'daily_mix', ...) are Encore's.
    Column("kind", String(32), nullable=False, server_default="user"),
    Column("snapshot_id", String(32), nullable=False),
    # Counts the playlist's changes; playlist_changes keeps what each one touched.
    Column("version", Integer, nullable=False, server_default="0"),
    Column("expires_at", UtcDateTime(), nullable=True),
    _created_at(),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_playlists_owner_id", "owner_id"),
    CheckConstraint("NOT (public AND collaborative)", name="collaborative_private"),
)

playlist_tracks = Table(
    "playlist_tracks",
    metadata,
    Column("playlist_id", ID, ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), nullable=False),
    Column("added_at", UtcDateTime(), nullable=False),
    Column("added_by", ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Index("ix_playlist_tracks_track_id", "track_id"),
    CheckConstraint("position >= 0", name="position"),
)

# What each change to a playlist touched, so that a write made against an older snapshot can be
# merged when it does not overlap the changes made since, and refused (412) when it does.
playlist_changes = Table(
    "playlist_changes",
    metadata,
    Column("playlist_id", ID, ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("snapshot_id", String(32), nullable=False),
    # The first position whose track may have changed; NULL when the tracks were not touched.
    Column("touched_from", Integer, nullable=True),
    # The details that changed, comma-separated ('name,description'); '' for none.
    Column("fields", String(200), nullable=False, server_default=""),
    Column("changed_at", UtcDateTime(), nullable=False),
    UniqueConstraint("playlist_id", "snapshot_id", name="uq_playlist_changes_snapshot"),
)

playlist_collaborators = Table(
    "playlist_collaborators",
    metadata,
    Column("playlist_id", ID, ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("added_at", UtcDateTime(), nullable=False),
)

liked_tracks = Table(
    "liked_tracks",
    metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("liked_at", UtcDateTime(), nullable=False),
    Index("ix_liked_tracks_user_liked_at", "user_id", "liked_at"),
)

follows = Table(
    "follows",
    metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("target_type", String(16), primary_key=True),
    Column("target_id", ID, primary_key=True),
    Column("followed_at", UtcDateTime(), nullable=False),
    Index("ix_follows_target", "target_type", "target_id"),
    CheckConstraint("target_type IN ('artist', 'playlist', 'user')", name="target_type"),
)

# --- history ----------------------------------------------------------------------------------

listening_history = Table(
    "listening_history",
    metadata,
    # The client's event id: a replayed offline batch lands once.
    Column("event_id", String(64), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), nullable=False),
    Column("listened_at", UtcDateTime(), nullable=False),
    Column("duration_played_ms", Integer, nullable=False),
    Column("completed", Boolean, nullable=False),
    Column("skipped", Boolean, nullable=False, server_default=text("false")),
    Column("context_type", String(16), nullable=True),
    Column("context_id", String(64), nullable=True),
    Column("device", String(100), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    # Read newest first; a B-tree serves that order by scanning backwards.
    Index("ix_listening_history_user_listened_at", "user_id", "listened_at"),
    Index("ix_listening_history_track_id", "track_id"),
    CheckConstraint("duration_played_ms >= 0", name="duration"),
)

# --- listening statistics, fed by the event log's consumers ------------------------------------

# How far each consumer has read each topic; written in the transaction that applies the events.
consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("topic", String(64), primary_key=True),
    Column("offset", BigInteger, nullable=False),
)

track_stats = Table(
    "track_stats",
    metadata,
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("plays", BigInteger, nullable=False),
    # Plays decayed to `scored_at`: each play counts half as much after every half-life.
    Column("score", Float, nullable=False),
    Column("scored_at", UtcDateTime(), nullable=False),
)

country_daily_plays = Table(
    "country_daily_plays",
    metadata,
    Column("day", Date, primary_key=True),
    Column("country", COUNTRY, primary_key=True),
    Column("track_id", ID, ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
    Column("plays", Integer, nullable=False),
)

wrapped = Table(
    "wrapped",
    metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("year", Integer, primary_key=True),
    # The rendered summary (JSON), served as it is.
    Column("document", Text, nullable=False),
    Column("computed_at", UtcDateTime(), nullable=False),
)

# --- subsonic ---------------------------------------------------------------------------------

# A listener's Subsonic password, sealed with a key derived from the master secret: token
# authentication (t = md5(password + salt)) needs the password itself, so it cannot be hashed.
# The OpenSubsonic API key is only ever compared, so only its SHA-256 is kept.
subsonic_credentials = Table(
    "subsonic_credentials",
    metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("username", String(320), nullable=False, unique=True),
    Column("sealed_password", String(200), nullable=False),
    Column("api_key_hash", String(64), nullable=False, unique=True),
    _created_at(),
)

# Albums a listener starred from a Subsonic client (tracks are liked, artists followed).
starred_albums = Table(
    "starred_albums",
    metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("album_id", ID, ForeignKey("albums.id", ondelete="CASCADE"), primary_key=True),
    Column("starred_at", UtcDateTime(), nullable=False),
    Index("ix_starred_albums_user_starred_at", "user_id", "starred_at"),
)

# A listener's 1-5 rating of a track, an album or an artist (ids are unique across kinds).
ratings = Table(
    "ratings",
    metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("target_id", ID, primary_key=True),
    Column("target_type", String(8), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("rated_at", UtcDateTime(), nullable=False),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
    CheckConstraint("target_type IN ('track', 'album', 'artist')", name="target_type"),
)

# --- personalization ----------------------------------------------------------------------------

# Encore's own playlists (owner_id NULL, kind 'discover_weekly', ...), each made for one listener.
generated_playlists = Table(
    "generated_playlists",
    metadata,
    Column("playlist_id", ID, ForeignKey("playlists.id", ondelete="CASCADE"), primary_key=True),
    Column("made_for", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    # Daily Mix 1..6 in order; 0 for the kinds that come one at a time.
    Column("slot", Integer, nullable=False, server_default="0"),
    # 'model', or 'popularity' (too little history, or no model yet).
    Column("source", String(16), nullable=False),
    # The listener's local Monday (or midnight, for daily kinds) that the playlist serves from.
    Column("period_start", UtcDateTime(), nullable=False),
    Column("generated_at", UtcDateTime(), nullable=False),
    Column("model_version", String(64), nullable=True),
    Index("ix_generated_playlists_made_for_kind", "made_for", "kind"),
    CheckConstraint("source IN ('model', 'popularity')", name="source"),
)

# Each batch run of the recommenders, for the scheduler and for operators.
recommend_runs = Table(
    "recommend_runs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("runner", String(16), nullable=False),
    Column("kinds", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("model_version", String(64), nullable=True),
    Column("users", Integer, nullable=False, server_default="0"),
    Column("playlists", Integer, nullable=False, server_default="0"),
    Column("error", Text, nullable=True),
    Index("ix_recommend_runs_started_at", "started_at"),
    CheckConstraint("status IN ('running', 'complete', 'failed')", name="status"),
)

# --- account data -------------------------------------------------------------------------------

# Listeners whose account was deleted: only the id and dates, no personal data. What still holds
# their plays outside SQL (the lake's Parquet, the event log) skips these ids on every read, and
# the lake's compaction rewrites the files that hold them (`lake_forgotten_at` once it has).
deleted_users = Table(
    "deleted_users",
    metadata,
    Column("user_id", ID, primary_key=True),
    Column("deleted_at", UtcDateTime(), nullable=False),
    Column("lake_forgotten_at", UtcDateTime(), nullable=True),
)
