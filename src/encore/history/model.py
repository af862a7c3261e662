"""Listens, the player events they come from, and how plays become popularity."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Listen:
    # The client's own id for the event, so that a batch sent twice is stored once.
    event_id: str
    user_id: str
    track_id: str
    listened_at: datetime  # when the play began
    duration_played_ms: int
    completed: bool
    received_at: datetime  # when Encore heard of it (later than the play, for offline plays)
    # Left early on purpose (the listener moved on), as opposed to stopped by the session ending.
    skipped: bool = False
    # Where the play started from, in the Web API's terms: ('album', id), ('playlist', id), ...
    context_type: str | None = None
    context_id: str | None = None
    device: str | None = None


class EventType(StrEnum):
    PLAY_STARTED = "play_started"
    PLAY_PROGRESS = "play_progress"
    PLAY_ENDED = "play_ended"
    SKIPPED = "skipped"


# The events that close a play, and so make a listen.
CLOSING = frozenset({EventType.PLAY_ENDED, EventType.SKIPPED})


@dataclass(frozen=True, slots=True)
class PlayerEvent:
    """One event as a player reported it: the id and the timestamp are the client's."""

    client_id: str
    type: EventType
    track_id: str
    timestamp: datetime
    duration_played_ms: int | None = None
    completed: bool | None = None
    context_type: str | None = None
    context_id: str | None = None
    device: str | None = None


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    CLAMPED = "clamped"  # accepted with a value brought into range
    REJECTED = "rejected"
    DUPLICATE = "duplicate"  # the id came earlier in the same batch; that one counts


@dataclass(frozen=True, slots=True)
class EventStatus:
    id: str | None  # None for an event too malformed to have one
    status: Verdict
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Play:
    """A listen as the statistics count it: a play of 30 s or more, or one played to its end."""

    track_id: str
    country: str
    listened_at: datetime


QUALIFYING_MS = 30_000
HALF_LIFE = timedelta(days=14)
# The decayed score that rates 100; popularity grows with the score's logarithm below it.
FULL_SCORE = 20_000.0


def counts_as_play(listen: Listen) -> bool:
    return listen.completed or listen.duration_played_ms >= QUALIFYING_MS


def decay(score: float, since: datetime, now: datetime) -> float:
    """A score made at `since`, as it stands at `now`: halved every `HALF_LIFE`."""
    elapsed = max(0.0, (now - since).total_seconds())
    return float(score * 0.5 ** (elapsed / HALF_LIFE.total_seconds()))


def play_weight(listened_at: datetime, now: datetime) -> float:
    """What one play adds to a score measured at `now` (an old offline play adds less)."""
    return decay(1.0, listened_at, now) if listened_at < now else 1.0


def popularity(score: float) -> int:
    """0-100 from a decayed score, logarithmic, so that niche tracks still rank among
    themselves."""
    if score <= 0:
        return 0
    return min(100, round(100 * math.log1p(score) / math.log1p(FULL_SCORE)))
