"""Listening statistics on SQL: play counts, decayed popularity, plays per country and day, and
the consumers' offsets."""

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from encore.adapters.sql.driver_rows import DriverRows
from encore.adapters.sql.tables import consumer_offsets, country_daily_plays, track_stats, tracks
from encore.history.model import Play, decay, play_weight, popularity

# The consumer's writes, per batch (see `DriverRows`); `?` markers, both dialects take the syntax.
_UPSERT_STATS = (
    "INSERT INTO track_stats (track_id, plays, score, scored_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (track_id) DO UPDATE SET plays = excluded.plays, score = excluded.score, "
    "scored_at = excluded.scored_at"
)
_UPSERT_DAILY = (
    "INSERT INTO country_daily_plays (day, country, track_id, plays) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (day, country, track_id) "
    "DO UPDATE SET plays = country_daily_plays.plays + excluded.plays"
)


def _insert(connection: Connection, table: Any) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class SqlListeningStats:
    def __init__(self, connection: Connection) -> None:
        self._c = connection
        self._driver = DriverRows(connection)

    def durations(self, track_ids: Collection[str]) -> dict[str, int]:
        rows = self._driver.select_in(
            "SELECT id, duration_ms FROM tracks WHERE id IN ({})", track_ids
        )
        return {row[0]: row[1] for row in rows}

    def count(self, plays: Sequence[Play], now: datetime) -> None:
        if not plays:
            return
        counts = Counter(play.track_id for play in plays)
        weights: dict[str, float] = defaultdict(float)
        for play in plays:
            weights[play.track_id] += play_weight(play.listened_at, now)
        driver = self._driver
        scores = self._scores(counts)
        stamp = driver.stamp(now)
        rows = []
        for track_id, plays_now in counts.items():
            old_plays, old_score, scored_at = scores.get(track_id, (0, 0.0, now))
            score = decay(old_score, scored_at, now) + weights[track_id]
            rows.append((track_id, old_plays + plays_now, score, stamp))
        driver.execute_many(_UPSERT_STATS, rows)
        driver.execute_many(
            "UPDATE tracks SET popularity = ? WHERE id = ?",
            [(popularity(score), track_id) for track_id, _, score, _ in rows],
        )
        daily = Counter((p.listened_at.date(), p.country, p.track_id) for p in plays)
        driver.execute_many(
            _UPSERT_DAILY,
            [
                (driver.day(day), country, track_id, n)
                for (day, country, track_id), n in daily.items()
            ],
        )

    def refresh_popularity(self, now: datetime) -> int:
        """Decay every counted track's popularity to `now`, so that tracks nobody plays any more
        fade too; how many tracks changed."""
        rows = self._c.execute(
            select(
                track_stats.c.track_id,
                track_stats.c.score,
                track_stats.c.scored_at,
                tracks.c.popularity,
            ).join(tracks, tracks.c.id == track_stats.c.track_id)
        ).all()
        changed = [
            {"b_id": row.track_id, "b_popularity": fresh}
            for row in rows
            if (fresh := popularity(decay(row.score, row.scored_at, now))) != row.popularity
        ]
        if changed:
            self._c.execute(
                update(tracks)
                .where(tracks.c.id == bindparam("b_id"))
                .values(popularity=bindparam("b_popularity")),
                changed,
            )
        return len(changed)

    def top_tracks(self, *, countries: Collection[str], since: date, limit: int) -> list[str]:
        plays = func.sum(country_daily_plays.c.plays).label("plays")
        query = (
            select(country_daily_plays.c.track_id, plays)
            .where(
                country_daily_plays.c.day >= since,
                country_daily_plays.c.country.in_(sorted(countries)),
            )
            .group_by(country_daily_plays.c.track_id)
            .order_by(plays.desc(), country_daily_plays.c.track_id)
            .limit(limit)
        )
        return [row.track_id for row in self._c.execute(query)]

    def _scores(self, track_ids: Iterable[str]) -> dict[str, tuple[int, float, datetime]]:
        rows = self._driver.select_in(
            "SELECT track_id, plays, score, scored_at FROM track_stats WHERE track_id IN ({})",
            track_ids,
        )
        return {row[0]: (row[1], row[2], self._driver.instant(row[3])) for row in rows}

    def plays(self, track_id: str) -> int:
        """The track's play count (for reports and tests)."""
        query = select(track_stats.c.plays).where(track_stats.c.track_id == track_id)
        return int(self._c.execute(query).scalar() or 0)


class SqlConsumerOffsets:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, consumer: str, topic: str) -> int:
        query = select(consumer_offsets.c.offset).where(
            consumer_offsets.c.consumer == consumer, consumer_offsets.c.topic == topic
        )
        return int(self._c.execute(query).scalar() or 0)

    def put(self, consumer: str, topic: str, offset: int) -> None:
        upsert = _insert(self._c, consumer_offsets)
        self._c.execute(
            upsert.values(consumer=consumer, topic=topic, offset=offset).on_conflict_do_update(
                index_elements=[consumer_offsets.c.consumer, consumer_offsets.c.topic],
                set_={"offset": upsert.excluded.offset},
            )
        )
