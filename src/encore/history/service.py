"""Listening: player events in, history and now-playing out.

`record` checks a batch event by event, appends the accepted ones to the event log durably and
returns a status for each; the log's consumers (`encore.history.consumers`) turn them into
history, play counts, popularity, plays per country and the lake. An event's id is the client's,
scoped to the listener, so a batch sent again (an offline player retrying) changes nothing.
"""

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from encore.cache import Cache
from encore.catalog.model import TrackDetail
from encore.errors import NotFound, TooLarge
from encore.events import EventLog
from encore.history.model import (
    CLOSING,
    EventStatus,
    EventType,
    Listen,
    PlayerEvent,
    Verdict,
)
from encore.history.ports import HistoryUnitOfWork
from encore.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)
TOPIC = "listens"
MAX_BATCH = 1_000
CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of ours a player's clock may run
NOW_PLAYING_TTL_S = 3_600.0
# Who has played something lately, latest first: the listeners `playing_now` looks at.
ROSTER_KEY = "now-playing:roster"
ROSTER_SIZE = 500
_KNOWN_TRACKS = 200_000  # durations remembered between batches
_KNOWN_LISTENERS = 100_000
LISTENER_TTL_S = 60.0


class BatchTooLarge(TooLarge):
    kind = "batch-too-large"
    title = "Too many events in one batch"


@dataclass(frozen=True, slots=True)
class _Listener:
    joined: datetime
    country: str
    read_at: float  # monotonic


@dataclass(frozen=True, slots=True)
class NowPlaying:
    track_id: str
    progress_ms: int
    is_playing: bool
    context_type: str | None
    context_id: str | None
    device: str | None
    updated_at: datetime


class ListeningService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[HistoryUnitOfWork],
        events: EventLog,
        cache: Cache,
        track_details: Callable[[Sequence[str]], dict[str, TrackDetail]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow = uow
        self._events = events
        self._cache = cache
        self._track_details = track_details
        self._clock = clock
        self._durations: dict[str, int] = {}
        self._listeners: dict[str, _Listener] = {}
        self._on_recorded: list[Callable[[str, Sequence[Mapping[str, Any]]], None]] = []
        self._roster_lock = threading.Lock()

    def on_recorded(self, callback: Callable[[str, Sequence[Mapping[str, Any]]], None]) -> None:
        """Call `callback(user_id, payloads)` with each batch's accepted events once they are
        logged: for what reacts within a session (radio hears skips), ahead of the consumers."""
        self._on_recorded.append(callback)

    def record(self, *, user_id: str, events: Sequence[PlayerEvent]) -> list[EventStatus]:
        if len(events) > MAX_BATCH:
            raise BatchTooLarge(
                f"A batch holds at most {MAX_BATCH} events; this one has {len(events)}: "
                f"send them in batches of {MAX_BATCH} or fewer",
                limit=MAX_BATCH,
                received=len(events),
            )
        now = self._clock()
        listener = self._listener(user_id)
        durations = self._known_durations({event.track_id for event in events})
        received = now.isoformat()
        statuses: list[EventStatus] = []
        accepted: list[dict[str, Any]] = []
        seen: set[str] = set()
        for event in events:
            if event.client_id in seen:
                statuses.append(EventStatus(event.client_id, Verdict.DUPLICATE, "repeated-id"))
                continue
            seen.add(event.client_id)
            status, played = _check(event, durations, joined=listener.joined, now=now)
            statuses.append(status)
            if status.status in (Verdict.ACCEPTED, Verdict.CLAMPED):
                accepted.append(_payload(event, user_id, listener.country, played, received))
        self._events.publish_durably(TOPIC, accepted)
        for callback in self._on_recorded:
            try:
                callback(user_id, accepted)
            except Exception:
                # The events are logged already: a listener's failure must not fail the batch.
                log.exception("a listener of recorded events failed")
        return statuses

    def _listener(self, user_id: str) -> "_Listener":
        """When the listener joined and where they listen from, remembered for a minute (read
        for every batch of events)."""
        now = time.monotonic()
        known = self._listeners.get(user_id)
        if known is not None and known.read_at > now - LISTENER_TTL_S:
            return known
        with self._uow(readonly=True) as uow:
            user = uow.users.get(user_id)
        if user is None:
            raise NotFound("No such user", user_id=user_id)
        if len(self._listeners) > _KNOWN_LISTENERS:
            self._listeners.clear()
        known = self._listeners[user_id] = _Listener(user.created_at, user.country, now)
        return known

    def set_now_playing(
        self,
        *,
        user_id: str,
        track_id: str,
        progress_ms: int = 0,
        is_playing: bool = True,
        context_type: str | None = None,
        context_id: str | None = None,
        device: str | None = None,
    ) -> NowPlaying:
        if track_id not in self._known_durations({track_id}):
            raise NotFound("No such track", track_id=track_id)
        playing = NowPlaying(
            track_id, progress_ms, is_playing, context_type, context_id, device, self._clock()
        )
        document = {**asdict(playing), "updated_at": playing.updated_at.isoformat()}
        self._cache.set(
            _now_playing_key(user_id), json.dumps(document).encode(), ttl_s=NOW_PLAYING_TTL_S
        )
        self._on_the_roster(user_id, playing.updated_at)
        return playing

    def playing_now(self, *, limit: int = ROSTER_SIZE) -> list[tuple[str, NowPlaying]]:
        """Who is playing what (their latest now-playing within its TTL), latest first: for
        Subsonic's `getNowPlaying`, which shows a server's listeners to each other."""
        now = self._clock().timestamp()
        roster = sorted(self._roster().items(), key=lambda entry: -entry[1])
        found: list[tuple[str, NowPlaying]] = []
        for user_id, updated in roster:
            if now - updated > NOW_PLAYING_TTL_S or len(found) >= limit:
                break
            playing = self.now_playing(user_id=user_id)
            if playing is not None:
                found.append((user_id, playing))
        return found

    def _on_the_roster(self, user_id: str, updated_at: datetime) -> None:
        # One small document of who played last when: read, changed and written under a lock,
        # so concurrent starts in this process never drop each other. Across a fleet's nodes
        # (a shared Redis) two starts at the same instant may: that listener shows again from
        # their next track.
        with self._roster_lock:
            roster = self._roster()
            roster[user_id] = updated_at.timestamp()
            fresh = sorted(roster.items(), key=lambda entry: -entry[1])[:ROSTER_SIZE]
            self._cache.set(ROSTER_KEY, json.dumps(dict(fresh)).encode(), ttl_s=NOW_PLAYING_TTL_S)

    def _roster(self) -> dict[str, float]:
        stored = self._cache.get(ROSTER_KEY)
        return {} if stored is None else dict(json.loads(stored))

    def forget_listener(self, user_id: str) -> None:
        """For a deleted account: its now-playing and its place on the roster go at once."""
        self._listeners.pop(user_id, None)
        self._cache.delete(_now_playing_key(user_id))
        with self._roster_lock:
            roster = self._roster()
            if roster.pop(user_id, None) is not None:
                self._cache.set(ROSTER_KEY, json.dumps(roster).encode(), ttl_s=NOW_PLAYING_TTL_S)

    def now_playing(self, *, user_id: str) -> NowPlaying | None:
        stored = self._cache.get(_now_playing_key(user_id))
        if stored is None:
            return None
        document = json.loads(stored)
        document["updated_at"] = datetime.fromisoformat(document["updated_at"])
        return NowPlaying(**document)

    def recently_played(
        self, *, user_id: str, limit: int, before: datetime | None = None
    ) -> list[tuple[Listen, TrackDetail]]:
        """The user's latest listens with their tracks, newest first (those older than `before`
        when given). Listens reach history through the log's consumer, a moment after `record`."""
        with self._uow(readonly=True) as uow:
            listens = uow.history.recent(user_id, limit=limit, before=before)
        details = self._track_details(list({listen.track_id for listen in listens}))
        return [
            (listen, details[listen.track_id]) for listen in listens if listen.track_id in details
        ]

    def _known_durations(self, track_ids: set[str]) -> dict[str, int]:
        """The durations of those tracks that exist, from memory where it has them. Another
        thread may empty the memory meanwhile: what it had is copied first."""
        found = {t: d for t in track_ids if (d := self._durations.get(t)) is not None}
        missing = track_ids - found.keys()
        if missing:
            with self._uow(readonly=True) as uow:
                fetched = uow.stats.durations(missing)
            if len(self._durations) + len(fetched) > _KNOWN_TRACKS:
                self._durations.clear()
            self._durations.update(fetched)
            found.update(fetched)
        return found


def event_id(user_id: str, client_id: str) -> str:
    """The stored id of a client's event: the client's id, made unique across listeners
    (32 hex digits of a keyed BLAKE2b; computed for every event, so it has to be cheap)."""
    return hashlib.blake2b(
        client_id.encode(), digest_size=16, key=user_id.encode()[:64]
    ).hexdigest()


def _check(
    event: PlayerEvent, durations: dict[str, int], *, joined: datetime, now: datetime
) -> tuple[EventStatus, int]:
    """The event's status and the duration played to record."""

    def rejected(reason: str) -> tuple[EventStatus, int]:
        return EventStatus(event.client_id, Verdict.REJECTED, reason), 0

    length = durations.get(event.track_id)
    if length is None:
        return rejected("unknown-track")
    if event.timestamp > now + CLOCK_SKEW:
        return rejected("timestamp-in-the-future")
    if event.timestamp < joined - CLOCK_SKEW:
        return rejected("before-the-account-existed")
    played = event.duration_played_ms
    if played is not None and played < 0:
        return rejected("negative-duration")
    if played is None:
        if event.type in CLOSING:
            return rejected("missing-duration")
        played = 0
    if played > length:
        # A player that kept counting past the end (or looped): the track's length is the most.
        return EventStatus(event.client_id, Verdict.CLAMPED, "duration-beyond-track"), length
    return EventStatus(event.client_id, Verdict.ACCEPTED), played


def _payload(
    event: PlayerEvent, user_id: str, country: str, played: int, received_at: str
) -> dict[str, Any]:
    # A closing event is stamped when the play ended; the listen began `played` earlier.
    started = (
        event.timestamp - timedelta(milliseconds=played)
        if event.type in CLOSING
        else event.timestamp
    )
    return {
        "id": event_id(user_id, event.client_id),
        "user_id": user_id,
        "track_id": event.track_id,
        "type": event.type.value,
        "listened_at": started.astimezone(UTC).isoformat(),
        "duration_played_ms": played,
        "completed": bool(event.completed),
        "context_type": event.context_type,
        "context_id": event.context_id,
        "device": event.device,
        "country": country,
        "received_at": received_at,
    }


# The value itself: an enum member's `.value` is a property lookup, once per logged event here.
_SKIPPED = EventType.SKIPPED.value


def listen_of(
    payload: Mapping[str, Any],
    *,
    received: Callable[[str], datetime] = datetime.fromisoformat,
) -> Listen | None:
    """The listen a logged event makes, if it closes a play. `received` reads the time Encore
    heard of it, which a whole batch shares: a consumer passes one that remembers."""
    if payload["type"] not in CLOSING:
        return None
    return Listen(
        event_id=payload["id"],
        user_id=payload["user_id"],
        track_id=payload["track_id"],
        listened_at=datetime.fromisoformat(payload["listened_at"]),
        duration_played_ms=payload["duration_played_ms"],
        completed=payload["completed"],
        received_at=received(payload["received_at"]),
        skipped=payload["type"] == _SKIPPED,
        context_type=payload["context_type"],
        context_id=payload["context_id"],
        device=payload["device"],
    )


def payload_of(listen: Listen, country: str) -> dict[str, Any]:
    """The logged event a listen closes (what `listen_of` reads back): for listens that reach
    the lake without the log, such as history brought in from elsewhere."""
    return {
        "id": listen.event_id,
        "user_id": listen.user_id,
        "track_id": listen.track_id,
        "type": _SKIPPED if listen.skipped else EventType.PLAY_ENDED.value,
        "listened_at": listen.listened_at.astimezone(UTC).isoformat(),
        "duration_played_ms": listen.duration_played_ms,
        "completed": listen.completed,
        "context_type": listen.context_type,
        "context_id": listen.context_id,
        "device": listen.device,
        "country": country,
        "received_at": listen.received_at.astimezone(UTC).isoformat(),
    }


def _now_playing_key(user_id: str) -> str:
    return f"now-playing:{user_id}"
