"""Lists over the catalog for Subsonic clients, and similar tracks from genres and popularity."""

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, exists, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from encore.adapters.sql.catalog import SqlAlbumRepository, SqlArtistRepository, _artist
from encore.adapters.sql.subsonic_marks import _chunks, _reading
from encore.adapters.sql.tables import (
    album_artists,
    albums,
    artists,
    genres,
    listening_history,
    ratings,
    starred_albums,
    track_artists,
    track_genres,
    track_stats,
    tracks,
)
from encore.catalog.model import Ref
from encore.subsonic.model import (
    AlbumEntry,
    AlbumOrder,
    ArtistEntry,
    GenreCount,
    ItemKind,
    YearSpan,
)


class SqlBrowsing:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def artists(self, *, limit: int, offset: int) -> list[ArtistEntry]:
        counted = _album_counts().subquery()
        query = (
            select(artists, counted.c.album_count)
            .join(counted, counted.c.artist_id == artists.c.id)
            .order_by(func.lower(artists.c.sort_name), artists.c.id)
            .limit(limit)
            .offset(offset)
        )
        with _reading(self._engine) as connection:
            return [ArtistEntry(_artist(row), row.album_count) for row in connection.execute(query)]

    def artist_entries(self, artist_ids: Collection[str]) -> dict[str, ArtistEntry]:
        found: dict[str, ArtistEntry] = {}
        with _reading(self._engine) as connection:
            for part in _chunks(artist_ids):
                counted = _album_counts(album_artists.c.artist_id.in_(part)).subquery()
                rows = connection.execute(
                    select(artists, func.coalesce(counted.c.album_count, 0).label("album_count"))
                    .outerjoin(counted, counted.c.artist_id == artists.c.id)
                    .where(artists.c.id.in_(part))
                )
                found.update({row.id: ArtistEntry(_artist(row), row.album_count) for row in rows})
        return found

    def artist_id_by_name(self, name: str) -> str | None:
        with _reading(self._engine) as connection:
            artist = SqlArtistRepository(connection).get_by_name(name)
        return artist.id if artist else None

    def album_entries(self, album_ids: Collection[str]) -> dict[str, AlbumEntry]:
        with _reading(self._engine) as connection:
            return _album_entries(connection, list(album_ids))

    def album_years(self, album_ids: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with _reading(self._engine) as connection:
            for part in _chunks(album_ids):
                rows = connection.execute(
                    select(albums.c.id, albums.c.release_date).where(
                        albums.c.id.in_(part), albums.c.release_date.is_not(None)
                    )
                )
                found.update({row.id: row.release_date.year for row in rows})
        return found

    def albums_by_artist(self, artist_id: str) -> list[AlbumEntry]:
        query = (
            select(albums.c.id)
            .join(album_artists, album_artists.c.album_id == albums.c.id)
            .where(album_artists.c.artist_id == artist_id)
            .order_by(albums.c.release_date, func.lower(albums.c.name), albums.c.id)
        )
        return self._entries_of(query)

    def album_list(
        self,
        order: AlbumOrder,
        *,
        limit: int,
        offset: int,
        user_id: str,
        genre: str | None = None,
        years: YearSpan | None = None,
    ) -> list[AlbumEntry]:
        query = _album_order(order, user_id=user_id, genre=genre, years=years)
        return self._entries_of(query.limit(limit).offset(offset))

    def album_page(self, *, limit: int, offset: int) -> list[AlbumEntry]:
        return self._entries_of(
            select(albums.c.id).order_by(albums.c.id).limit(limit).offset(offset)
        )

    def genres(self) -> list[GenreCount]:
        query = (
            select(
                genres.c.name,
                func.count(func.distinct(tracks.c.id)).label("songs"),
                func.count(func.distinct(tracks.c.album_id)).label("albums"),
            )
            .join(track_genres, track_genres.c.genre_id == genres.c.id)
            .join(tracks, tracks.c.id == track_genres.c.track_id)
            .group_by(genres.c.name)
            .order_by(genres.c.name)
        )
        with _reading(self._engine) as connection:
            return [
                GenreCount(row.name, row.songs, row.albums) for row in connection.execute(query)
            ]

    def track_ids(
        self,
        *,
        limit: int,
        offset: int,
        genre: str | None = None,
        years: YearSpan | None = None,
        random: bool = False,
        keyed: bool = False,
    ) -> list[str]:
        query = select(tracks.c.id)
        if genre is not None:
            query = query.where(_has_genre(tracks.c.id, genre))
        if years is not None:
            low, high = sorted((years.first, years.last))
            query = query.join(albums, albums.c.id == tracks.c.album_id).where(
                albums.c.release_date.between(date(low, 1, 1), date(high, 12, 31))
            )
        if random:
            query = query.order_by(func.random())
        elif keyed:
            query = query.order_by(tracks.c.id)
        else:
            query = query.order_by(func.lower(tracks.c.title), tracks.c.id)
        with _reading(self._engine) as connection:
            return list(connection.execute(query.limit(limit).offset(offset)).scalars())

    def top_track_ids(self, artist_id: str, *, limit: int) -> list[str]:
        query = (
            select(tracks.c.id)
            .join(track_artists, track_artists.c.track_id == tracks.c.id)
            .where(track_artists.c.artist_id == artist_id)
            .order_by(tracks.c.popularity.desc(), tracks.c.id)
            .limit(limit)
        )
        with _reading(self._engine) as connection:
            return list(connection.execute(query).scalars())

    def kinds(self, ids: Collection[str]) -> dict[str, ItemKind]:
        found: dict[str, ItemKind] = {}
        with _reading(self._engine) as connection:
            for part in _chunks(ids):
                for table, kind in (
                    (tracks, ItemKind.TRACK),
                    (albums, ItemKind.ALBUM),
                    (artists, ItemKind.ARTIST),
                ):
                    rows = connection.execute(select(table.c.id).where(table.c.id.in_(part)))
                    found.update(dict.fromkeys(rows.scalars(), kind))
        return found

    def play_counts(self, track_ids: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with _reading(self._engine) as connection:
            for part in _chunks(track_ids):
                rows = connection.execute(
                    select(track_stats.c.track_id, track_stats.c.plays).where(
                        track_stats.c.track_id.in_(part)
                    )
                )
                found.update({row.track_id: int(row.plays) for row in rows})
        return found

    def _entries_of(self, query: Select[Any]) -> list[AlbumEntry]:
        with _reading(self._engine) as connection:
            ids = list(connection.execute(query).scalars())
            entries = _album_entries(connection, ids)
        return [entries[i] for i in ids if i in entries]


class SqlSimilarTracks:
    """Similar by what the catalog knows: the seed's genres, most popular first, mixed with the
    seed artist's own most popular tracks. A stand-in until the recommender answers."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def similar_to_artist(self, artist_id: str, *, limit: int) -> Sequence[str]:
        own = (
            select(tracks.c.id)
            .join(track_artists, track_artists.c.track_id == tracks.c.id)
            .where(track_artists.c.artist_id == artist_id)
        )
        return self._similar(own, artist_id=artist_id, exclude=None, limit=limit)

    def similar_to_track(self, track_id: str, *, limit: int) -> Sequence[str]:
        with _reading(self._engine) as connection:
            artist_id = connection.execute(
                select(track_artists.c.artist_id)
                .where(track_artists.c.track_id == track_id)
                .order_by(track_artists.c.position)
                .limit(1)
            ).scalar()
        if artist_id is None:
            return []
        seed = select(tracks.c.id).where(tracks.c.id == track_id)
        return self._similar(seed, artist_id=artist_id, exclude=track_id, limit=limit)

    def _similar(
        self, seed: Select[Any], *, artist_id: str, exclude: str | None, limit: int
    ) -> list[str]:
        with _reading(self._engine) as connection:
            top_genres = list(
                connection.execute(
                    select(track_genres.c.genre_id)
                    .where(track_genres.c.track_id.in_(seed))
                    .group_by(track_genres.c.genre_id)
                    .order_by(func.count().desc(), track_genres.c.genre_id)
                    .limit(3)
                ).scalars()
            )
            others: list[str] = []
            if top_genres:
                by_artist = select(track_artists.c.track_id).where(
                    track_artists.c.artist_id == artist_id
                )
                others = list(
                    connection.execute(
                        select(tracks.c.id)
                        .where(
                            exists().where(
                                track_genres.c.track_id == tracks.c.id,
                                track_genres.c.genre_id.in_(top_genres),
                            ),
                            tracks.c.id.not_in(by_artist),
                        )
                        .order_by(tracks.c.popularity.desc(), tracks.c.id)
                        .limit(limit)
                    ).scalars()
                )
            own = list(
                connection.execute(
                    select(tracks.c.id)
                    .join(track_artists, track_artists.c.track_id == tracks.c.id)
                    .where(track_artists.c.artist_id == artist_id)
                    .order_by(tracks.c.popularity.desc(), tracks.c.id)
                    .limit(limit)
                ).scalars()
            )
        own = [t for t in own if t != exclude]
        # Two of others for one of the seed artist's own, while both last.
        mixed: list[str] = []
        while (others or own) and len(mixed) < limit:
            for source, take in ((others, 2), (own, 1)):
                mixed.extend(source[:take])
                del source[:take]
        return mixed[:limit]


def _album_counts(*where: Any) -> Select[Any]:
    return (
        select(album_artists.c.artist_id, func.count().label("album_count"))
        .where(*where)
        .group_by(album_artists.c.artist_id)
    )


def _has_genre(track_id: Any, genre: str) -> Any:
    return exists().where(
        track_genres.c.track_id == track_id,
        track_genres.c.genre_id == genres.c.id,
        func.lower(genres.c.name) == genre.lower(),
    )


def _album_order(
    order: AlbumOrder, *, user_id: str, genre: str | None, years: YearSpan | None
) -> Select[Any]:
    ids = select(albums.c.id)
    by_name = (func.lower(albums.c.name), albums.c.id)
    if order is AlbumOrder.RANDOM:
        return ids.order_by(func.random())
    if order is AlbumOrder.NEWEST:
        return ids.order_by(albums.c.created_at.desc(), albums.c.id)
    if order is AlbumOrder.BY_NAME:
        return ids.order_by(*by_name)
    if order is AlbumOrder.BY_ARTIST:
        first_artist = and_(album_artists.c.album_id == albums.c.id, album_artists.c.position == 0)
        return (
            ids.join(album_artists, first_artist)
            .join(artists, artists.c.id == album_artists.c.artist_id)
            .order_by(func.lower(artists.c.sort_name), *by_name)
        )
    if order is AlbumOrder.BY_YEAR:
        assert years is not None
        low, high = sorted((years.first, years.last))
        year = albums.c.release_date
        newest_first = years.first > years.last
        return ids.where(year.between(date(low, 1, 1), date(high, 12, 31))).order_by(
            year.desc() if newest_first else year, *by_name
        )
    if order is AlbumOrder.BY_GENRE:
        assert genre is not None
        tracks_of_genre = select(tracks.c.album_id).where(_has_genre(tracks.c.id, genre))
        return ids.where(albums.c.id.in_(tracks_of_genre)).order_by(*by_name)
    if order is AlbumOrder.FREQUENT:
        plays = func.sum(track_stats.c.plays)
        return (
            ids.join(tracks, tracks.c.album_id == albums.c.id)
            .join(track_stats, track_stats.c.track_id == tracks.c.id)
            .group_by(albums.c.id)
            .having(plays > 0)
            .order_by(plays.desc(), albums.c.id)
        )
    if order is AlbumOrder.RECENT:
        last = func.max(listening_history.c.listened_at)
        return (
            ids.join(tracks, tracks.c.album_id == albums.c.id)
            .join(listening_history, listening_history.c.track_id == tracks.c.id)
            .where(listening_history.c.user_id == user_id)
            .group_by(albums.c.id)
            .order_by(last.desc(), albums.c.id)
        )
    if order is AlbumOrder.STARRED:
        return (
            ids.join(starred_albums, starred_albums.c.album_id == albums.c.id)
            .where(starred_albums.c.user_id == user_id)
            .order_by(starred_albums.c.starred_at.desc(), albums.c.id)
        )
    # HIGHEST: the listener's own ratings, best first.
    return (
        ids.join(ratings, ratings.c.target_id == albums.c.id)
        .where(ratings.c.user_id == user_id)
        .order_by(ratings.c.rating.desc(), *by_name)
    )


def _album_entries(connection: Connection, album_ids: list[str]) -> dict[str, AlbumEntry]:
    found: dict[str, AlbumEntry] = {}
    for part in _chunks(album_ids):
        loaded = SqlAlbumRepository(connection).get_many(part)
        if not loaded:
            continue
        counts = {
            row.album_id: row
            for row in connection.execute(
                select(
                    tracks.c.album_id,
                    func.count().label("songs"),
                    func.coalesce(func.sum(tracks.c.duration_ms), 0).label("duration_ms"),
                    func.coalesce(func.sum(track_stats.c.plays), 0).label("plays"),
                )
                .outerjoin(track_stats, track_stats.c.track_id == tracks.c.id)
                .where(tracks.c.album_id.in_(part))
                .group_by(tracks.c.album_id)
            )
        }
        first_genre = {
            row[0]: row[1]
            for row in connection.execute(
                select(tracks.c.album_id, func.min(genres.c.name))
                .join(track_genres, track_genres.c.track_id == tracks.c.id)
                .join(genres, genres.c.id == track_genres.c.genre_id)
                .where(tracks.c.album_id.in_(part), track_genres.c.position == 0)
                .group_by(tracks.c.album_id)
            )
        }
        names: dict[str, list[Ref]] = defaultdict(list)
        for row in connection.execute(
            select(album_artists.c.album_id, artists.c.id, artists.c.name)
            .join(artists, artists.c.id == album_artists.c.artist_id)
            .where(album_artists.c.album_id.in_(part))
            .order_by(album_artists.c.album_id, album_artists.c.position)
        ):
            names[row.album_id].append(Ref(row.id, row.name))
        for album_id, album in loaded.items():
            counted = counts.get(album_id)
            found[album_id] = AlbumEntry(
                album=album,
                artists=tuple(names[album_id]),
                song_count=counted.songs if counted else 0,
                duration_ms=int(counted.duration_ms) if counted else 0,
                genre=first_genre.get(album_id),
                play_count=int(counted.plays) if counted else 0,
            )
    return found
