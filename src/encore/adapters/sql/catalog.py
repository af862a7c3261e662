"""SQL repositories of the catalog domain.

A track's artists, genres and licensed countries live in link tables; reads fetch them for a whole
batch of tracks in one query each, never one query per track.
"""

import hashlib
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from encore.adapters.sql.tables import (
    album_artists,
    albums,
    artists,
    external_ids,
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
    ExternalKind,
    ImportSource,
    Quality,
    Ref,
    Rendition,
    Track,
    UnheardTrack,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _import_source(row: Any) -> ImportSource:
    return ImportSource(
        path=row.path,
        track_id=row.track_id,
        content_hash=row.content_hash,
        size_bytes=row.size_bytes,
        mtime_ns=row.mtime_ns,
        imported_at=row.imported_at,
    )


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

    def add_many(self, new: Sequence[Artist]) -> None:
        if not new:
            return
        self._c.execute(
            insert(artists),
            [
                {
                    "id": artist.id,
                    "name": artist.name,
                    "sort_name": artist.sort_name,
                    "musicbrainz_id": artist.musicbrainz_id,
                    "image_path": artist.image_path,
                    "created_at": artist.created_at or _now(),
                }
                for artist in new
            ],
        )

    def ids_by_name(self, names: Collection[str]) -> dict[str, str]:
        """The id of the oldest artist of each of these exact names that exists."""
        found: dict[str, str] = {}
        for part in _chunked(names):
            rows = self._c.execute(
                select(artists.c.id, artists.c.name)
                .where(artists.c.name.in_(part))
                .order_by(artists.c.created_at.desc(), artists.c.id.desc())
            )
            # Newest first, so that the oldest of each name is written last and stays.
            found.update({row.name: row.id for row in rows})
        return found


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

    def add_many(self, new: Sequence[Album]) -> None:
        if not new:
            return
        self._c.execute(
            insert(albums),
            [
                {
                    "id": album.id,
                    "name": album.name,
                    "album_type": album.album_type.value,
                    "release_date": album.release_date,
                    "release_date_precision": (
                        album.release_date_precision.value if album.release_date_precision else None
                    ),
                    "total_tracks": album.total_tracks,
                    "label": album.label,
                    "upc": album.upc,
                    "musicbrainz_id": album.musicbrainz_id,
                    "cover_art_path": album.cover_art_path,
                    "created_at": album.created_at or _now(),
                }
                for album in new
            ],
        )
        links = [
            {"album_id": album.id, "artist_id": artist_id, "position": position}
            for album in new
            for position, artist_id in enumerate(album.artist_ids)
        ]
        if links:
            self._c.execute(insert(album_artists), links)

    def get_many(self, album_ids: Collection[str]) -> dict[str, Album]:
        found: dict[str, Album] = {}
        for part in _chunked(album_ids):
            found.update(
                (album.id, album)
                for album in self._load(select(albums).where(albums.c.id.in_(part)))
            )
        return found

    def ids_by_name(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """For each `(album name, artist id)` that exists, the id of the oldest such album."""
        wanted = set(keys)
        found: dict[tuple[str, str], str] = {}
        for part in _chunked(sorted(wanted)):
            rows = self._c.execute(
                select(albums.c.id, albums.c.name, album_artists.c.artist_id)
                .join(album_artists, album_artists.c.album_id == albums.c.id)
                .where(
                    albums.c.name.in_({name for name, _ in part}),
                    album_artists.c.artist_id.in_({artist_id for _, artist_id in part}),
                )
                .order_by(albums.c.created_at.desc(), albums.c.id.desc())
            )
            found.update(
                ((row.name, row.artist_id), row.id)
                for row in rows
                if (row.name, row.artist_id) in wanted
            )
        return found

    def set_details(
        self,
        album_id: str,
        *,
        name: str,
        release_date: date | None,
        release_date_precision: DatePrecision | None,
    ) -> None:
        self._c.execute(
            update(albums)
            .where(albums.c.id == album_id)
            .values(
                name=name,
                release_date=release_date,
                release_date_precision=(
                    release_date_precision.value if release_date_precision else None
                ),
            )
        )

    def recount_tracks(self, album_ids: Collection[str]) -> None:
        counted = (
            select(func.count())
            .select_from(tracks)
            .where(tracks.c.album_id == albums.c.id)
            .scalar_subquery()
        )
        for part in _chunked(album_ids):
            self._c.execute(
                update(albums).where(albums.c.id.in_(part)).values(total_tracks=counted)
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

    def add_many(self, new: Sequence[Track]) -> None:
        if not new:
            return
        self._c.execute(
            insert(tracks),
            [
                {"id": track.id, **_track_values(track), "created_at": track.created_at or _now()}
                for track in new
            ],
        )
        self._add_links(new)

    def get_many(self, track_ids: Collection[str]) -> dict[str, Track]:
        found: dict[str, Track] = {}
        for part in _chunked(track_ids):
            found.update(
                (track.id, track)
                for track in self._load(select(tracks).where(tracks.c.id.in_(part)))
            )
        return found

    def update(self, track: Track) -> None:
        """Overwrite a track's metadata and links in place, keeping its creation time. The row
        stays (never delete and re-insert: the cascade would take renditions, likes, playlist
        entries and history with it)."""
        self._c.execute(
            update(tracks).where(tracks.c.id == track.id).values(**_track_values(track))
        )
        for link in (track_artists, track_genres, track_countries):
            self._c.execute(delete(link).where(link.c.track_id == track.id))
        self._add_links([track])

    def content_hashes(self) -> dict[str, str]:
        rows = self._c.execute(
            select(tracks.c.content_hash, tracks.c.id).where(tracks.c.content_hash.is_not(None))
        )
        return {row.content_hash: row.id for row in rows}

    def metadata_only(self) -> Sequence[UnheardTrack]:
        first_artists = (
            select(track_artists.c.track_id, artists.c.name)
            .join(artists, artists.c.id == track_artists.c.artist_id)
            .where(track_artists.c.position == 0)
            .subquery()
        )
        rows = self._c.execute(
            select(
                tracks.c.id,
                tracks.c.title,
                tracks.c.isrc,
                tracks.c.duration_ms,
                first_artists.c.name,
            )
            .join(first_artists, first_artists.c.track_id == tracks.c.id, isouter=True)
            .where(tracks.c.content_hash.is_(None))
        )
        return [
            UnheardTrack(row.id, row.title, row.name or "", row.isrc, row.duration_ms)
            for row in rows
        ]

    def _add_links(self, new: Sequence[Track]) -> None:
        artist_links = [
            {"track_id": track.id, "artist_id": artist_id, "position": position}
            for track in new
            for position, artist_id in enumerate(track.artist_ids)
        ]
        if artist_links:
            self._c.execute(insert(track_artists), artist_links)
        genre_ids = self._genre_ids(sorted({name for track in new for name in track.genres}))
        genre_links = [
            {"track_id": track.id, "genre_id": genre_ids[name], "position": position}
            for track in new
            for position, name in enumerate(dict.fromkeys(track.genres))
        ]
        if genre_links:
            self._c.execute(insert(track_genres), genre_links)
        country_links = [
            {"track_id": track.id, "country": code}
            for track in new
            for code in track.available_countries or ()
        ]
        if country_links:
            self._c.execute(insert(track_countries), country_links)

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
        self._c.execute(insert(renditions), [_rendition_values(rendition)])

    def replace_for_tracks(self, track_ids: Collection[str], new: Sequence[Rendition]) -> None:
        for part in _chunked(sorted(track_ids)):
            self._c.execute(delete(renditions).where(renditions.c.track_id.in_(part)))
        if new:
            self._c.execute(insert(renditions), [_rendition_values(r) for r in new])

    def paths_by_track(self, track_ids: Collection[str]) -> dict[str, dict[Quality, str]]:
        found: dict[str, dict[Quality, str]] = {}
        for part in _chunked(track_ids):
            rows = self._c.execute(
                select(renditions.c.track_id, renditions.c.quality, renditions.c.path).where(
                    renditions.c.track_id.in_(part)
                )
            )
            for row in rows:
                found.setdefault(row.track_id, {})[Quality(row.quality)] = row.path
        return found

    def track_ids(self) -> set[str]:
        return set(self._c.execute(select(renditions.c.track_id).distinct()).scalars())

    def list_for_track(self, track_id: str) -> Sequence[Rendition]:
        return self.list_for_tracks([track_id]).get(track_id, [])

    def list_for_tracks(self, track_ids: Collection[str]) -> dict[str, list[Rendition]]:
        found: dict[str, list[Rendition]] = {}
        for part in _chunked(track_ids):
            for row in self._c.execute(select(renditions).where(renditions.c.track_id.in_(part))):
                found.setdefault(row.track_id, []).append(
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
                )
        for listed in found.values():
            listed.sort(key=lambda rendition: _QUALITY_ORDER[rendition.quality])
        return found


class SqlImportSourceRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, path: str) -> ImportSource | None:
        row = self._c.execute(
            select(import_sources).where(import_sources.c.path_key == _path_key(path))
        ).first()
        return None if row is None else _import_source(row)

    def get_many(self, paths: Collection[str]) -> dict[str, ImportSource]:
        keys = [_path_key(path) for path in paths]
        found: dict[str, ImportSource] = {}
        for part in _chunked(keys):
            for row in self._c.execute(
                select(import_sources).where(import_sources.c.path_key.in_(part))
            ):
                found[row.path] = _import_source(row)
        return found

    def put_many(self, sources: Sequence[ImportSource]) -> None:
        keys = [_path_key(source.path) for source in sources]
        for part in _chunked(keys):
            self._c.execute(delete(import_sources).where(import_sources.c.path_key.in_(part)))
        if sources:
            self._c.execute(
                insert(import_sources),
                [
                    {
                        "path_key": key,
                        "path": source.path,
                        "track_id": source.track_id,
                        "content_hash": source.content_hash,
                        "size_bytes": source.size_bytes,
                        "mtime_ns": source.mtime_ns,
                        "imported_at": source.imported_at,
                    }
                    for key, source in zip(keys, sources, strict=True)
                ],
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


class SqlExternalIdRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def in_namespace(self, namespace: str, kind: ExternalKind) -> dict[str, str]:
        # One range scan of the primary key: a feed import wants the whole namespace, and long
        # IN lists on the key's last column plan badly as PostgreSQL prepared statements.
        rows = self._c.execute(
            select(external_ids.c.external_id, external_ids.c.entity_id).where(
                external_ids.c.namespace == namespace, external_ids.c.kind == kind.value
            )
        )
        return {row.external_id: row.entity_id for row in rows}

    def put_many(self, namespace: str, kind: ExternalKind, entity_ids: Mapping[str, str]) -> None:
        if not entity_ids:
            return
        statement = (
            postgresql.insert(external_ids)
            if self._c.dialect.name == "postgresql"
            else sqlite.insert(external_ids)
        )
        self._c.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    external_ids.c.namespace,
                    external_ids.c.kind,
                    external_ids.c.external_id,
                ],
                set_={"entity_id": statement.excluded.entity_id},
            ),
            [
                {
                    "namespace": namespace,
                    "kind": kind.value,
                    "external_id": external_id,
                    "entity_id": entity_id,
                }
                for external_id, entity_id in entity_ids.items()
            ],
        )


def _rendition_values(rendition: Rendition) -> dict[str, Any]:
    return {
        "track_id": rendition.track_id,
        "quality": rendition.quality.value,
        "format": rendition.format,
        "codec": rendition.codec,
        "bitrate_kbps": rendition.bitrate_kbps,
        "size_bytes": rendition.size_bytes,
        "path": rendition.path,
        "checksum": rendition.checksum,
        "upscaled": rendition.upscaled,
        "created_at": rendition.created_at or _now(),
    }


def _track_values(track: Track) -> dict[str, Any]:
    """A track's own columns, but for its id and creation time."""
    return {
        "album_id": track.album_id,
        "title": track.title,
        "duration_ms": track.duration_ms,
        "disc_number": track.disc_number,
        "track_number": track.track_number,
        "isrc": track.isrc,
        "explicit": track.explicit,
        "popularity": track.popularity,
        "restricted": track.available_countries is not None,
        "musicbrainz_id": track.musicbrainz_id,
        "content_hash": track.content_hash,
    }


# Bound parameters per IN list: well under SQLite's limit (32,766) and PostgreSQL's (65,535).
_CHUNK = 900
_QUALITY_ORDER = {quality: rank for rank, quality in enumerate(Quality)}


def _chunked(items: Collection[Any]) -> Iterator[list[Any]]:
    listed = list(items)
    for start in range(0, len(listed), _CHUNK):
        yield listed[start : start + _CHUNK]


def _path_key(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()
