"""Encore's catalog as Subsonic elements: songs (`Child`), albums, artists and playlists."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from encore.catalog.audio import LADDER
from encore.catalog.model import Quality, TrackDetail
from encore.library.model import Playlist
from encore.streaming.model import served_quality
from encore.subsonic.model import AlbumEntry, ArtistEntry
from encore.subsonic.protocol import Node, node

_SPEC = {spec.quality: spec for spec in LADDER}


@dataclass(frozen=True, slots=True)
class Extras:
    """What a listener's view of songs adds to the catalog: their marks and plays."""

    years: dict[str, int] = field(default_factory=dict)  # by album id
    starred: dict[str, datetime] = field(default_factory=dict)
    ratings: dict[str, int] = field(default_factory=dict)
    plays: dict[str, int] = field(default_factory=dict)
    # The rung a plain `stream` call would serve this listener (their plan's best lossy one).
    quality: Quality = Quality.HIGH


def song(detail: TrackDetail, extras: Extras, *, name: str = "song") -> Node:
    track = detail.track
    rung = served_quality(detail.qualities, extras.quality)
    spec = _SPEC.get(rung) if rung else None
    element = node(
        name,
        id=track.id,
        parent=track.album_id,
        isDir=False,
        title=track.title,
        album=detail.album.name,
        artist=", ".join(a.name for a in detail.artists) or None,
        track=track.track_number,
        year=extras.years.get(track.album_id),
        genre=track.genres[0] if track.genres else None,
        coverArt=track.album_id if detail.cover_art_path else None,
        contentType=content_type(spec.extension) if spec else None,
        suffix=spec.extension if spec else None,
        bitRate=spec.bitrate_kbps if spec else None,
        duration=track.duration_ms // 1000,
        discNumber=track.disc_number,
        created=track.created_at,
        albumId=track.album_id,
        artistId=detail.artists[0].id if detail.artists else None,
        type="music",
        isVideo=False,
        starred=extras.starred.get(track.id),
        userRating=extras.ratings.get(track.id),
        playCount=extras.plays.get(track.id, 0),
        mediaType="song",
        musicBrainzId=track.musicbrainz_id,
        explicitStatus="explicit" if track.explicit else "",
    )
    element.many("genres", (node("genres", name=g) for g in track.genres))
    element.many("artists", (node("artists", id=a.id, name=a.name) for a in detail.artists))
    return element


def album(entry: AlbumEntry, *, starred: datetime | None = None, rating: int | None = None) -> Node:
    item = entry.album
    return node(
        "album",
        id=item.id,
        name=item.name,
        artist=", ".join(a.name for a in entry.artists) or None,
        artistId=entry.artists[0].id if entry.artists else None,
        coverArt=item.id if item.cover_art_path else None,
        songCount=entry.song_count,
        duration=entry.duration_ms // 1000,
        playCount=entry.play_count,
        created=item.created_at,
        starred=starred,
        userRating=rating,
        year=item.release_date.year if item.release_date else None,
        genre=entry.genre,
        musicBrainzId=item.musicbrainz_id,
    )


def artist(
    entry: ArtistEntry, *, starred: datetime | None = None, rating: int | None = None
) -> Node:
    item = entry.artist
    return node(
        "artist",
        id=item.id,
        name=item.name,
        coverArt=item.id if item.image_path else None,
        albumCount=entry.album_count,
        starred=starred,
        userRating=rating,
        musicBrainzId=item.musicbrainz_id,
        sortName=item.sort_name,
    )


def playlist(
    item: Playlist, *, owner: str, tracks: Sequence[TrackDetail], total: int, cover: str | None
) -> Node:
    return node(
        "playlist",
        id=item.id,
        name=item.name,
        comment=item.description or None,
        owner=owner,
        public=item.public,
        songCount=total,
        duration=sum(detail.track.duration_ms for detail in tracks) // 1000,
        created=item.created_at,
        changed=item.updated_at,
        coverArt=cover,
    )


def content_type(extension: str) -> str:
    return {"ogg": "audio/ogg", "flac": "audio/flac"}.get(extension, "application/octet-stream")
