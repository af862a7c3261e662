"""What an audio file says about itself, and the renditions Encore makes of it."""

from dataclasses import dataclass

from encore.catalog.model import Quality
from encore.errors import InvalidInput


class UnreadableAudio(InvalidInput):
    """A file that is not audio Encore can use; `detail` says why, for the import summary."""

    kind = "unreadable-audio"
    title = "Unreadable audio file"


@dataclass(frozen=True, slots=True)
class CoverArt:
    data: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class AudioTags:
    """Tags and stream facts read from one file. Text fields are stripped and length-capped;
    a missing title falls back to the file name."""

    title: str
    artists: tuple[str, ...]
    album: str | None
    album_artists: tuple[str, ...]
    track_number: int | None
    disc_number: int | None
    date: str | None  # as tagged: '1975', '1975-10' or '1975-10-31'
    genres: tuple[str, ...]
    isrc: str | None
    musicbrainz_track_id: str | None
    musicbrainz_album_id: str | None
    musicbrainz_artist_ids: tuple[str, ...]
    explicit: bool | None
    duration_ms: int
    codec: str  # 'vorbis', 'mp3', 'flac', 'aac', 'alac', 'opus', 'pcm'
    bitrate_kbps: int | None  # the source's; None where it has no meaningful one
    sample_rate: int
    channels: int
    lossless: bool
    cover: CoverArt | None


@dataclass(frozen=True, slots=True)
class RenditionSpec:
    """One rung of the ladder to encode."""

    quality: Quality
    codec: str  # 'vorbis' or 'flac'
    extension: str  # 'ogg' or 'flac'
    bitrate_kbps: int | None  # None for lossless

    @property
    def file_name(self) -> str:
        """`{bitrate}.{ext}` as in the media layout; lossless is `lossless.flac`."""
        if self.quality is Quality.PREVIEW:
            return f"preview.{self.extension}"
        label = str(self.bitrate_kbps) if self.bitrate_kbps is not None else "lossless"
        return f"{label}.{self.extension}"


LADDER = (
    RenditionSpec(Quality.LOW, "vorbis", "ogg", 24),
    RenditionSpec(Quality.NORMAL, "vorbis", "ogg", 96),
    RenditionSpec(Quality.HIGH, "vorbis", "ogg", 160),
    RenditionSpec(Quality.VERY_HIGH, "vorbis", "ogg", 320),
    RenditionSpec(Quality.LOSSLESS, "flac", "flac", None),
)
PREVIEW = RenditionSpec(Quality.PREVIEW, "vorbis", "ogg", 96)
PREVIEW_MS = 30_000


def audio_key(track_id: str, file_name: str) -> str:
    return f"audio/{track_id[0:2]}/{track_id[2:4]}/{track_id}/{file_name}"


def plan_ladder(tags: AudioTags) -> list[tuple[RenditionSpec, bool]]:
    """The rungs to encode for a source, each with whether it is upscaled.

    A lossless source gets every rung and a FLAC copy. A lossy source never gets a lossless
    rendition; it gets every Vorbis rung up to its own bitrate, plus the first rung above it,
    marked upscaled in the catalog, so that each quality a listener may pick has a rendition
    close to it. Rungs further above would only waste space and claim a quality that is not
    there. A lossy source of unknown bitrate gets every Vorbis rung, none marked.
    """
    if tags.lossless:
        return [(spec, False) for spec in LADDER]
    source = tags.bitrate_kbps
    plan: list[tuple[RenditionSpec, bool]] = []
    for spec in LADDER:
        if spec.bitrate_kbps is None:
            continue
        upscaled = source is not None and spec.bitrate_kbps > source
        plan.append((spec, upscaled))
        if upscaled:
            break
    return plan
