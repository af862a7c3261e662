"""Radio: an endless queue of tracks like a seed (a track, an artist or a playlist).

A station lives in the cache as a small document: its seed, what it has served, what the
listener skipped. Each `next` searches the ANN index around the seed's taste, drops what was
served or skipped, and pushes the rest away from the skipped tracks (their vectors and their
artists), so a skip reported through the events API moves the very next batch.
"""

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from encore.cache import Cache
from encore.errors import NotFound
from encore.ids import is_valid_id, new_id
from encore.recommend.domain import Source
from encore.recommend.model_store import ServingModel
from encore.recommend.ports import Listeners

log = logging.getLogger(__name__)
STATION_TTL_S = 6 * 3600.0
MAX_REMEMBERED = 2_000  # served tracks a station remembers
SKIP_PUSH = 0.6  # how far a skip moves the query away from the skipped track
SKIP_PENALTY = 0.8  # score taken from a candidate as close as can be to a skipped track
SKIPPED_ARTIST = 1.0  # score taken from a candidate by an artist the listener skipped
PER_ARTIST = 2  # per batch of `next`


class SeedType(StrEnum):
    TRACK = "track"
    ARTIST = "artist"
    PLAYLIST = "playlist"


@dataclass(frozen=True, slots=True)
class Station:
    id: str
    seed_type: SeedType
    seed_id: str
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RadioBatch:
    station_id: str
    track_ids: tuple[str, ...]
    source: Source


class RadioService:
    def __init__(
        self,
        *,
        models: Callable[[], ServingModel | None],
        listeners: Listeners,
        cache: Cache,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._models = models
        self._listeners = listeners
        self._cache = cache
        self._clock = clock
        self._skips_lock = threading.Lock()

    def start(self, *, user_id: str, seed_type: SeedType, seed_id: str) -> Station:
        seeds = self._listeners.seed_tracks(seed_type.value, seed_id, user_id=user_id)
        if seeds is None:
            raise NotFound(f"No such {seed_type.value}", **{f"{seed_type.value}_id": seed_id})
        station = Station(new_id(), seed_type, seed_id, f"{seed_type.value} radio", self._clock())
        self._save(
            station.id,
            {
                "user_id": user_id,
                "seed_type": seed_type.value,
                "seed_id": seed_id,
                "seeds": seeds[:200],
                "served": [],
                "skipped": [],
                "created_at": station.created_at.isoformat(),
            },
        )
        return station

    def next(self, *, user_id: str, station_id: str, limit: int) -> RadioBatch:
        state = self._load(user_id, station_id)
        avoid = set(state["served"]) | set(state["skipped"]) | set(state["seeds"])
        serving = self._models()
        picked: list[str] = []
        source = Source.POPULARITY
        if serving is not None:
            picked = self._similar(serving, state, avoid, limit)
            source = Source.MODEL if picked else Source.POPULARITY
        if len(picked) < limit:
            picked.extend(self._popular(state, avoid | set(picked), limit - len(picked)))
        state["served"] = (state["served"] + picked)[-MAX_REMEMBERED:]
        self._save(station_id, state)
        return RadioBatch(station_id, tuple(picked), source)

    def skipped(self, *, user_id: str, station_id: str, track_id: str) -> bool:
        """Remember a skip on the station; False when there is no such station of the user."""
        # Skips have a key of their own: a `next` running meanwhile (the player asks for more
        # as it skips) saves the station as it read it, and would otherwise write the skip away.
        with self._skips_lock:
            try:
                state = self._load(user_id, station_id)
            except NotFound:
                return False
            if track_id not in state["skipped"]:
                skipped = [*state["skipped"], track_id][-MAX_REMEMBERED:]
                self._cache.set(
                    _skips_key(station_id), json.dumps(skipped).encode(), ttl_s=STATION_TTL_S
                )
        return True

    def events_recorded(self, user_id: str, payloads: Sequence[Mapping[str, Any]]) -> None:
        """The listening service's hook: skips played from a radio context reach the station
        as they are recorded, not when a batch job runs."""
        for payload in payloads:
            if (
                payload.get("type") == "skipped"
                and payload.get("context_type") == "radio"
                and payload.get("context_id")
            ):
                self.skipped(
                    user_id=user_id,
                    station_id=str(payload["context_id"]),
                    track_id=str(payload["track_id"]),
                )

    def _similar(
        self, serving: ServingModel, state: dict[str, Any], avoid: set[str], limit: int
    ) -> list[str]:
        vectors = serving.model.item_vectors
        seeds = track_numbers(serving, state["seeds"])
        if len(seeds) == 0:
            return []
        query = centre_of(vectors[seeds])
        skipped = track_numbers(serving, state["skipped"])
        skipped_unit = unit_rows(vectors[skipped]) if len(skipped) else None
        if skipped_unit is not None:
            query = unit_rows(query - SKIP_PUSH * skipped_unit.mean(axis=0))
        k = min(len(avoid) + 20 * limit, len(serving.track_ids))
        _, found = serving.index.search(query[None, :].astype(np.float32), k)
        candidates = found[0][found[0] >= 0]
        ids = serving.track_ids[candidates].tolist()
        # The model knows tracks the listener cannot play (no audio, or not licensed where
        # they are): those never reach the queue.
        located = self._listeners.locate(state["user_id"])
        playable = self._listeners.playable(ids, country=located[0] if located else None)
        keep = np.array([t not in avoid and t in playable for t in ids], dtype=bool)
        candidates = candidates[keep]
        if len(candidates) == 0:
            return []
        ids = serving.track_ids[candidates].tolist()
        unit = unit_rows(vectors[candidates])
        scores = unit @ query
        if skipped_unit is not None:
            scores -= SKIP_PENALTY * np.maximum(0.0, unit @ skipped_unit.T).max(axis=1)
        facets = self._listeners.facets([*ids, *state["skipped"]])
        skipped_artists = {facets[t][0] for t in state["skipped"] if t in facets}
        artist_of = [facets.get(t, (t, -1))[0] for t in ids]
        scores -= SKIPPED_ARTIST * np.array([a in skipped_artists for a in artist_of])
        picked: list[str] = []
        per_artist: dict[str, int] = {}
        for i in np.argsort(-scores, kind="stable").tolist():
            artist = artist_of[i]
            if per_artist.get(artist, 0) >= PER_ARTIST:
                continue
            per_artist[artist] = per_artist.get(artist, 0) + 1
            picked.append(ids[i])
            if len(picked) == limit:
                break
        return picked

    def _popular(self, state: dict[str, Any], avoid: set[str], limit: int) -> list[str]:
        """Without a model: popular tracks, those of the seed's genres first, none by an
        artist the listener skipped."""
        located = self._listeners.locate(state["user_id"])
        country = located[0] if located else ""
        pool = self._listeners.popular_tracks(
            country, now=self._clock(), limit=len(avoid) + 50 * limit
        )
        facets = self._listeners.facets([*pool, *state["seeds"], *state["skipped"]])
        skipped_artists = {facets[t][0] for t in state["skipped"] if t in facets}
        genres = {facets[t][1] for t in state["seeds"] if t in facets and facets[t][1] >= 0}
        fresh = [
            t
            for t in pool
            if t not in avoid and t in facets and facets[t][0] not in skipped_artists
        ]
        fresh.sort(key=lambda t: facets[t][1] not in genres)  # stable: popularity within
        return fresh[:limit]

    def _load(self, user_id: str, station_id: str) -> dict[str, Any]:
        stored = self._cache.get(_key(station_id)) if is_valid_id(station_id) else None
        if stored is None:
            raise NotFound("No such station", station_id=station_id)
        state: dict[str, Any] = json.loads(stored)
        if state["user_id"] != user_id:
            raise NotFound("No such station", station_id=station_id)
        skips = self._cache.get(_skips_key(station_id))
        if skips is not None:
            known = set(state["skipped"])
            state["skipped"] += [t for t in json.loads(skips) if t not in known]
        return state

    def _save(self, station_id: str, state: dict[str, Any]) -> None:
        self._cache.set(_key(station_id), json.dumps(state).encode(), ttl_s=STATION_TTL_S)


def _key(station_id: str) -> str:
    return f"radio:{station_id}"


def _skips_key(station_id: str) -> str:
    return f"radio:{station_id}:skipped"


def track_numbers(serving: ServingModel, track_ids: Sequence[str]) -> NDArray[np.int64]:
    found = [n for t in track_ids if (n := serving.track(t)) is not None]
    return np.asarray(found, dtype=np.int64)


def centre_of(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """The direction a set of tracks shares: the unit mean of their unit vectors."""
    return unit_rows(unit_rows(vectors).mean(axis=0))


def unit_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    unit: NDArray[np.float32] = (vectors / np.maximum(norms, 1e-9)).astype(np.float32)
    return unit
