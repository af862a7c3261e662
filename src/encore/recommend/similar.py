"""Tracks like a track or an artist, from the taste model's neighbourhood: what Subsonic's
`getSimilarSongs2` and `getArtistInfo2` ask for. Without a model, or for a seed the model never
saw (a new track, an artist nobody plays yet), the fallback answers from what the catalog knows.
"""

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from encore.recommend.model_store import ServingModel
from encore.recommend.ports import Listeners
from encore.recommend.radio import centre_of, track_numbers

# An artist stands for its most popular tracks (as a radio seeded with it does).
SEEDS = 50
WIDER = 3


class SimilarSeeds(Protocol):
    def similar_to_artist(self, artist_id: str, *, limit: int) -> Sequence[str]: ...
    def similar_to_track(self, track_id: str, *, limit: int) -> Sequence[str]: ...


class SimilarByTaste:
    def __init__(
        self,
        *,
        models: Callable[[], ServingModel | None],
        listeners: Listeners,
        fallback: SimilarSeeds,
    ) -> None:
        self._models = models
        self._listeners = listeners
        self._fallback = fallback

    def similar_to_artist(self, artist_id: str, *, limit: int) -> Sequence[str]:
        # The artist's own tracks may come back: Subsonic mixes them with similar artists'.
        found = self._near("artist", artist_id, limit=limit, leave_out_seeds=False)
        return found or self._playable(self._fallback.similar_to_artist(artist_id, limit=limit))

    def similar_to_track(self, track_id: str, *, limit: int) -> Sequence[str]:
        found = self._near("track", track_id, limit=limit, leave_out_seeds=True)
        return found or self._playable(self._fallback.similar_to_track(track_id, limit=limit))

    def _playable(self, track_ids: Sequence[str]) -> list[str]:
        """Only tracks with audio: a track that exists as metadata alone is nothing to play."""
        playable = self._listeners.playable(track_ids, country=None)
        return [t for t in track_ids if t in playable]

    def _near(self, kind: str, seed_id: str, *, limit: int, leave_out_seeds: bool) -> list[str]:
        serving = self._models()
        if serving is None or limit <= 0:
            return []
        # Tracks and artists are public: no listener's view to respect.
        seeds = (self._listeners.seed_tracks(kind, seed_id, user_id="") or [])[:SEEDS]
        numbers = track_numbers(serving, seeds)
        if len(numbers) == 0:
            return []
        query = centre_of(serving.model.item_vectors[numbers])
        # Wider than asked: some neighbours may have no audio and be left out.
        k = min(len(serving.track_ids), WIDER * (limit + len(numbers)))
        _, found = serving.index.search(query[None, :].astype(np.float32), k)
        ids = self._playable(serving.track_ids[found[0][found[0] >= 0]].tolist())
        if leave_out_seeds:
            left_out = set(seeds)
            ids = [t for t in ids if t not in left_out]
        return ids[:limit]
