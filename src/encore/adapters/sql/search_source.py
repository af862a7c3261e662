"""Search documents read from the catalog's tables: a batch of entities in a few queries."""

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.engine import Connection

from encore.adapters.sql.read_routing import ReplicaReads
from encore.adapters.sql.tables import (
    album_artists,
    albums,
    artists,
    follows,
    genres,
    playlists,
    track_artists,
    track_genres,
    tracks,
    users,
)
from encore.catalog.model import Ref
from encore.search.model import Kind, SearchDocument

# SQLite allows this many bound parameters in one statement, and more is no faster elsewhere.
IN_CHUNK = 900


def _chunks(ids: Collection[str]) -> Iterator[list[str]]:
    items = list(ids)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


_LISTENERS_PLAYLISTS = and_(playlists.c.kind == "user", playlists.c.owner_id.is_not(None))


def _year(value: Any) -> int | None:
    return None if value is None else int(value.year)


class SqlDocumentSource:
    """Search documents from the catalog. Documents for a change are read from `engine` (the
    primary: they must show the change); a full reindex may read from `bulk_reads` (a replica)."""

    def __init__(self, engine: Engine, *, bulk_reads: ReplicaReads | None = None) -> None:
        self._engine = engine
        self._bulk: Engine | ReplicaReads = bulk_reads or engine

    def documents(
        self, *, track_ids: Sequence[str], album_ids: Sequence[str], artist_ids: Sequence[str]
    ) -> list[SearchDocument]:
        with self._engine.connect() as connection:
            return [
                *self._tracks(connection, track_ids),
                *self._albums(connection, album_ids),
                *self._artists(connection, artist_ids),
            ]

    def playlist_documents(self, playlist_ids: Sequence[str]) -> list[SearchDocument]:
        with self._engine.connect() as connection:
            return self._playlists(connection, playlist_ids)

    def total(self) -> int:
        with self._engine.connect() as connection:
            return sum(
                int(connection.scalar(select(func.count()).select_from(table)) or 0)
                for table in (tracks, albums, artists)
            ) + int(connection.scalar(select(func.count()).where(_LISTENERS_PLAYLISTS)) or 0)

    def everything(self, *, batch: int) -> Iterator[list[SearchDocument]]:
        yield from self._popular_tracks_first(batch)
        for table, build in (
            (albums, self._albums),
            (artists, self._artists),
            (playlists, self._playlists),
        ):
            after = ""
            # Listeners' playlists are their own data: read where their edits are.
            reads = self._engine if table is playlists else self._bulk
            while True:
                with reads.connect() as connection:
                    ids = list(
                        connection.scalars(
                            select(table.c.id)
                            .where(table.c.id > after)
                            .order_by(table.c.id)
                            .limit(batch)
                        )
                    )
                    if not ids:
                        break
                    yield build(connection, ids)
                after = ids[-1]

    def _popular_tracks_first(self, batch: int) -> Iterator[list[SearchDocument]]:
        """Tracks by popularity, most popular first (then by id), a batch at a time."""
        after: tuple[int, str] | None = None
        while True:
            statement = select(tracks.c.id, tracks.c.popularity)
            if after is not None:
                statement = statement.where(
                    or_(
                        tracks.c.popularity < after[0],
                        and_(tracks.c.popularity == after[0], tracks.c.id > after[1]),
                    )
                )
            with self._bulk.connect() as connection:
                rows = connection.execute(
                    statement.order_by(tracks.c.popularity.desc(), tracks.c.id).limit(batch)
                ).all()
                if not rows:
                    return
                found = {d.id: d for d in self._tracks(connection, [row.id for row in rows])}
            yield [found[row.id] for row in rows if row.id in found]
            after = (rows[-1].popularity, rows[-1].id)

    # --- one kind each -------------------------------------------------------------------------

    def _tracks(self, connection: Connection, ids: Collection[str]) -> list[SearchDocument]:
        documents: list[SearchDocument] = []
        for chunk in _chunks(ids):
            rows = connection.execute(
                select(
                    tracks.c.id,
                    tracks.c.title,
                    tracks.c.popularity,
                    tracks.c.duration_ms,
                    albums.c.id.label("album_id"),
                    albums.c.name.label("album_name"),
                    albums.c.release_date,
                )
                .join(albums, albums.c.id == tracks.c.album_id)
                .where(tracks.c.id.in_(chunk))
            ).all()
            credits = _credits(connection, track_artists, track_artists.c.track_id, chunk)
            track_genre = _genres(connection, chunk)
            documents.extend(
                SearchDocument(
                    kind=Kind.TRACK,
                    id=row.id,
                    name=row.title,
                    popularity=row.popularity,
                    artists=credits.get(row.id, ()),
                    album=Ref(row.album_id, row.album_name),
                    duration_ms=row.duration_ms,
                    genres=track_genre.get(row.id, ()),
                    year=_year(row.release_date),
                )
                for row in rows
            )
        return documents

    def _albums(self, connection: Connection, ids: Collection[str]) -> list[SearchDocument]:
        documents: list[SearchDocument] = []
        for chunk in _chunks(ids):
            best = (
                select(tracks.c.album_id, func.max(tracks.c.popularity).label("popularity"))
                .where(tracks.c.album_id.in_(chunk))
                .group_by(tracks.c.album_id)
                .subquery()
            )
            rows = connection.execute(
                select(albums.c.id, albums.c.name, albums.c.release_date, best.c.popularity)
                .outerjoin(best, best.c.album_id == albums.c.id)
                .where(albums.c.id.in_(chunk))
            ).all()
            credits = _credits(connection, album_artists, album_artists.c.album_id, chunk)
            documents.extend(
                SearchDocument(
                    kind=Kind.ALBUM,
                    id=row.id,
                    name=row.name,
                    popularity=row.popularity or 0,
                    artists=credits.get(row.id, ()),
                    year=_year(row.release_date),
                )
                for row in rows
            )
        return documents

    def _playlists(self, connection: Connection, ids: Collection[str]) -> list[SearchDocument]:
        """Listeners' own playlists (Encore's generated mixes are personal, never searched)."""
        documents: list[SearchDocument] = []
        for chunk in _chunks(ids):
            followers = (
                select(follows.c.target_id, func.count().label("followers"))
                .where(follows.c.target_type == "playlist", follows.c.target_id.in_(chunk))
                .group_by(follows.c.target_id)
                .subquery()
            )
            rows = connection.execute(
                select(
                    playlists.c.id,
                    playlists.c.name,
                    playlists.c.public,
                    users.c.id.label("owner_id"),
                    users.c.display_name,
                    followers.c.followers,
                )
                .join(users, users.c.id == playlists.c.owner_id)
                .outerjoin(followers, followers.c.target_id == playlists.c.id)
                .where(playlists.c.id.in_(chunk), _LISTENERS_PLAYLISTS)
            ).all()
            documents.extend(
                SearchDocument(
                    kind=Kind.PLAYLIST,
                    id=row.id,
                    name=row.name,
                    popularity=min(100, row.followers or 0),
                    owner=Ref(row.owner_id, row.display_name),
                    public=row.public,
                    followers=row.followers or 0,
                )
                for row in rows
            )
        return documents

    def _artists(self, connection: Connection, ids: Collection[str]) -> list[SearchDocument]:
        documents: list[SearchDocument] = []
        for chunk in _chunks(ids):
            best = (
                select(
                    track_artists.c.artist_id,
                    func.max(tracks.c.popularity).label("popularity"),
                )
                .join(tracks, tracks.c.id == track_artists.c.track_id)
                .where(track_artists.c.artist_id.in_(chunk))
                .group_by(track_artists.c.artist_id)
                .subquery()
            )
            rows = connection.execute(
                select(artists.c.id, artists.c.name, best.c.popularity)
                .outerjoin(best, best.c.artist_id == artists.c.id)
                .where(artists.c.id.in_(chunk))
            ).all()
            documents.extend(
                SearchDocument(
                    kind=Kind.ARTIST, id=row.id, name=row.name, popularity=row.popularity or 0
                )
                for row in rows
            )
        return documents


def _credits(
    connection: Connection, link: Any, owner: Any, ids: list[str]
) -> dict[str, tuple[Ref, ...]]:
    rows = connection.execute(
        select(owner.label("owner"), artists.c.id, artists.c.name)
        .join(artists, artists.c.id == link.c.artist_id)
        .where(owner.in_(ids))
        .order_by(owner, link.c.position)
    ).all()
    credits: dict[str, list[Ref]] = defaultdict(list)
    for row in rows:
        credits[row.owner].append(Ref(row.id, row.name))
    return {key: tuple(refs) for key, refs in credits.items()}


def _genres(connection: Connection, ids: list[str]) -> dict[str, tuple[str, ...]]:
    rows = connection.execute(
        select(track_genres.c.track_id, genres.c.name)
        .join(genres, genres.c.id == track_genres.c.genre_id)
        .where(track_genres.c.track_id.in_(ids))
        .order_by(track_genres.c.track_id, track_genres.c.position)
    ).all()
    found: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        found[row.track_id].append(row.name)
    return {key: tuple(names) for key, names in found.items()}
