"""SQL repositories of the catalog domain.

A track's artists, genres and licensed countries live in link tables; reads fetch them for a whole
batch of tracks in one query each, never one query per track.
"""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from encore.adapters.sql.tables import (
    album_artists,
    albums,
    artists,
    genres,
    import_sources,
    renditions,
    track_artists,
    track_countries,
    track_genres,
    tracks,
)
from encore.catalog.model import (
    Album,
    AlbumType,
    Artist,
    DatePrecision,
    ImportSource,
    Quality,
    Ref,
    Rendition,
    Track,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _artist(row: Any) -> Artist:
    return Artist(
        id=row.id,
        name=row.name,
        sort_name=row.sort_name,
        musicbrainz_id=row.musicbrainz_id,
        image_path=row.image_path,
        created_at=row.created_at,
    )


class SqlArtistRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, artist: Artist) -> None:
        self._c.execute(
            artists.insert().values(
                id=artist.id,
                name=artist.name,
                sort_name=artist.sort_name,
                musicbrainz_id=artist.musicbrainz_id,
                image_path=artist.image_path,
                created_at=artist.created_at or _now(),
            )
        )

    def get(self, artist_id: str) -> Artist | None:
        row = self._c.execute(select(artists).where(artists.c.id == artist_id)).first()
        return _artist(row) if row else None

    def get_by_name(self, name: str) -> Artist | None:
        row = self._c.execute(
            select(artists).where(artists.c.name == name).order_by(artists.c.created_at).limit(1)
        ).first()
        return _artist(row) if row else None

    def find(self, *, name: str, musicbrainz_id: str | None) -> Artist | None:
        """The artist with this MusicBrainz id, else the oldest one of this exact name."""
        if musicbrainz_id:
            row = self._c.execute(
                select(artists).where(artists.c.musicbrainz_id == musicbrainz_id)
            ).first()
            if row:
                return _artist(row)
        return self.get_by_name(name)

    def refs(self, artist_ids: Sequence[str]) -> dict[str, Ref]:
        if not artist_ids:
            return {}
        rows = self._c.execute(
            select(artists.c.id, artists.c.name).where(artists.c.id.in_(set(artist_ids)))
        )
        return {row.id: Ref(row.id, row.name) for row in rows}


class SqlAlbumRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, album: Album) -> None:
        self._c.execute(
            albums.insert().values(
                id=album.id,
                name=album.name,
                album_type=album.album_type.value,
                release_date=album.release_date,
                release_date_precision=(
                    album.release_date_precision.value if album.release_date_precision else None
                ),
                total_tracks=album.total_tracks,
                label=album.label,
                upc=album.upc,
                musicbrainz_id=album.musicbrainz_id,
                cover_art_path=album.cover_art_path,
                created_at=album.created_at or _now(),
            )
        )
        if album.artist_ids:
            self._c.execute(
                insert(album_artists),
                [
                    {"album_id": album.id, "artist_id": artist_id, "position": position}
                    for position, artist_id in enumerate(album.artist_ids)
                ],
            )

    def get(self, album_id: str) -> Album | None:
        found = self._load(select(albums).where(albums.c.id == album_id))
        return found[0] if found else None

    def find(self, *, name: str, artist_id: str, musicbrainz_id: str | None) -> Album | None:
        """The album with this MusicBrainz id, else the one of this name by this artist."""
        if musicbrainz_id:
            found = self._load(select(albums).where(albums.c.musicbrainz_id == musicbrainz_id))
            if found:
                return found[0]
        by_artist = select(album_artists.c.album_id).where(album_artists.c.artist_id == artist_id)
        found = self._load(
            select(albums)
            .where(albums.c.name == name, albums.c.id.in_(by_artist))
            .order_by(albums.c.created_at)
            .limit(1)
        )
        return found[0] if found else None

    def set_cover(self, album_id: str, cover_art_path: str) -> None:
        self._c.execute(
            update(albums).where(albums.c.id == album_id).values(cover_art_path=cover_art_path)
        )

    def count_tracks(self, album_id: str) -> int:
        return int(
            self._c.execute(
                select(func.count()).select_from(tracks).where(tracks.c.album_id == album_id)
            ).scalar_one()
        )

    def set_total_tracks(self, album_id: str, total: int) -> None:
        self._c.execute(update(albums).where(albums.c.id == album_id).values(total_tracks=total))

    def list_by_artist(self, artist_id: str) -> Sequence[Album]:
        linked = select(album_artists.c.album_id).where(album_artists.c.artist_id == artist_id)
        return self._load(
            select(albums)
            .where(albums.c.id.in_(linked))
            .order_by(albums.c.release_date.desc().nulls_last(), albums.c.name)
        )

    def _load(self, query: Any) -> list[Album]:
        rows = list(self._c.execute(query))
        if not rows:
            return []
        artist_ids: dict[str, list[str]] = defaultdict(list)
        links = self._c.execute(
            select(album_artists.c.album_id, album_artists.c.artist_id)
            .where(album_artists.c.album_id.in_([row.id for row in rows]))
            .order_by(album_artists.c.album_id, album_artists.c.position)
        )
        for link in links:
            artist_ids[link.album_id].append(link.artist_id)
        return [
            Album(
                id=row.id,
                name=row.name,
                album_type=AlbumType(row.album_type),
                artist_ids=tuple(artist_ids[row.id]),
                release_date=row.release_date,
                release_date_precision=(
                    DatePrecision(row.release_date_precision)
                    if row.release_date_precision
                    else None
                ),
                total_tracks=row.total_tracks,
                label=row.label,
                upc=row.upc,
                musicbrainz_id=row.musicbrainz_id,
                cover_art_path=row.cover_art_path,
                created_at=row.created_at,
            )
            for row in rows
        ]


class SqlTrackRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, track: Track) -> None:
        self._c.execute(
            tracks.insert().values(
                id=track.id,
                album_id=track.album_id,
                title=track.title,
                duration_ms=track.duration_ms,
                disc_number=track.disc_number,
                track_number=track.track_number,
                isrc=track.isrc,
                explicit=track.explicit,
                popularity=track.popularity,
                restricted=track.available_countries is not None,
                musicbrainz_id=track.musicbrainz_id,
                content_hash=track.content_hash,
                created_at=track.created_at or _now(),
            )
        )
        if track.artist_ids:
            self._c.execute(
                insert(track_artists),
                [
                    {"track_id": track.id, "artist_id": artist_id, "position": position}
                    for position, artist_id in enumerate(track.artist_ids)
                ],
            )
        if track.genres:
            genre_ids = self._genre_ids(track.genres)
            self._c.execute(
                insert(track_genres),
                [
                    {"track_id": track.id, "genre_id": genre_ids[name], "position": position}
                    for position, name in enumerate(dict.fromkeys(track.genres))
                ],
            )
        if track.available_countries:
            self._c.execute(
                insert(track_countries),
                [{"track_id": track.id, "country": code} for code in track.available_countries],
            )

    def get(self, track_id: str) -> Track | None:
        found = self._load(select(tracks).where(tracks.c.id == track_id))
        return found[0] if found else None

    def get_by_content_hash(self, content_hash: str) -> Track | None:
        found = self._load(select(tracks).where(tracks.c.content_hash == content_hash))
        return found[0] if found else None

    def replace(self, track: Track) -> None:
        """Overwrite a track's metadata and links, keeping its id and creation time."""
        existing = self.get(track.id)
        self._c.execute(delete(track_artists).where(track_artists.c.track_id == track.id))
        self._c.execute(delete(track_genres).where(track_genres.c.track_id == track.id))
        self._c.execute(delete(track_countries).where(track_countries.c.track_id == track.id))
        self._c.execute(delete(tracks).where(tracks.c.id == track.id))
        created_at = existing.created_at if existing else track.created_at
        self.add(replace(track, created_at=created_at))

    def list_by_album(self, album_id: str) -> Sequence[Track]:
        return self._load(
            select(tracks)
            .where(tracks.c.album_id == album_id)
            .order_by(tracks.c.disc_number, tracks.c.track_number.nulls_last(), tracks.c.title)
        )

    def top_by_artist(self, artist_id: str, *, limit: int) -> Sequence[Track]:
        linked = select(track_artists.c.track_id).where(track_artists.c.artist_id == artist_id)
        return self._load(
            select(tracks)
            .where(tracks.c.id.in_(linked))
            .order_by(tracks.c.popularity.desc(), tracks.c.title)
            .limit(limit)
        )

    def set_popularity(self, track_id: str, popularity: int) -> None:
        self._c.execute(update(tracks).where(tracks.c.id == track_id).values(popularity=popularity))

    def _genre_ids(self, names: Sequence[str]) -> dict[str, int]:
        wanted = set(names)
        known = {
            row.name: row.id
            for row in self._c.execute(select(genres).where(genres.c.name.in_(wanted)))
        }
        for name in sorted(wanted - known.keys()):
            inserted = self._c.execute(genres.insert().values(name=name).returning(genres.c.id))
            known[name] = int(inserted.scalar_one())
        return known

    def _load(self, query: Any) -> list[Track]:
        rows = list(self._c.execute(query))
        if not rows:
            return []
        ids = [row.id for row in rows]
        artist_ids: dict[str, list[str]] = defaultdict(list)
        for link in self._c.execute(
            select(track_artists.c.track_id, track_artists.c.artist_id)
            .where(track_artists.c.track_id.in_(ids))
            .order_by(track_artists.c.track_id, track_artists.c.position)
        ):
            artist_ids[link.track_id].append(link.artist_id)
        genre_names: dict[str, list[str]] = defaultdict(list)
        for link in self._c.execute(
            select(track_genres.c.track_id, genres.c.name)
            .join(genres, genres.c.id == track_genres.c.genre_id)
            .where(track_genres.c.track_id.in_(ids))
            .order_by(track_genres.c.track_id, track_genres.c.position)
        ):
            genre_names[link.track_id].append(link.name)
        countries: dict[str, set[str]] = defaultdict(set)
        restricted = [row.id for row in rows if row.restricted]
        if restricted:
            for link in self._c.execute(
                select(track_countries).where(track_countries.c.track_id.in_(restricted))
            ):
                countries[link.track_id].add(link.country)
        return [
            Track(
                id=row.id,
                album_id=row.album_id,
                title=row.title,
                duration_ms=row.duration_ms,
                artist_ids=tuple(artist_ids[row.id]),
                disc_number=row.disc_number,
                track_number=row.track_number,
                isrc=row.isrc,
                explicit=row.explicit,
                popularity=row.popularity,
                genres=tuple(genre_names[row.id]),
                available_countries=frozenset(countries[row.id]) if row.restricted else None,
                musicbrainz_id=row.musicbrainz_id,
                content_hash=row.content_hash,
                created_at=row.created_at,
            )
            for row in rows
        ]


class SqlRenditionRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def put(self, rendition: Rendition) -> None:
        self._c.execute(
            delete(renditions).where(
                renditions.c.track_id == rendition.track_id,
                renditions.c.quality == rendition.quality.value,
            )
        )
        self._c.execute(
            renditions.insert().values(
                track_id=rendition.track_id,
                quality=rendition.quality.value,
                format=rendition.format,
                codec=rendition.codec,
                bitrate_kbps=rendition.bitrate_kbps,
                size_bytes=rendition.size_bytes,
                path=rendition.path,
                checksum=rendition.checksum,
                upscaled=rendition.upscaled,
                created_at=rendition.created_at or _now(),
            )
        )

    def list_for_track(self, track_id: str) -> Sequence[Rendition]:
        rows = self._c.execute(select(renditions).where(renditions.c.track_id == track_id))
        ordered = sorted(rows, key=lambda row: list(Quality).index(Quality(row.quality)))
        return [
            Rendition(
                track_id=row.track_id,
                quality=Quality(row.quality),
                format=row.format,
                codec=row.codec,
                bitrate_kbps=row.bitrate_kbps,
                size_bytes=row.size_bytes,
                path=row.path,
                checksum=row.checksum,
                upscaled=row.upscaled,
                created_at=row.created_at,
            )
            for row in ordered
        ]


class SqlImportSourceRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, path: str) -> ImportSource | None:
        row = self._c.execute(
            select(import_sources).where(import_sources.c.path_key == _path_key(path))
        ).first()
        if row is None:
            return None
        return ImportSource(
            path=row.path,
            track_id=row.track_id,
            content_hash=row.content_hash,
            size_bytes=row.size_bytes,
            mtime_ns=row.mtime_ns,
            imported_at=row.imported_at,
        )

    def put(self, source: ImportSource) -> None:
        key = _path_key(source.path)
        self._c.execute(delete(import_sources).where(import_sources.c.path_key == key))
        self._c.execute(
            import_sources.insert().values(
                path_key=key,
                path=source.path,
                track_id=source.track_id,
                content_hash=source.content_hash,
                size_bytes=source.size_bytes,
                mtime_ns=source.mtime_ns,
                imported_at=source.imported_at,
            )
        )


def _path_key(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()
