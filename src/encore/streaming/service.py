"""Handing out streams: who may play what, at which quality, from which origin.

A stream request is the busiest call after catalog reads, so it touches no database when warm:
the track's playable facts and the listener's entitlement come from caches that the catalog and
the accounts service clear when they change them.

A cached playable is fresh for a minute (another process, such as `encore import`, may have
changed the track without telling this one). After that it is still served, while one background
read brings it up to date: a popular track never sends a crowd of requests to the database at
the instant its entry would otherwise have expired.
"""

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Protocol

from encore.accounts.model import Entitlement
from encore.cache import Cache, DecodedCopies
from encore.catalog.model import Quality
from encore.catalog.ports import CatalogUnitOfWork
from encore.catalog.service import CatalogChange
from encore.errors import NotFound, NotLicensed, PlanRequired
from encore.events import EventLog
from encore.streaming.cdn import OriginSelector
from encore.streaming.model import PAID_QUALITIES, Playable, StreamGrant, best_quality
from encore.streaming.regions import region_of
from encore.streaming.signing import UrlSigner
from encore.unit_of_work import UnitOfWorkFactory

PLAYABLE_FRESH_S = 60.0  # served without a second look for this long
PLAYABLE_KEPT_S = 3600.0  # then served while being refreshed, for this long at most
DECODED_PLAYABLES = 100_000  # decoded copies kept beside the byte cache
REFRESH_BATCH = 500  # stale playables read in one go
# How long a refresh waits for more tracks to go stale before it reads: tracks go stale one by
# one, and a read per track would cost the event loop more (in GIL turns) than the read itself.
REFRESH_GATHER_S = 1.0
STREAM_STARTED = "stream_started"

log = logging.getLogger(__name__)
Background = Callable[[Callable[[], None]], object]


class Entitlements(Protocol):
    def entitlement(self, user_id: str) -> Entitlement: ...
    def cached_entitlement(self, user_id: str) -> Entitlement | None: ...


class NoAudio(NotFound):
    kind = "no-audio"
    title = "Not streamable yet"


class StreamService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[CatalogUnitOfWork],
        entitlements: Entitlements,
        signer: UrlSigner,
        origins: OriginSelector,
        events: EventLog,
        cache: Cache,
        clock: Callable[[], float] = time.time,
        background: Background | None = None,
        refresh_gather_s: float = REFRESH_GATHER_S,
    ) -> None:
        """`background` runs a refresh off the caller's path (default: one worker thread)."""
        self._uow = uow
        self._entitlements = entitlements
        self._signer = signer
        self._origins = origins
        self._events = events
        self._cache = cache
        self._clock = clock
        self._background = background or _one_worker()
        self._gather_s = refresh_gather_s
        self._decoded = DecodedCopies(_decode_playable, max_entries=DECODED_PLAYABLES)
        self._refreshing: set[str] = set()  # stale tracks due for a refresh or having one
        self._due: list[str] = []  # of those, the ones not yet being read
        self._draining = False  # whether a background refresh is under way
        self._refreshing_lock = threading.Lock()

    def grant(
        self, *, user_id: str, track_id: str, quality: Quality, default_origin: str
    ) -> StreamGrant:
        """A signed URL for `track_id` at `quality` (or the nearest lower one the track has).

        Raises NotFound for an unknown track, NotLicensed when the listener's country is not in
        the track's licence, PlanRequired for a paid quality on the free plan, NoAudio for a
        track known only from a feed.
        """
        playable = self.playable(track_id)
        return self._grant(
            playable, self._entitlements.entitlement(user_id), quality, default_origin
        )

    def grant_within(
        self,
        *,
        user_id: str,
        track_id: str,
        max_kbps: int | None,
        lossless: bool,
        default_origin: str,
    ) -> StreamGrant:
        """`grant` at the best quality the listener's plan allows within `max_kbps` (for
        clients that ask by bitrate rather than by quality)."""
        playable = self.playable(track_id)
        listener = self._entitlements.entitlement(user_id)
        quality = best_quality(listener.plan, max_kbps=max_kbps, lossless=lossless)
        return self._grant(playable, listener, quality, default_origin)

    def grant_if_warm(
        self, *, user_id: str, track_id: str, quality: Quality, default_origin: str
    ) -> StreamGrant | None:
        """`grant` from cached facts only; None when something would have to be read from the
        database (the caller then calls `grant` where blocking is fine)."""
        cached = self._cache.get(_playable_key(track_id))
        listener = self._entitlements.cached_entitlement(user_id)
        if cached is None or listener is None:
            return None
        playable = self._cached_playable(track_id, cached)
        return self._grant(playable, listener, quality, default_origin)

    def _cached_playable(self, track_id: str, cached: bytes) -> Playable:
        """The cached playable; past its freshness, one refresh is set going behind it."""
        fresh_until, playable = self._decoded.get(track_id, cached)
        if fresh_until <= self._clock():
            self._refresh_later(track_id)
        return playable

    def _grant(
        self, playable: Playable, listener: Entitlement, quality: Quality, default_origin: str
    ) -> StreamGrant:
        track_id, user_id = playable.track_id, listener.user_id
        if not playable.is_available_in(listener.country):
            raise NotLicensed(
                f"This track is not licensed in your country ({listener.country})",
                track_id=track_id,
                country=listener.country,
            )
        if quality in PAID_QUALITIES and not listener.plan.includes_high_quality:
            raise PlanRequired(
                f"{quality.value} quality needs a premium, family or duo plan",
                quality=quality.value,
                plan=listener.plan.value,
            )
        rendition = playable.rendition_for(quality)
        if rendition is None:
            raise NoAudio("This track's audio has not been imported yet", track_id=track_id)
        region = region_of(listener.country)
        origin = self._origins.choose(region) or default_origin.rstrip("/")
        now = self._clock()
        signed = self._signer.sign("/" + rendition.path, now=now)
        grant = StreamGrant(
            track_id=track_id,
            stream_url=f"{origin}{signed.path}?{signed.query}",
            format=rendition.format,
            bitrate_kbps=rendition.bitrate_kbps,
            duration_ms=playable.duration_ms,
            expires_at=datetime.fromtimestamp(signed.expires_at, UTC),
            cdn_token=signed.query,
            quality=rendition.quality,
            requested_quality=quality,
            upscaled=rendition.upscaled,
            region=region,
        )
        self._events.publish(
            STREAM_STARTED,
            {
                "user_id": user_id,
                "track_id": track_id,
                "quality": rendition.quality.value,
                "requested_quality": quality.value,
                "country": listener.country,
                "region": region,
                "origin": origin,
                "at": now,
            },
        )
        return grant

    def playable(self, track_id: str) -> Playable:
        cached = self._cache.get(_playable_key(track_id))
        if cached is not None:
            return self._cached_playable(track_id, cached)
        playable = self._load([track_id]).get(track_id)
        if playable is None:
            raise NotFound("No such track", track_id=track_id)
        return playable

    def _load(self, track_ids: Sequence[str]) -> dict[str, Playable]:
        """Read the tracks' playable facts and cache them; a track that is gone is uncached."""
        with self._uow(readonly=True) as uow:
            tracks = uow.tracks.get_many(track_ids)
            renditions = uow.renditions.list_for_tracks(list(tracks))
        now = self._clock()
        loaded = {}
        for track_id in track_ids:
            track = tracks.get(track_id)
            if track is None:
                self._cache.delete(_playable_key(track_id))
                continue
            playable = loaded[track_id] = Playable.of(track, renditions.get(track_id, []))
            # Freshness spread over the last quarter, so that tracks cached together go stale
            # (and are refreshed) apart.
            fresh_s = PLAYABLE_FRESH_S * (0.75 + 0.25 * random.random())  # noqa: S311
            self._cache.set(
                _playable_key(track_id),
                _encode_playable(now + fresh_s, playable),
                ttl_s=PLAYABLE_KEPT_S,
            )
        return loaded

    def _refresh_later(self, track_id: str) -> None:
        with self._refreshing_lock:
            if track_id in self._refreshing:
                return
            self._refreshing.add(track_id)
            self._due.append(track_id)
            if self._draining:
                return
            self._draining = True
        self._background(self._refresh_due)

    def _refresh_due(self) -> None:
        """Refresh stale playables, many per read: those that go stale within `refresh_gather_s`
        of the first, or while a read is under way, are read together."""
        time.sleep(self._gather_s)
        while True:
            with self._refreshing_lock:
                batch, self._due = self._due[:REFRESH_BATCH], self._due[REFRESH_BATCH:]
                if not batch:
                    self._draining = False
                    return
            try:
                self._load(batch)
            except Exception:
                # The stale copies go on serving; the next request past freshness tries again.
                log.exception("Could not refresh the playable facts of %d tracks", len(batch))
            finally:
                with self._refreshing_lock:
                    self._refreshing.difference_update(batch)

    def forget(self, change: CatalogChange) -> None:
        """Drop cached playable facts of changed tracks (new audio, a new licence)."""
        if change.track_ids:
            self._cache.delete(*(_playable_key(t) for t in change.track_ids))


def _encode_playable(fresh_until: float, playable: Playable) -> bytes:
    return b"%d:%b" % (int(fresh_until), playable.encode())


def _decode_playable(_track_id: str, data: bytes) -> tuple[float, Playable]:
    fresh_until, _, encoded = data.partition(b":")
    return float(fresh_until), Playable.decode(encoded)


def _one_worker() -> Background:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="playable-refresh").submit


def _playable_key(track_id: str) -> str:
    return f"playable:{track_id}"
