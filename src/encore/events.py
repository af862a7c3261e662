"""The `EventLog` port: an append-only log of what happened, read by consumers in order.

Embedded default: a SQLite file of its own (`encore.adapters.events.sqlite_log`), so that a burst
of events never waits on the catalog's write lock. At scale: NATS JetStream.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

Payload = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Event:
    offset: int  # position in the log, increasing; consumers remember the last one they read
    topic: str
    payload: Payload
    published_at: datetime


class EventLog(Protocol):
    def publish(self, topic: str, payload: Payload) -> None:
        """Append an event without waiting for it to be durable (it is within `flush_interval`,
        a fraction of a second): for the hot path, where losing the last instant of analytics
        events in a crash is acceptable."""
        ...

    def publish_durably(self, topic: str, payloads: Sequence[Payload]) -> None:
        """Append events and return once they are durable, all or none."""
        ...

    def read(self, topic: str, *, after: int = 0, limit: int = 1000) -> Sequence[Event]:
        """Events of `topic` with offsets above `after`, oldest first."""
        ...

    def last_offset(self, topic: str) -> int:
        """The offset of the newest event of `topic` (0 when there is none)."""
        ...

    def flush(self) -> None:
        """Make every event published so far durable."""
        ...

    def close(self) -> None: ...


class Consumer(Protocol):
    """Reads one topic in order and applies what it reads, keeping its own offset.

    `handle` must record the last event's offset together with the events' effects (in the same
    transaction, or after an idempotent write), so that a crash between the two neither loses
    nor repeats an effect.
    """

    name: str
    topic: str

    def position(self) -> int:
        """The offset of the last event applied (0 before the first)."""
        ...

    def handle(self, events: Sequence[Event]) -> None: ...
