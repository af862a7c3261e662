"""Artists, albums, tracks and the transcoded renditions of each track."""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class AlbumType(StrEnum):
    ALBUM = "album"
    SINGLE = "single"
    COMPILATION = "compilation"
    EP = "ep"


class DatePrecision(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


class Quality(StrEnum):
    """The bitrate ladder's rungs, plus the 30-second preview clip."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    VERY_HIGH = "very_high"
    LOSSLESS = "lossless"
    PREVIEW = "preview"


class ExternalKind(StrEnum):
    """What an external id (a feed's own id) names."""

    TRACK = "track"
    ALBUM = "album"
    ARTIST = "artist"


@dataclass(frozen=True, slots=True)
class Ref:
    """A named link to another catalog entity, as embedded in a read model."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Artist:
    id: str
    name: str
    sort_name: str
    musicbrainz_id: str | None = None
    image_path: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Album:
    id: str
    name: str
    album_type: AlbumType
    artist_ids: tuple[str, ...]
    release_date: date | None = None
    release_date_precision: DatePrecision | None = None
    total_tracks: int = 0
    label: str | None = None
    upc: str | None = None
    musicbrainz_id: str | None = None
    cover_art_path: str | None = None
    created_at: datetime | None = None

    @property
    def release_date_text(self) -> str | None:
        """The release date at its known precision: '1975', '1975-10' or '1975-10-31'."""
        if self.release_date is None:
            return None
        full = self.release_date.isoformat()
        return {DatePrecision.YEAR: full[:4], DatePrecision.MONTH: full[:7]}.get(
            self.release_date_precision or DatePrecision.DAY, full
        )


@dataclass(frozen=True, slots=True)
class Track:
    id: str
    album_id: str
    title: str
    duration_ms: int
    artist_ids: tuple[str, ...]
    disc_number: int = 1
    track_number: int | None = None
    isrc: str | None = None
    explicit: bool = False
    popularity: int = 0
    genres: tuple[str, ...] = ()
    # None: licensed everywhere; otherwise only in these ISO 3166-1 alpha-2 countries.
    available_countries: frozenset[str] | None = None
    musicbrainz_id: str | None = None
    content_hash: str | None = None
    created_at: datetime | None = None

    def is_available_in(self, country: str) -> bool:
        return self.available_countries is None or country in self.available_countries


@dataclass(frozen=True, slots=True)
class Rendition:
    """One transcoded file of a track."""

    track_id: str
    quality: Quality
    format: str
    codec: str
    bitrate_kbps: int | None
    size_bytes: int
    path: str
    checksum: str
    # The rung's bitrate is above what the (lossy) source carries.
    upscaled: bool = False
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UnheardTrack:
    """A track known only from a feed, as the audio importer matches files against it."""

    id: str
    title: str
    first_artist: str
    isrc: str | None
    duration_ms: int


@dataclass(frozen=True, slots=True)
class TrackDetail:
    track: Track
    artists: tuple[Ref, ...]
    album: Ref
    cover_art_path: str | None = None
    # The ladder's rungs the track has audio for (empty: known from a feed only).
    qualities: tuple[Quality, ...] = ()
    preview_path: str | None = None  # media key of the 30-second preview clip


@dataclass(frozen=True, slots=True)
class AlbumDetail:
    album: Album
    artists: tuple[Ref, ...]
    tracks: tuple[TrackDetail, ...]
    genres: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ArtistDetail:
    artist: Artist
    albums: tuple[Album, ...]
    top_tracks: tuple[TrackDetail, ...]
    genres: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class ImportSource:
    """A file a track was imported from, as it was when imported."""

    path: str
    track_id: str
    content_hash: str
    size_bytes: int
    mtime_ns: int
    imported_at: datetime
