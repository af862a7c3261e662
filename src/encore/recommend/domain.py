"""Personalization's own values: what a batch run reads, and the playlists it makes.

(`encore.recommend.model` is the production taste model's package, hence this module's name.)
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix


class PlaylistKind(StrEnum):
    DISCOVER_WEEKLY = "discover_weekly"
    DAILY_MIX = "daily_mix"
    RELEASE_RADAR = "release_radar"


class Source(StrEnum):
    """Where a playlist's tracks came from: the taste model, or what is popular in the
    listener's country (too little history, or no model yet)."""

    MODEL = "model"
    POPULARITY = "popularity"


# Discover Weekly, as the seed has it.
CANDIDATES = 1_000
RECENT = timedelta(days=90)
PLAYLIST_LENGTH = 30
PER_ARTIST = 2
PER_GENRE = 5
# Fewer distinct tracks played than this, and the model knows too little: popularity instead.
MIN_HISTORY = 5
RELEASE_WINDOW = timedelta(days=14)
DAILY_MIXES = 6


@dataclass(frozen=True, slots=True)
class Period:
    """The stretch a generated playlist serves: from `start` (local midnight) to `expires_at`."""

    start: datetime
    expires_at: datetime


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def period(kind: PlaylistKind, now: datetime, time_zone: str | None) -> Period:
    """The period `now` falls in for a listener in `time_zone`: weekly ones begin on Monday,
    Daily Mix at midnight, both in the listener's own time."""
    local = now.astimezone(zone(time_zone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if kind is PlaylistKind.DAILY_MIX:
        start, length = midnight, timedelta(days=1)
    else:
        start, length = midnight - timedelta(days=local.weekday()), timedelta(days=7)
    # Wall-clock arithmetic, then back to an aware instant (a DST change keeps local midnight).
    end = (start.replace(tzinfo=None) + length).replace(tzinfo=start.tzinfo)
    return Period(start=start, expires_at=end)


@dataclass(frozen=True, slots=True)
class GeneratedPlaylist:
    user_id: str
    kind: PlaylistKind
    name: str
    description: str
    track_ids: tuple[str, ...]
    source: Source
    period_start: datetime
    generated_at: datetime
    expires_at: datetime
    slot: int = 0  # Daily Mix 1..6 keep their order
    model_version: str | None = None


@dataclass(frozen=True, slots=True)
class StoredPlaylist:
    """A generated playlist as served; `id` is None for a fallback made on the spot and not
    stored."""

    id: str | None
    kind: PlaylistKind
    name: str
    description: str
    track_ids: tuple[str, ...]
    source: Source
    generated_at: datetime
    expires_at: datetime
    slot: int = 0


@dataclass(frozen=True, slots=True)
class UserPartition:
    """A slice of the users of a batch run, by index into `BatchInputs.user_ids`."""

    number: int
    users: NDArray[np.int64]


@dataclass(slots=True)
class BatchInputs:
    """Everything a batch run reads, as arrays indexed by user, track and artist number."""

    user_ids: list[str]
    user_countries: list[str]
    user_zones: list[str | None]
    track_ids: list[str]
    item_artist: NDArray[np.int64]  # primary artist number per track
    item_genre: NDArray[np.int64]  # primary genre number per track, -1 for none
    item_released: NDArray[np.datetime64]  # the album's release day, NaT when unknown
    artist_names: list[str]
    plays: csr_matrix  # users x tracks, all-time play counts (float32)
    recent: csr_matrix  # users x tracks, 1 where played in the last `RECENT`
    liked: csr_matrix  # users x tracks, 1 where liked
    followed: csr_matrix  # users x artists, 1 where followed
    # Per track: True when it has audio to stream (a rendition other than the preview clip).
    playable: NDArray[np.bool_]
    # Per track: True when it is licensed only in the countries `licensed` lists for it.
    restricted: NDArray[np.bool_]
    # Per country, the restricted track numbers licensed there.
    licensed: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    # Track numbers, most played first, per country and over all ('' key).
    popular: dict[str, NDArray[np.int64]] = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.track_ids)

    def available_in(self, country: str) -> NDArray[np.bool_]:
        """Per track, True when a listener in `country` can play it: it has audio, and it is
        licensed everywhere or there."""
        available = self.playable & ~self.restricted
        available[self.licensed.get(country, np.zeros(0, dtype=np.int64))] = True
        available &= self.playable
        return available

    def popular_in(self, country: str) -> NDArray[np.int64]:
        found = self.popular.get(country)
        if found is not None and len(found) >= PLAYLIST_LENGTH * 4:
            return found
        everywhere = self.popular.get("", np.zeros(0, dtype=np.int64))
        if found is None:
            return everywhere
        return np.concatenate([found, everywhere[~np.isin(everywhere, found)]])
