"""Pre-warming an edge: the audio a region is about to ask for, fetched before it does.

What a region will play soon is mostly what it played this week and what sits at the top of the
playlists people follow. Those tracks' renditions at the qualities most streams use (normal, high
and very high) are fetched through each of the region's origins with a signed URL, so that the
first listener to press play gets a cache hit rather than a trip to the media store.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from encore.catalog.model import Quality
from encore.errors import InvalidInput
from encore.streaming.cdn import OriginSelector
from encore.streaming.ports import EdgeWarmer, Popularity, Warmed
from encore.streaming.regions import REGIONS, countries_in
from encore.streaming.signing import UrlSigner

WARM_QUALITIES = (Quality.NORMAL, Quality.HIGH, Quality.VERY_HIGH)


@dataclass(frozen=True, slots=True)
class WarmingPlan:
    region: str
    track_ids: tuple[str, ...]
    keys: tuple[str, ...]  # media keys, most wanted first


@dataclass(frozen=True, slots=True)
class WarmingReport:
    plan: WarmingPlan
    origins: tuple[str, ...]
    results: tuple[Warmed, ...]

    @property
    def failed(self) -> list[Warmed]:
        return [result for result in self.results if not result.ok]

    @property
    def bytes(self) -> int:
        return sum(result.bytes for result in self.results)


class PreCache:
    def __init__(
        self,
        *,
        popularity: Popularity,
        signer: UrlSigner,
        origins: OriginSelector,
        warmer: EdgeWarmer,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._popularity = popularity
        self._signer = signer
        self._origins = origins
        self._warmer = warmer
        self._clock = clock

    def plan(
        self,
        region: str,
        *,
        top_tracks: int = 200,
        days: int = 7,
        playlists: int = 20,
        per_playlist: int = 50,
    ) -> WarmingPlan:
        if region not in REGIONS:
            raise InvalidInput(f"Unknown region {region!r}; known: {', '.join(REGIONS)}")
        since = datetime.fromtimestamp(self._clock(), UTC) - timedelta(days=days)
        played = self._popularity.top_tracks(
            countries=countries_in(region), since=since, limit=top_tracks
        )
        listed = self._popularity.popular_playlist_tracks(
            playlists=playlists, per_playlist=per_playlist
        )
        track_ids = tuple(dict.fromkeys([*played, *listed]))
        keys = tuple(self._popularity.rendition_paths(track_ids, WARM_QUALITIES))
        return WarmingPlan(region, track_ids, keys)

    def warm(self, plan: WarmingPlan, *, origins: Sequence[str] = ()) -> WarmingReport:
        """Fetch the plan's files through `origins`, or else every origin of its region."""
        chosen = tuple(o.rstrip("/") for o in origins) or self._origins.region_origins(plan.region)
        if not chosen:
            raise InvalidInput(
                f"No edge origin for region {plan.region}: configure cdn_origins or name one"
            )
        now = self._clock()
        urls = [
            f"{origin}{self._signer.sign('/' + key, now).path_and_query}"
            for origin in chosen
            for key in plan.keys
        ]
        return WarmingReport(plan, chosen, tuple(self._warmer.warm(urls)))
