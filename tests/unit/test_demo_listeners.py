"""The demo's listening history: tastes show in what people play, skip and repeat."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from encore.demo import listeners
from encore.demo.listeners import Library, Listener, PoolTrack, history, taste_of
from encore.history.model import Listen

END = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
GENRES = ("Rock", "Jazz", "Folk", "Techno", "Soul")


def _library() -> Library:
    tracks = []
    for artist in range(40):
        genre = GENRES[artist % len(GENRES)]
        for album in range(2):
            for number in range(1, 9):
                tracks.append(
                    PoolTrack(
                        track_id=f"t{artist}-{album}-{number}",
                        artist_id=f"artist{artist}",
                        album_id=f"album{artist}-{album}",
                        genre=genre,
                        duration_ms=180_000 + number * 1_000,
                        popularity=max(0, 90 - 2 * artist - number),
                        track_number=number,
                        # One track per album may not be played in Germany.
                        countries=frozenset({"US"}) if number == 3 else None,
                    )
                )
    return Library(tracks)


LIBRARY = _library()


def _history(
    key: str, country: str = "DE", **hints: object
) -> tuple[listeners.Taste, list[Listen]]:
    listener = Listener(key=key, user_id=f"user-{key}", country=country)
    taste = taste_of(listener, LIBRARY, seed=7, **hints)  # type: ignore[arg-type]
    return taste, list(history(listener, taste, LIBRARY, end=END, weeks=6, seed=7))


def test_the_same_listener_gets_the_same_history() -> None:
    assert _history("a") == _history("a")
    assert _history("a")[1] != _history("b")[1]


def test_history_is_ordered_spread_over_the_weeks_and_idempotent_by_event_id() -> None:
    _, listens = _history("keen", keen=True)
    times = [listen.listened_at for listen in listens]
    assert times == sorted(times)
    assert all(END - timedelta(weeks=6, days=1) <= time < END for time in times)
    assert max(times) - min(times) > timedelta(weeks=5)
    assert len({listen.event_id for listen in listens}) == len(listens)
    # Plays do not overlap: each starts after the one before has been played.
    for before, after in pairwise(listens):
        assert after.listened_at >= before.listened_at + timedelta(
            milliseconds=before.duration_played_ms
        )
    assert all(listen.received_at >= listen.listened_at for listen in listens)


def test_favourites_are_played_far_beyond_their_share() -> None:
    taste, listens = _history("fan", genres=["Jazz"], favourites=["artist9"])
    assert taste.genres == ("Jazz",)
    assert "artist9" in taste.artists
    favourite = {t for t, track in LIBRARY.tracks.items() if track.artist_id in taste.artists}
    share = sum(listen.track_id in favourite for listen in listens) / len(listens)
    assert share > 3 * len(favourite) / len(LIBRARY.tracks)
    by_artist = Counter(LIBRARY.tracks[listen.track_id].artist_id for listen in listens)
    assert by_artist.most_common(1)[0][0] in taste.artists


def test_skips_repeats_and_completions() -> None:
    taste, listens = _history("skipper", keen=True)
    skipped = [listen for listen in listens if listen.skipped]
    completed = [listen for listen in listens if listen.completed]
    assert skipped and completed
    assert all(not listen.completed and listen.duration_played_ms <= 40_000 for listen in skipped)
    assert all(
        listen.duration_played_ms == LIBRARY.tracks[listen.track_id].duration_ms
        for listen in completed
    )
    plays = Counter(listen.track_id for listen in listens)
    assert plays.most_common(1)[0][1] >= 5

    def skip_rate(favourite: bool) -> float:
        chosen = [
            listen
            for listen in listens
            if (LIBRARY.tracks[listen.track_id].artist_id in taste.artists) is favourite
        ]
        return sum(listen.skipped for listen in chosen) / len(chosen)

    assert skip_rate(favourite=False) > 2 * skip_rate(favourite=True)


def test_listeners_play_at_their_local_hours() -> None:
    # Sessions centre on the listener's habits, in their own time zone (Japan: UTC+9).
    _, listens = _history("tokyo", country="JP", keen=True)
    local_hours = Counter((listen.listened_at + timedelta(hours=9)).hour for listen in listens)
    night = sum(local_hours[hour] for hour in range(2, 6))
    assert night < 0.1 * len(listens)


def test_nobody_plays_what_is_not_licensed_where_they_live() -> None:
    for key in ("x", "y", "z"):
        _, listens = _history(key, country="DE")
        assert all(LIBRARY.tracks[listen.track_id].countries is None for listen in listens)


def test_sessions_carry_their_context() -> None:
    _, listens = _history("contexts", keen=True)
    kinds = {listen.context_type for listen in listens}
    assert {"album", "collection", "radio"} <= kinds
    albums = [listen for listen in listens if listen.context_type == "album"]
    assert all(LIBRARY.tracks[listen.track_id].album_id == listen.context_id for listen in albums)


def test_a_library_needs_tracks() -> None:
    with pytest.raises(ValueError, match="tracks"):
        Library([])
