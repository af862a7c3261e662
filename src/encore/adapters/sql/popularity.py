"""What is popular, from plays per country, follows and playlists: for pre-warming edges."""

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Engine, func, select

from encore.adapters.sql.catalog import SqlRenditionRepository
from encore.adapters.sql.stats import SqlListeningStats
from encore.adapters.sql.tables import follows, playlist_tracks
from encore.adapters.sql.tables import (
    playlists as playlists_table,
)
from encore.catalog.model import Quality


class SqlPopularity:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def top_tracks(
        self, *, countries: Collection[str], since: datetime, limit: int
    ) -> Sequence[str]:
        # From the plays per country and day that the listening log's consumer keeps: a week of
        # a region is a few thousand rows, where the history would be millions.
        with self._engine.connect() as connection:
            return SqlListeningStats(connection).top_tracks(
                countries=countries, since=since.date(), limit=limit
            )

    def popular_playlist_tracks(self, *, playlists: int, per_playlist: int) -> Sequence[str]:
        followers = (
            select(follows.c.target_id, func.count().label("followers"))
            .where(follows.c.target_type == "playlist")
            .group_by(follows.c.target_id)
            .subquery()
        )
        top = (
            select(playlists_table.c.id)
            .join(followers, followers.c.target_id == playlists_table.c.id)
            .where(playlists_table.c.public.is_(True))
            .order_by(followers.c.followers.desc(), playlists_table.c.id)
            .limit(playlists)
        )
        with self._engine.connect() as connection:
            chosen = [row.id for row in connection.execute(top)]
            found: list[str] = []
            for playlist_id in chosen:
                found.extend(
                    connection.execute(
                        select(playlist_tracks.c.track_id)
                        .where(playlist_tracks.c.playlist_id == playlist_id)
                        .order_by(playlist_tracks.c.position)
                        .limit(per_playlist)
                    ).scalars()
                )
        return found

    def rendition_paths(
        self, track_ids: Sequence[str], qualities: Collection[Quality]
    ) -> Sequence[str]:
        with self._engine.connect() as connection:
            found = SqlRenditionRepository(connection).paths_by_track(track_ids)
        wanted = [quality for quality in Quality if quality in qualities]
        return [found[t][q] for t in track_ids if t in found for q in wanted if q in found[t]]
