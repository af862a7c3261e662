"""Who is playing now: the roster behind Subsonic's getNowPlaying."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from encore.adapters.cache.memory import MemoryCache
from encore.history.service import NOW_PLAYING_TTL_S, ListeningService

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _service(clock: _Clock) -> ListeningService:
    stats = SimpleNamespace(durations=lambda ids: dict.fromkeys(ids, 180_000))

    @contextmanager
    def uow(readonly: bool = False) -> Iterator[Any]:
        yield SimpleNamespace(stats=stats)

    cache = MemoryCache(max_entries=1_000, clock=lambda: (clock.now - START).total_seconds())
    return ListeningService(
        uow=uow,  # type: ignore[arg-type]
        events=None,  # type: ignore[arg-type]
        cache=cache,
        track_details=lambda ids: {},
        clock=clock,
    )


def test_listeners_show_latest_first_and_leave_when_their_play_is_an_hour_old() -> None:
    clock = _Clock()
    listening = _service(clock)
    listening.set_now_playing(user_id="ada", track_id="t1")
    clock.now += timedelta(minutes=30)
    listening.set_now_playing(user_id="bob", track_id="t2")
    clock.now += timedelta(minutes=1)
    listening.set_now_playing(user_id="cyd", track_id="t3")
    shown = [(user, playing.track_id) for user, playing in listening.playing_now()]
    assert shown == [("cyd", "t3"), ("bob", "t2"), ("ada", "t1")]
    assert [user for user, _ in listening.playing_now(limit=2)] == ["cyd", "bob"]
    # Ada's play is over an hour old: she is no longer playing; Bob's next track moves him up.
    clock.now = START + timedelta(seconds=NOW_PLAYING_TTL_S + 1)
    listening.set_now_playing(user_id="bob", track_id="t4")
    shown = [(user, playing.track_id) for user, playing in listening.playing_now()]
    assert shown == [("bob", "t4"), ("cyd", "t3")]
