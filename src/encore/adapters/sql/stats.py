"""Listening statistics on SQL: play counts, decayed popularity, plays per country and day, and
the consumers' offsets."""

from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from encore.adapters.sql.tables import consumer_offsets, country_daily_plays, track_stats, tracks
from encore.history.model import Play, decay, play_weight, popularity

_CHUNK = 900  # ids per IN (...) list, under SQLite's bound-parameter limit


def _insert(connection: Connection, table: Any) -> Any:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class SqlListeningStats:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def durations(self, track_ids: Collection[str]) -> dict[str, int]:
        ids = list(track_ids)
        found: dict[str, int] = {}
        for start in range(0, len(ids), _CHUNK):
            query = select(tracks.c.id, tracks.c.duration_ms).where(
                tracks.c.id.in_(ids[start : start + _CHUNK])
            )
            found.update((row.id, row.duration_ms) for row in self._c.execute(query))
        return found

    def count(self, plays: Sequence[Play], now: datetime) -> None:
        if not plays:
            return
        counts = Counter(play.track_id for play in plays)
        weights: dict[str, float] = defaultdict(float)
        for play in plays:
            weights[play.track_id] += play_weight(play.listened_at, now)
        scores = self._scores(list(counts))
        rows: list[dict[str, Any]] = []
        for track_id, plays_now in counts.items():
            old_plays, old_score, scored_at = scores.get(track_id, (0, 0.0, now))
            rows.append(
                {
                    "track_id": track_id,
                    "plays": old_plays + plays_now,
                    "score": decay(old_score, scored_at, now) + weights[track_id],
                    "scored_at": now,
                }
            )
        upsert = _insert(self._c, track_stats)
        self._c.execute(
            upsert.on_conflict_do_update(
                index_elements=[track_stats.c.track_id],
                set_={
                    "plays": upsert.excluded.plays,
                    "score": upsert.excluded.score,
                    "scored_at": upsert.excluded.scored_at,
                },
            ),
            rows,
        )
        self._c.execute(
            update(tracks)
            .where(tracks.c.id == bindparam("b_id"))
            .values(popularity=bindparam("b_popularity")),
            [{"b_id": r["track_id"], "b_popularity": popularity(r["score"])} for r in rows],
        )
        daily = Counter((p.listened_at.date(), p.country, p.track_id) for p in plays)
        upsert = _insert(self._c, country_daily_plays)
        self._c.execute(
            upsert.on_conflict_do_update(
                index_elements=[
                    country_daily_plays.c.day,
                    country_daily_plays.c.country,
                    country_daily_plays.c.track_id,
                ],
                set_={"plays": country_daily_plays.c.plays + upsert.excluded.plays},
            ),
            [
                {"day": day, "country": country, "track_id": track_id, "plays": n}
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

    def _scores(self, track_ids: list[str]) -> dict[str, tuple[int, float, datetime]]:
        found = {}
        for start in range(0, len(track_ids), _CHUNK):
            query = select(track_stats).where(
                track_stats.c.track_id.in_(track_ids[start : start + _CHUNK])
            )
            for row in self._c.execute(query):
                found[row.track_id] = (row.plays, row.score, row.scored_at)
        return found

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
