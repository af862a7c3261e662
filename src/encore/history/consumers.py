"""The listening log's consumers: history with play statistics, and the lake.

Each records its offset together with its effects: the history consumer in the same SQL
transaction, the lake after its files (which a repeat overwrites), so a crash at any point
neither loses an event nor counts one twice.
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from encore.events import Event
from encore.history.model import Play, counts_as_play
from encore.history.ports import HistoryUnitOfWork, Lake
from encore.history.service import TOPIC, listen_of
from encore.unit_of_work import UnitOfWorkFactory

# How often the consumer decays every track's popularity, besides those it just counted.
POPULARITY_REFRESH = timedelta(hours=1)


class HistoryConsumer:
    """Listens into the history store; new ones into play counts, popularity and the plays per
    country and day. A listen already stored (a replayed batch) counts nowhere again."""

    name = "history"
    topic = TOPIC

    def __init__(
        self,
        uow: UnitOfWorkFactory[HistoryUnitOfWork],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._position: int | None = None
        self._refreshed_at: datetime | None = None

    def position(self) -> int:
        if self._position is None:
            with self._uow(readonly=True) as uow:
                self._position = uow.offsets.get(self.name, self.topic)
        return self._position

    def handle(self, events: Sequence[Event]) -> None:
        countries: dict[str, str] = {}
        listens = []
        # The events of one request share the time they were received: read it once.
        instants: dict[str, datetime] = {}

        def received(text: str) -> datetime:
            found = instants.get(text)
            if found is None:
                found = instants[text] = datetime.fromisoformat(text)
            return found

        for event in events:
            listen = listen_of(event.payload, received=received)
            if listen is not None:
                listens.append(listen)
                countries[listen.event_id] = event.payload["country"]
        last = events[-1].offset
        with self._uow() as uow:
            new = uow.history.add_new(listens)
            plays = [
                Play(listen.track_id, countries[listen.event_id], listen.listened_at)
                for listen in new
                if counts_as_play(listen)
            ]
            now = self._clock()
            uow.stats.count(plays, now)
            if self._refreshed_at is None or now - self._refreshed_at >= POPULARITY_REFRESH:
                uow.stats.refresh_popularity(now)
                self._refreshed_at = now
            uow.offsets.put(self.name, self.topic, last)
            uow.commit()
        self._position = last


class LakeConsumer:
    """Every event into the lake, as it was logged, with its offset."""

    name = "lake"
    topic = TOPIC

    def __init__(self, lake: Lake) -> None:
        self._lake = lake

    def position(self) -> int:
        return self._lake.position()

    def handle(self, events: Sequence[Event]) -> None:
        rows = [{**event.payload, "offset": event.offset} for event in events]
        self._lake.append(rows, through=events[-1].offset)
