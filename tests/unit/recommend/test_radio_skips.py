"""A skip reported while the station is picking its next tracks is not lost when it saves."""

from collections.abc import Sequence
from datetime import datetime

from encore.adapters.cache.memory import MemoryCache
from encore.recommend.model_store import ServingModel
from encore.recommend.radio import RadioService, SeedType

# Popular tracks by artist: "a1" and "a2" by artist A, "b1", "b2" by B, "c1", "c2" by C.
POPULAR = ["a1", "b1", "c1", "a2", "b2", "c2"]


class Listeners:
    def locate(self, user_id: str) -> tuple[str, str | None] | None:
        return ("SE", None)

    def spared(self, user_id: str, *, since: datetime) -> set[str]:
        return set()

    def popular_tracks(self, country: str, *, now: datetime, limit: int) -> list[str]:
        return POPULAR[:limit]

    def new_releases(
        self, *, since: datetime, until: datetime, limit: int, country: str
    ) -> list[str]:
        return []

    def playable(self, track_ids: Sequence[str], *, country: str | None) -> set[str]:
        return set(track_ids)

    def facets(self, track_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        return {t: (t[0].upper(), 0) for t in track_ids if t in POPULAR or t == "seed"}

    def seed_tracks(self, kind: str, seed_id: str, *, user_id: str) -> list[str] | None:
        return ["seed"]


def test_a_skip_made_while_next_runs_survives_next_saving_the_station() -> None:
    radio: RadioService
    station_id = ""
    skip_during_next = True

    def models() -> ServingModel | None:
        # Called by `next` between reading the station and saving it: the moment a skip sent
        # by the player at once (it asks for more as it skips) lands.
        nonlocal skip_during_next
        if skip_during_next:
            skip_during_next = False
            assert radio.skipped(user_id="u", station_id=station_id, track_id="a1")
        return None

    radio = RadioService(models=models, listeners=Listeners(), cache=MemoryCache(max_entries=100))
    station_id = radio.start(user_id="u", seed_type=SeedType.TRACK, seed_id="seed").id

    first = radio.next(user_id="u", station_id=station_id, limit=2)
    # That batch was picked before the skip was known ...
    assert first.track_ids == ("a1", "b1")
    # ... but the skip was kept: artist A is left out from then on.
    later = radio.next(user_id="u", station_id=station_id, limit=4)
    assert later.track_ids == ("c1", "b2", "c2")


def test_skips_of_another_listener_or_an_unknown_station_are_refused() -> None:
    radio = RadioService(
        models=lambda: None, listeners=Listeners(), cache=MemoryCache(max_entries=100)
    )
    station = radio.start(user_id="u", seed_type=SeedType.TRACK, seed_id="seed")
    assert not radio.skipped(user_id="stranger", station_id=station.id, track_id="a1")
    assert not radio.skipped(user_id="u", station_id="0" * 22, track_id="a1")
    assert radio.next(user_id="u", station_id=station.id, limit=6).track_ids == tuple(POPULAR)
