"""Personalization on SQL: what the batch runs read (as arrays), and Encore's own playlists."""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sqlalchemy import Engine, and_, delete, exists, func, or_, select
from sqlalchemy.engine import Connection

from encore.adapters.recommend.zones import country_zone
from encore.adapters.sql.tables import (
    albums,
    artists,
    country_daily_plays,
    follows,
    generated_playlists,
    liked_tracks,
    listening_history,
    playlist_changes,
    playlist_tracks,
    playlists,
    recommend_runs,
    renditions,
    track_artists,
    track_countries,
    track_genres,
    tracks,
    users,
)
from encore.history.model import QUALIFYING_MS
from encore.ids import new_id
from encore.recommend.domain import (
    RECENT,
    BatchInputs,
    GeneratedPlaylist,
    PlaylistKind,
    Source,
    StoredPlaylist,
)

log = logging.getLogger(__name__)
POPULAR_WINDOW = timedelta(days=28)
POPULAR_PER_COUNTRY = 2_000
_CHUNK = 500  # playlists per transaction; ids per IN (...) list


class SqlInteractionSource:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def snapshot(self, now: datetime) -> BatchInputs:
        with self._engine.connect() as c:
            user_rows = c.execute(
                select(users.c.id, users.c.country, users.c.time_zone).order_by(users.c.id)
            ).all()
            user_ids = [row.id for row in user_rows]
            user_number = {u: i for i, u in enumerate(user_ids)}
            track_rows = c.execute(
                select(
                    tracks.c.id,
                    albums.c.release_date,
                    tracks.c.restricted,
                    has_audio().label("playable"),
                )
                .join(albums, albums.c.id == tracks.c.album_id)
                .order_by(tracks.c.id)
            ).all()
            track_ids = [row.id for row in track_rows]
            track_number = {t: i for i, t in enumerate(track_ids)}
            licensed = _licensed(c, track_number)
            artist_ids, artist_names, item_artist = _primary_artists(c, track_number)
            artist_number = {a: i for i, a in enumerate(artist_ids)}
            shape = (len(user_ids), len(track_ids))
            qualifying = or_(
                listening_history.c.completed.is_(True),
                listening_history.c.duration_played_ms >= QUALIFYING_MS,
            )
            plays = _matrix(
                c.execute(
                    select(
                        listening_history.c.user_id,
                        listening_history.c.track_id,
                        func.count().label("n"),
                    )
                    .where(qualifying)
                    .group_by(listening_history.c.user_id, listening_history.c.track_id)
                ),
                user_number,
                track_number,
                shape,
            )
            recent = _matrix(
                c.execute(
                    select(listening_history.c.user_id, listening_history.c.track_id)
                    .where(listening_history.c.listened_at >= now - RECENT)
                    .distinct()
                ),
                user_number,
                track_number,
                shape,
            )
            liked = _matrix(
                c.execute(select(liked_tracks.c.user_id, liked_tracks.c.track_id)),
                user_number,
                track_number,
                shape,
            )
            followed = _matrix(
                c.execute(
                    select(follows.c.user_id, follows.c.target_id).where(
                        follows.c.target_type == "artist"
                    )
                ),
                user_number,
                artist_number,
                (len(user_ids), len(artist_ids)),
            )
            popular = _popular(c, now, track_number)
            item_genre = _primary_genres(c, track_number)
        released = np.array(
            [row.release_date or "NaT" for row in track_rows], dtype="datetime64[D]"
        )
        return BatchInputs(
            user_ids=user_ids,
            user_countries=[row.country for row in user_rows],
            user_zones=[row.time_zone or country_zone(row.country) for row in user_rows],
            track_ids=track_ids,
            item_artist=item_artist,
            item_genre=item_genre,
            item_released=released,
            artist_names=artist_names,
            plays=plays,
            recent=recent,
            liked=liked,
            followed=followed,
            playable=np.array([bool(row.playable) for row in track_rows], dtype=bool),
            restricted=np.array([bool(row.restricted) for row in track_rows], dtype=bool),
            licensed=licensed,
            popular=popular,
        )


def has_audio() -> Any:
    """True for a track (of `tracks` in the query) with audio to stream: a rendition other
    than the preview clip."""
    return exists(
        select(renditions.c.track_id).where(
            renditions.c.track_id == tracks.c.id, renditions.c.quality != "preview"
        )
    )


def playable_in(country: str | None) -> Any:
    """A track has audio and, for a listener in `country` (None: anywhere), is licensed."""
    if country is None:
        return has_audio()
    licensed_here = exists(
        select(track_countries.c.track_id).where(
            track_countries.c.track_id == tracks.c.id, track_countries.c.country == country
        )
    )
    return and_(has_audio(), or_(tracks.c.restricted.is_(False), licensed_here))


def _licensed(
    c: Connection, track_number: dict[str, int]
) -> dict[str, np.ndarray[Any, np.dtype[np.int64]]]:
    by_country: dict[str, list[int]] = {}
    for row in c.execute(
        select(track_countries.c.track_id, track_countries.c.country)
        .join(tracks, tracks.c.id == track_countries.c.track_id)
        .where(tracks.c.restricted.is_(True))
    ):
        t = track_number.get(row.track_id)
        if t is not None:
            by_country.setdefault(row.country, []).append(t)
    return {country: np.asarray(found, dtype=np.int64) for country, found in by_country.items()}


def _matrix(
    rows: Any, first: dict[str, int], second: dict[str, int], shape: tuple[int, int]
) -> csr_matrix:
    r: list[int] = []
    k: list[int] = []
    v: list[float] = []
    for row in rows:
        i, j = first.get(row[0]), second.get(row[1])
        if i is None or j is None:
            continue  # a row added since the ids were read
        r.append(i)
        k.append(j)
        v.append(float(row[2]) if len(row) > 2 else 1.0)
    matrix = csr_matrix((np.asarray(v, dtype=np.float32), (r, k)), shape=shape)
    matrix.sum_duplicates()
    return matrix


def _primary_artists(
    c: Connection, track_number: dict[str, int]
) -> tuple[list[str], list[str], np.ndarray[Any, np.dtype[np.int64]]]:
    artist_rows = c.execute(select(artists.c.id, artists.c.name).order_by(artists.c.id)).all()
    artist_ids = [row.id for row in artist_rows]
    number = {a: i for i, a in enumerate(artist_ids)}
    item_artist = np.zeros(len(track_number), dtype=np.int64)
    seen = np.full(len(track_number), np.iinfo(np.int64).max, dtype=np.int64)
    for row in c.execute(
        select(track_artists.c.track_id, track_artists.c.artist_id, track_artists.c.position)
    ):
        t = track_number.get(row.track_id)
        if t is not None and row.position < seen[t] and row.artist_id in number:
            seen[t] = row.position
            item_artist[t] = number[row.artist_id]
    return artist_ids, [row.name for row in artist_rows], item_artist


def _primary_genres(
    c: Connection, track_number: dict[str, int]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    item_genre = np.full(len(track_number), -1, dtype=np.int64)
    seen = np.full(len(track_number), np.iinfo(np.int64).max, dtype=np.int64)
    for row in c.execute(
        select(track_genres.c.track_id, track_genres.c.genre_id, track_genres.c.position)
    ):
        t = track_number.get(row.track_id)
        if t is not None and row.position < seen[t]:
            seen[t] = row.position
            item_genre[t] = row.genre_id
    return item_genre


def _popular(
    c: Connection, now: datetime, track_number: dict[str, int]
) -> dict[str, np.ndarray[Any, np.dtype[np.int64]]]:
    plays = func.sum(country_daily_plays.c.plays).label("plays")
    by_country: dict[str, list[int]] = {}
    for row in c.execute(
        select(country_daily_plays.c.country, country_daily_plays.c.track_id, plays)
        .where(country_daily_plays.c.day >= (now - POPULAR_WINDOW).date())
        .group_by(country_daily_plays.c.country, country_daily_plays.c.track_id)
        .order_by(country_daily_plays.c.country, plays.desc(), country_daily_plays.c.track_id)
    ):
        listed = by_country.setdefault(row.country, [])
        t = track_number.get(row.track_id)
        if t is not None and len(listed) < POPULAR_PER_COUNTRY:
            listed.append(t)
    everywhere = [
        track_number[row.id]
        for row in c.execute(
            select(tracks.c.id)
            .order_by(tracks.c.popularity.desc(), tracks.c.id)
            .limit(POPULAR_PER_COUNTRY)
        )
        if row.id in track_number
    ]
    found = {country: np.asarray(items, dtype=np.int64) for country, items in by_country.items()}
    found[""] = np.asarray(everywhere, dtype=np.int64)
    return found


class SqlGeneratedPlaylists:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def replace(self, made: Sequence[GeneratedPlaylist]) -> int:
        for start in range(0, len(made), _CHUNK):
            with self._engine.begin() as c:
                _replace(c, made[start : start + _CHUNK])
        return len(made)

    def periods(self, kind: PlaylistKind) -> dict[str, tuple[datetime, Source]]:
        found: dict[str, tuple[datetime, Source]] = {}
        with self._engine.connect() as c:
            for row in c.execute(
                select(
                    generated_playlists.c.made_for,
                    generated_playlists.c.period_start,
                    generated_playlists.c.source,
                )
                .where(generated_playlists.c.kind == kind.value)
                .order_by(generated_playlists.c.period_start)
            ):
                found[row.made_for] = (row.period_start, Source(row.source))
        return found

    def latest(self, user_id: str, kind: PlaylistKind, *, now: datetime) -> list[StoredPlaylist]:
        with self._engine.connect() as c:
            rows = c.execute(
                select(
                    playlists.c.id,
                    playlists.c.name,
                    playlists.c.description,
                    playlists.c.expires_at,
                    generated_playlists.c.slot,
                    generated_playlists.c.source,
                    generated_playlists.c.generated_at,
                    generated_playlists.c.period_start,
                )
                .join(playlists, playlists.c.id == generated_playlists.c.playlist_id)
                .where(
                    generated_playlists.c.made_for == user_id,
                    generated_playlists.c.kind == kind.value,
                    playlists.c.expires_at > now,
                )
                .order_by(
                    generated_playlists.c.period_start.desc(),
                    generated_playlists.c.generated_at.desc(),
                    generated_playlists.c.slot,
                )
            ).all()
            if not rows:
                return []
            newest = rows[0].generated_at
            rows = [row for row in rows if row.generated_at == newest]
            entries: dict[str, list[str]] = {row.id: [] for row in rows}
            for entry in c.execute(
                select(playlist_tracks.c.playlist_id, playlist_tracks.c.track_id)
                .where(playlist_tracks.c.playlist_id.in_(list(entries)))
                .order_by(playlist_tracks.c.playlist_id, playlist_tracks.c.position)
            ):
                entries[entry.playlist_id].append(entry.track_id)
        return [
            StoredPlaylist(
                id=row.id,
                kind=kind,
                name=row.name,
                description=row.description,
                track_ids=tuple(entries[row.id]),
                source=Source(row.source),
                generated_at=row.generated_at,
                expires_at=row.expires_at,
                slot=row.slot,
            )
            for row in rows
        ]


def _replace(c: Connection, made: Sequence[GeneratedPlaylist]) -> None:
    # A listener deleted since the run read its inputs: their playlists go with them.
    listeners = set(
        c.execute(
            select(users.c.id).where(users.c.id.in_(sorted({p.user_id for p in made})))
        ).scalars()
    )
    made = [playlist for playlist in made if playlist.user_id in listeners]
    if not made:
        return
    rows: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    generated: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    new_ids: list[str] = []
    for playlist in made:
        playlist_id = new_id()
        new_ids.append(playlist_id)
        snapshot = new_id()
        rows.append(
            {
                "id": playlist_id,
                "owner_id": None,
                "name": playlist.name,
                "description": playlist.description,
                "public": False,
                "collaborative": False,
                "kind": playlist.kind.value,
                "snapshot_id": snapshot,
                "version": 0,
                "expires_at": playlist.expires_at,
                "created_at": playlist.generated_at,
                "updated_at": playlist.generated_at,
            }
        )
        changes.append(
            {
                "playlist_id": playlist_id,
                "version": 0,
                "snapshot_id": snapshot,
                "touched_from": 0,
                "fields": "",
                "changed_at": playlist.generated_at,
            }
        )
        entries.extend(
            {
                "playlist_id": playlist_id,
                "position": position,
                "track_id": track_id,
                "added_at": playlist.generated_at,
                "added_by": None,
            }
            for position, track_id in enumerate(playlist.track_ids)
        )
        generated.append(
            {
                "playlist_id": playlist_id,
                "made_for": playlist.user_id,
                "kind": playlist.kind.value,
                "slot": playlist.slot,
                "source": playlist.source.value,
                "period_start": playlist.period_start,
                "generated_at": playlist.generated_at,
                "model_version": playlist.model_version,
            }
        )
    # Older ones go in the same transaction as the new ones come: never none, never both.
    older = select(generated_playlists.c.playlist_id).where(
        or_(
            *(
                and_(
                    generated_playlists.c.kind == kind,
                    generated_playlists.c.made_for.in_(
                        sorted({p.user_id for p in made if p.kind.value == kind})
                    ),
                )
                for kind in sorted({p.kind.value for p in made})
            )
        )
    )
    old_ids = list(c.execute(older).scalars())
    c.execute(playlists.insert(), rows)
    c.execute(playlist_changes.insert(), changes)
    if entries:
        c.execute(playlist_tracks.insert(), entries)
    c.execute(generated_playlists.insert(), generated)
    for start in range(0, len(old_ids), _CHUNK):
        c.execute(delete(playlists).where(playlists.c.id.in_(old_ids[start : start + _CHUNK])))


class SqlRecommendRuns:
    """The log of batch runs: one row each, from start to outcome."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def started(self, *, runner: str, kinds: Sequence[PlaylistKind], at: datetime) -> str:
        run_id = new_id()
        with self._engine.begin() as c:
            c.execute(
                recommend_runs.insert().values(
                    id=run_id,
                    runner=runner,
                    kinds=",".join(k.value for k in kinds),
                    status="running",
                    started_at=at,
                )
            )
        return run_id

    def finished(
        self,
        run_id: str,
        *,
        at: datetime,
        users: int,
        playlists: int,
        model_version: str | None,
        error: str | None = None,
    ) -> None:
        with self._engine.begin() as c:
            c.execute(
                recommend_runs.update()
                .where(recommend_runs.c.id == run_id)
                .values(
                    status="failed" if error else "complete",
                    finished_at=at,
                    users=users,
                    playlists=playlists,
                    model_version=model_version,
                    error=error[:4000] if error else None,
                )
            )


class SqlListeners:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def locate(self, user_id: str) -> tuple[str, str | None] | None:
        with self._engine.connect() as c:
            row = c.execute(
                select(users.c.country, users.c.time_zone).where(users.c.id == user_id)
            ).first()
        if row is None:
            return None
        return row.country, row.time_zone or country_zone(row.country)

    def spared(self, user_id: str, *, since: datetime) -> set[str]:
        with self._engine.connect() as c:
            found = set(
                c.execute(
                    select(listening_history.c.track_id)
                    .where(
                        listening_history.c.user_id == user_id,
                        listening_history.c.listened_at >= since,
                    )
                    .distinct()
                ).scalars()
            )
            found.update(
                c.execute(
                    select(liked_tracks.c.track_id).where(liked_tracks.c.user_id == user_id)
                ).scalars()
            )
        return found

    def popular_tracks(self, country: str, *, now: datetime, limit: int) -> list[str]:
        plays = func.sum(country_daily_plays.c.plays).label("plays")
        since = (now - POPULAR_WINDOW).date()
        with self._engine.connect() as c:
            found = list(
                c.execute(
                    select(country_daily_plays.c.track_id)
                    .join(tracks, tracks.c.id == country_daily_plays.c.track_id)
                    .where(
                        country_daily_plays.c.country == country,
                        country_daily_plays.c.day >= since,
                        playable_in(country),
                    )
                    .group_by(country_daily_plays.c.track_id)
                    .order_by(plays.desc(), country_daily_plays.c.track_id)
                    .limit(limit)
                ).scalars()
            )
            if len(found) < limit:
                seen = set(found)
                found.extend(
                    t
                    for t in c.execute(
                        select(tracks.c.id)
                        .where(playable_in(country))
                        .order_by(tracks.c.popularity.desc(), tracks.c.id)
                        .limit(limit + len(found))
                    ).scalars()
                    if t not in seen
                )
        return found[:limit]

    def new_releases(
        self, *, since: datetime, until: datetime, limit: int, country: str
    ) -> list[str]:
        with self._engine.connect() as c:
            return list(
                c.execute(
                    select(tracks.c.id)
                    .join(albums, albums.c.id == tracks.c.album_id)
                    .where(
                        albums.c.release_date >= since.date(),
                        albums.c.release_date <= until.date(),
                        playable_in(country),
                    )
                    .order_by(albums.c.release_date.desc(), tracks.c.popularity.desc(), tracks.c.id)
                    .limit(limit)
                ).scalars()
            )

    def playable(self, track_ids: Sequence[str], *, country: str | None) -> set[str]:
        ids = list(dict.fromkeys(track_ids))
        found: set[str] = set()
        with self._engine.connect() as c:
            for start in range(0, len(ids), _CHUNK):
                found.update(
                    c.execute(
                        select(tracks.c.id).where(
                            tracks.c.id.in_(ids[start : start + _CHUNK]), playable_in(country)
                        )
                    ).scalars()
                )
        return found

    def facets(self, track_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        ids = list(dict.fromkeys(track_ids))
        artist_of: dict[str, tuple[int, str]] = {}
        genre_of: dict[str, tuple[int, int]] = {}
        with self._engine.connect() as c:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                for row in c.execute(
                    select(
                        track_artists.c.track_id,
                        track_artists.c.artist_id,
                        track_artists.c.position,
                    ).where(track_artists.c.track_id.in_(chunk))
                ):
                    if row.track_id not in artist_of or row.position < artist_of[row.track_id][0]:
                        artist_of[row.track_id] = (row.position, row.artist_id)
                for row in c.execute(
                    select(
                        track_genres.c.track_id, track_genres.c.genre_id, track_genres.c.position
                    ).where(track_genres.c.track_id.in_(chunk))
                ):
                    if row.track_id not in genre_of or row.position < genre_of[row.track_id][0]:
                        genre_of[row.track_id] = (row.position, row.genre_id)
        return {
            t: (artist_of[t][1], genre_of[t][1] if t in genre_of else -1)
            for t in ids
            if t in artist_of
        }

    def seed_tracks(self, kind: str, seed_id: str, *, user_id: str) -> list[str] | None:
        with self._engine.connect() as c:
            if kind == "track":
                found = c.execute(select(tracks.c.id).where(tracks.c.id == seed_id)).first()
                return None if found is None else [seed_id]
            if kind == "artist":
                if c.execute(select(artists.c.id).where(artists.c.id == seed_id)).first() is None:
                    return None
                return list(
                    c.execute(
                        select(track_artists.c.track_id)
                        .join(tracks, tracks.c.id == track_artists.c.track_id)
                        .where(track_artists.c.artist_id == seed_id)
                        .order_by(tracks.c.popularity.desc(), tracks.c.id)
                        .limit(50)
                    ).scalars()
                )
            if kind == "playlist":
                made_for = (
                    select(generated_playlists.c.playlist_id)
                    .where(generated_playlists.c.made_for == user_id)
                    .scalar_subquery()
                )
                visible = select(playlists.c.id).where(
                    playlists.c.id == seed_id,
                    or_(
                        playlists.c.public.is_(True),
                        playlists.c.owner_id == user_id,
                        playlists.c.id.in_(made_for),
                    ),
                )
                if c.execute(visible).first() is None:
                    return None
                return list(
                    c.execute(
                        select(playlist_tracks.c.track_id)
                        .where(playlist_tracks.c.playlist_id == seed_id)
                        .order_by(playlist_tracks.c.position)
                        .limit(200)
                    ).scalars()
                )
        return None
