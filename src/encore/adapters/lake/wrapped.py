"""Wrapped's measurements: one DuckDB pass over the lake's Parquet files for every listener
(top fives).

The catalog's names, credits and genres come from SQL as Arrow tables; the listens (one row per
event id) from the lake. Artists are credited by a track's first artist; hours are UTC.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Engine, select

from encore.adapters.lake.parquet import ParquetLake
from encore.adapters.sql.tables import artists, genres, track_artists, track_genres, tracks
from encore.wrapped.model import Ranked, YearStats

MS_PER_MINUTE = 60_000

# Plays of the year and everything heard before its end (for discoveries), one row per event.
_HEARD = """
CREATE TEMP TABLE heard AS
SELECT user_id, track_id, listened_at, duration_played_ms AS ms,
       type = 'skipped' AS skipped, completed
FROM raw_listens
WHERE type IN ('play_ended', 'skipped') AND listened_at < $end
QUALIFY row_number() OVER (PARTITION BY id ORDER BY "offset") = 1
"""
_PLAYS = "CREATE TEMP TABLE plays AS SELECT * FROM heard WHERE listened_at >= $start"
_ARTIST_YEAR = """
CREATE TEMP TABLE artist_year AS
SELECT user_id, artist_id, count(*) AS n_plays, sum(ms) AS total_ms
FROM plays JOIN track_artist USING (track_id) GROUP BY ALL
"""
_QUERIES = {
    "totals": """
        SELECT user_id, sum(ms), count(*), count(*) FILTER (WHERE skipped),
               count(*) FILTER (WHERE completed)
        FROM plays GROUP BY user_id""",
    "tracks": """
        SELECT user_id, track_id, any_value(n.name), count(*) AS n_plays, sum(ms) AS total_ms
        FROM plays LEFT JOIN track_name n USING (track_id) GROUP BY user_id, track_id
        QUALIFY row_number() OVER (
            PARTITION BY user_id ORDER BY n_plays DESC, total_ms DESC, track_id) <= 5""",
    "artists": """
        SELECT user_id, artist_id, a.name, n_plays, total_ms FROM artist_year
        LEFT JOIN artist_name a USING (artist_id)
        QUALIFY row_number() OVER (
            PARTITION BY user_id ORDER BY total_ms DESC, n_plays DESC, artist_id) <= 5""",
    "artist_counts": "SELECT user_id, count(*), max(total_ms) FROM artist_year GROUP BY user_id",
    "discoveries": """
        WITH firsts AS (
            SELECT user_id, artist_id, min(listened_at) AS first_heard
            FROM heard JOIN track_artist USING (track_id) GROUP BY ALL)
        SELECT user_id, artist_id, a.name, n_plays, total_ms,
               sum(total_ms) OVER (PARTITION BY user_id) AS discovery_ms
        FROM artist_year JOIN firsts USING (user_id, artist_id)
        LEFT JOIN artist_name a USING (artist_id)
        WHERE first_heard >= $start
        QUALIFY row_number() OVER (
            PARTITION BY user_id ORDER BY total_ms DESC, n_plays DESC, artist_id) <= 5""",
    "genres": """
        SELECT user_id, genre, count(*) AS n_plays, sum(ms) AS total_ms
        FROM plays JOIN track_genre USING (track_id) GROUP BY user_id, genre
        QUALIFY row_number() OVER (
            PARTITION BY user_id ORDER BY total_ms DESC, n_plays DESC, genre) <= 5""",
    "hours": "SELECT user_id, hour(listened_at) AS h, sum(ms) FROM plays GROUP BY user_id, h",
    "months": "SELECT user_id, month(listened_at) AS m, sum(ms) FROM plays GROUP BY user_id, m",
}


class LakeYearSource:
    def __init__(self, lake: ParquetLake, engine: Engine) -> None:
        self._lake = lake
        self._engine = engine

    def year(self, year: int) -> Iterator[YearStats]:
        window = {
            "start": datetime(year, 1, 1, tzinfo=UTC),
            "end": datetime(year + 1, 1, 1, tzinfo=UTC),
        }
        with self._lake.connect() as db:
            for name, table in self._catalog().items():
                db.register(name, table)
            db.execute(_HEARD, {"end": window["end"]})
            db.execute(_PLAYS, {"start": window["start"]})
            db.execute(_ARTIST_YEAR)
            rows = {
                name: db.execute(
                    query, {"start": window["start"]} if "$start" in query else {}
                ).fetchall()
                for name, query in _QUERIES.items()
            }
        yield from _assemble(year, rows)

    def _catalog(self) -> dict[str, pa.Table]:
        with self._engine.connect() as connection:
            names = connection.execute(select(tracks.c.id, tracks.c.title)).all()
            credits = connection.execute(
                select(track_artists.c.track_id, track_artists.c.artist_id).where(
                    track_artists.c.position == 0
                )
            ).all()
            artist_names = connection.execute(select(artists.c.id, artists.c.name)).all()
            track_genre = connection.execute(
                select(track_genres.c.track_id, genres.c.name).join(
                    genres, genres.c.id == track_genres.c.genre_id
                )
            ).all()
        return {
            "track_name": _table(names, "track_id", "name"),
            "track_artist": _table(credits, "track_id", "artist_id"),
            "artist_name": _table(artist_names, "artist_id", "name"),
            "track_genre": _table(track_genre, "track_id", "genre"),
        }


def _table(rows: Sequence[Any], *columns: str) -> pa.Table:
    return pa.table(
        {name: pa.array([row[i] for row in rows], pa.string()) for i, name in enumerate(columns)}
    )


def _minutes(ms: float | int | None) -> int:
    return round((ms or 0) / MS_PER_MINUTE)


def _ranked(rows: list[Any]) -> dict[str, tuple[Ranked, ...]]:
    """(user, id, name, plays, ms) rows, already ranked, grouped per user in rank order."""
    grouped: dict[str, list[tuple[int, int, Ranked]]] = defaultdict(list)
    for user_id, item_id, name, plays, ms in rows:
        ranked = Ranked(item_id, name or "", int(plays), _minutes(ms))
        grouped[user_id].append((-int(ms), -int(plays), ranked))
    return {
        user: tuple(r for _, _, r in sorted(items, key=lambda i: (i[0], i[1], i[2].id or "")))
        for user, items in grouped.items()
    }


def _ranked_genres(rows: list[Any]) -> dict[str, tuple[Ranked, ...]]:
    return _ranked([(user, None, genre, plays, ms) for user, genre, plays, ms in rows])


def _assemble(year: int, rows: dict[str, list[Any]]) -> Iterator[YearStats]:
    top_tracks = _ranked(rows["tracks"])
    top_artists = _ranked(rows["artists"])
    top_genres = _ranked_genres(rows["genres"])
    discoveries = _ranked([row[:5] for row in rows["discoveries"]])
    discovery_ms = {row[0]: row[5] for row in rows["discoveries"]}
    counts = {user: (n, top_ms) for user, n, top_ms in rows["artist_counts"]}
    hours: dict[str, list[int]] = defaultdict(lambda: [0] * 24)
    for user, hour, ms in rows["hours"]:
        hours[user][hour] = _minutes(ms)
    months: dict[str, list[int]] = defaultdict(lambda: [0] * 12)
    for user, month, ms in rows["months"]:
        months[user][month - 1] = _minutes(ms)
    for user, ms, plays, skips, completed in sorted(rows["totals"]):
        distinct, top_ms = counts.get(user, (0, 0))
        yield YearStats(
            user_id=user,
            year=year,
            minutes=_minutes(ms),
            plays=int(plays),
            skips=int(skips),
            completed=int(completed),
            top_tracks=top_tracks.get(user, ()),
            top_artists=top_artists.get(user, ()),
            top_genres=top_genres.get(user, ()),
            distinct_artists=int(distinct),
            discoveries=discoveries.get(user, ()),
            discovery_minutes=_minutes(discovery_ms.get(user)),
            top_artist_minutes=_minutes(top_ms),
            minutes_by_hour=tuple(hours[user]),
            minutes_by_month=tuple(months[user]),
        )
