"""Serving the personalized playlists: the newest stored ones, or popularity when there are
none yet (a new listener, no model, a run that has not reached them). Every answer says which."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

from encore.errors import NotFound
from encore.recommend.discover import NAME, POPULAR_DESCRIPTION
from encore.recommend.diversify import diversify
from encore.recommend.domain import (
    PER_ARTIST,
    PER_GENRE,
    PLAYLIST_LENGTH,
    RECENT,
    RELEASE_WINDOW,
    GeneratedPlaylist,
    PlaylistKind,
    Source,
    StoredPlaylist,
    period,
)
from encore.recommend.mixes import popular_mix_name
from encore.recommend.ports import GeneratedPlaylists, Listeners

log = logging.getLogger(__name__)
POPULAR_POOL = 300


class RecommendService:
    def __init__(
        self,
        *,
        playlists: GeneratedPlaylists,
        listeners: Listeners,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._playlists = playlists
        self._listeners = listeners
        self._clock = clock

    def discover_weekly(self, *, user_id: str) -> StoredPlaylist:
        """This week's Discover Weekly. A listener the batch has not reached gets a popularity
        mix for their country, stored as this week's (so it has an id); the next run replaces it."""
        now = self._clock()
        stored = self._playlists.latest(user_id, PlaylistKind.DISCOVER_WEEKLY, now=now)
        if stored and stored[0].source is not Source.POPULARITY:
            return stored[0]
        country, zone = self._locate(user_id)
        # A popularity mix is its country's: one made before the listener moved is made again.
        if stored and stored[0].description == POPULAR_DESCRIPTION.format(country=country):
            return stored[0]
        when = period(PlaylistKind.DISCOVER_WEEKLY, now, zone)
        tracks = self._popular_mix(user_id, country, now, familiar=False)
        self._playlists.replace(
            [
                GeneratedPlaylist(
                    user_id=user_id,
                    kind=PlaylistKind.DISCOVER_WEEKLY,
                    name=NAME,
                    description=POPULAR_DESCRIPTION.format(country=country),
                    track_ids=tracks,
                    source=Source.POPULARITY,
                    period_start=when.start,
                    generated_at=now,
                    expires_at=when.expires_at,
                )
            ]
        )
        stored = self._playlists.latest(user_id, PlaylistKind.DISCOVER_WEEKLY, now=now)
        return stored[0]

    def daily_mixes(self, *, user_id: str) -> list[StoredPlaylist]:
        now = self._clock()
        stored = self._playlists.latest(user_id, PlaylistKind.DAILY_MIX, now=now)
        if stored:
            return stored
        country, zone = self._locate(user_id)
        when = period(PlaylistKind.DAILY_MIX, now, zone)
        tracks = self._popular_mix(user_id, country, now, familiar=True)
        if not tracks:
            return []  # nothing playable here at all: no mix rather than an empty one
        return [
            StoredPlaylist(
                None,
                PlaylistKind.DAILY_MIX,
                popular_mix_name(country),
                f"Popular in {country} today",
                tracks,
                Source.POPULARITY,
                now,
                when.expires_at,
            )
        ]

    def release_radar(self, *, user_id: str) -> StoredPlaylist:
        now = self._clock()
        stored = self._playlists.latest(user_id, PlaylistKind.RELEASE_RADAR, now=now)
        if stored:
            return stored[0]
        country, zone = self._locate(user_id)
        when = period(PlaylistKind.RELEASE_RADAR, now, zone)
        fresh = self._listeners.new_releases(
            since=now - RELEASE_WINDOW, until=now, limit=PLAYLIST_LENGTH * 10, country=country
        )
        return StoredPlaylist(
            None,
            PlaylistKind.RELEASE_RADAR,
            "Release Radar",
            "The newest releases listeners are playing.",
            self._capped(fresh, per_artist=3, per_genre=PLAYLIST_LENGTH),
            Source.POPULARITY,
            now,
            when.expires_at,
        )

    def _locate(self, user_id: str) -> tuple[str, str | None]:
        found = self._listeners.locate(user_id)
        if found is None:
            raise NotFound("No such user", user_id=user_id)
        return found

    def _popular_mix(
        self, user_id: str, country: str, now: datetime, *, familiar: bool
    ) -> tuple[str, ...]:
        """The country's popular playable tracks the listener has not played lately. With
        `familiar` (a Daily Mix mixes the new with the familiar) what they have played fills
        the rest, so that a small catalog still makes a mix; Discover Weekly never has them."""
        spared = self._listeners.spared(user_id, since=now - RECENT)
        popular = self._listeners.popular_tracks(country, now=now, limit=POPULAR_POOL)
        pool = [t for t in popular if t not in spared]
        if familiar:
            pool += [t for t in popular if t in spared]
        return self._capped(pool, per_artist=PER_ARTIST, per_genre=PER_GENRE)

    def _capped(self, pool: list[str], *, per_artist: int, per_genre: int) -> tuple[str, ...]:
        facets = self._listeners.facets(pool)
        pool = [t for t in pool if t in facets]
        artists = {a: i for i, a in enumerate({facets[t][0] for t in pool})}
        item_artist = np.array([artists[facets[t][0]] for t in pool], dtype=np.int64)
        item_genre = np.array([facets[t][1] for t in pool], dtype=np.int64)
        chosen = diversify(
            np.arange(len(pool), dtype=np.int64),
            item_artist,
            item_genre,
            length=PLAYLIST_LENGTH,
            per_artist=per_artist,
            per_genre=per_genre,
        )
        return tuple(pool[i] for i in chosen.tolist())
