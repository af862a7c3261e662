"""Handing out streams: who may play what, at which quality, from which origin.

A stream request is the busiest call after catalog reads, so it touches no database when warm:
the track's playable facts and the listener's entitlement come from caches that the catalog and
the accounts service clear when they change them.
"""

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from encore.accounts.model import Entitlement
from encore.cache import Cache
from encore.catalog.model import Quality
from encore.catalog.ports import CatalogUnitOfWork
from encore.catalog.service import CatalogChange
from encore.errors import NotFound, NotLicensed, PlanRequired
from encore.events import EventLog
from encore.streaming.cdn import OriginSelector
from encore.streaming.model import PAID_QUALITIES, Playable, StreamGrant
from encore.streaming.regions import region_of
from encore.streaming.signing import UrlSigner
from encore.unit_of_work import UnitOfWorkFactory

PLAYABLE_TTL_S = 60.0
DECODED_PLAYABLES = 100_000  # decoded copies kept beside the byte cache
STREAM_STARTED = "stream_started"


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
    ) -> None:
        self._uow = uow
        self._entitlements = entitlements
        self._signer = signer
        self._origins = origins
        self._events = events
        self._cache = cache
        self._clock = clock
        self._decoded_playables: dict[str, tuple[bytes, Playable]] = {}

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

    def grant_if_warm(
        self, *, user_id: str, track_id: str, quality: Quality, default_origin: str
    ) -> StreamGrant | None:
        """`grant` from cached facts only; None when something would have to be read from the
        database (the caller then calls `grant` where blocking is fine)."""
        cached = self._cache.get(_playable_key(track_id))
        listener = self._entitlements.cached_entitlement(user_id)
        if cached is None or listener is None:
            return None
        return self._grant(self._decoded(track_id, cached), listener, quality, default_origin)

    def _decoded(self, track_id: str, cached: bytes) -> Playable:
        """The cached bytes as a Playable, decoded once per version of them."""
        seen = self._decoded_playables.get(track_id)
        if seen is not None and seen[0] == cached:
            return seen[1]
        if len(self._decoded_playables) >= DECODED_PLAYABLES:
            self._decoded_playables.clear()
        playable = Playable.decode(cached)
        self._decoded_playables[track_id] = (cached, playable)
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
        key = _playable_key(track_id)
        cached = self._cache.get(key)
        if cached is not None:
            return self._decoded(track_id, cached)
        with self._uow(readonly=True) as uow:
            track = uow.tracks.get(track_id)
            if track is None:
                raise NotFound("No such track", track_id=track_id)
            playable = Playable.of(track, list(uow.renditions.list_for_track(track_id)))
        # Spread over the last quarter of the TTL, so tracks cached together expire apart.
        ttl_s = PLAYABLE_TTL_S * (0.75 + 0.25 * random.random())  # noqa: S311 (not security)
        self._cache.set(key, playable.encode(), ttl_s=ttl_s)
        return playable

    def forget(self, change: CatalogChange) -> None:
        """Drop cached playable facts of changed tracks (new audio, a new licence)."""
        if change.track_ids:
            self._cache.delete(*(_playable_key(t) for t in change.track_ids))


def _playable_key(track_id: str) -> str:
    return f"playable:{track_id}"
