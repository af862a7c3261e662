"""Wrapped from real listening: events through the log into the lake, the batch job, the API."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from encore.adapters.sql.tables import users
from encore.bootstrap import Services
from encore.history.model import EventType, PlayerEvent
from encore.wrapped.schemas import WrappedRead
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import Listener


def play(
    n: int, track_id: str, at: datetime, minutes: int, kind: EventType = EventType.PLAY_ENDED
) -> PlayerEvent:
    return PlayerEvent(f"w{n}", kind, track_id, at, minutes * 60_000, kind is EventType.PLAY_ENDED)


def test_wrapped_sums_up_the_year(
    client: TestClient, services: Services, listener: Listener
) -> None:
    with services.engine.begin() as connection:
        connection.execute(
            update(users)
            .where(users.c.id == listener.id)
            .values(created_at=datetime(2024, 1, 1, tzinfo=UTC))
        )
    old_favourites = add_tracks(services, 2, genre="jazz")  # heard since 2025
    new_genres = ("techno", "house", "ambient")
    # Three artists first heard in 2026, a track each.
    new_band = [add_tracks(services, 1, genre=genre)[0] for genre in new_genres]
    events = [play(0, old_favourites[0], datetime(2025, 6, 1, 12, tzinfo=UTC), 3)]
    n = 1
    for month in range(1, 4):  # January to March, at 23:00 UTC: a night owl
        at = datetime(2026, month, 10, 23, tzinfo=UTC)
        for track in new_band:
            events.append(play(n, track, at + timedelta(minutes=n), 3))
            n += 1
    events.append(play(n, old_favourites[0], datetime(2026, 5, 1, 9, tzinfo=UTC), 3))
    events.append(
        play(n + 1, old_favourites[1], datetime(2026, 5, 1, 9, 5, tzinfo=UTC), 1, EventType.SKIPPED)
    )
    statuses = services.listening.record(user_id=listener.id, events=events)
    assert {s.status.value for s in statuses} == {"accepted"}
    # The same batch again (a player's retry) must not count twice.
    services.listening.record(user_id=listener.id, events=events)
    url = "/api/v1/me/wrapped?year=2026"
    missing = client.get(url, headers=listener.auth)
    assert missing.status_code == 404 and "not ready" in missing.json()["detail"]
    services.pipeline.catch_up()
    assert services.wrapped.compute(year=2026) == 1
    answer = client.get(url, headers=listener.auth)
    assert answer.status_code == 200
    body = WrappedRead.model_validate(answer.json())
    assert body.year == 2026
    assert body.plays == 11 and body.minutes_listened == 9 * 3 + 3 + 1
    assert [t.plays for t in body.top_tracks] == [3, 3, 3, 1, 1]
    new_artists = {f"Artist {genre}" for genre in new_genres}
    assert {a.name for a in body.top_artists[:3]} == new_artists
    assert [(a.name, a.minutes) for a in body.top_artists[3:]] == [("Artist jazz", 4)]
    assert [g.minutes for g in body.top_genres] == [9, 9, 9, 4]
    assert body.top_genres[3].name == "jazz"
    assert body.distinct_artists == 4
    assert {a.name for a in body.top_discoveries} == new_artists
    # Plays are stamped when they end; each began its minutes earlier.
    assert body.minutes_by_hour[22] + body.minutes_by_hour[23] == 27
    assert body.minutes_by_month[:5] == [9, 9, 9, 0, 4]
    assert body.personality.name == "Night Owl"
    assert body.personality.signals["night"] > 0.8
    last_year = client.get("/api/v1/me/wrapped?year=2025", headers=listener.auth)
    assert last_year.status_code == 404
    assert client.get("/api/v1/me/wrapped?year=1999", headers=listener.auth).status_code == 422
    assert client.get("/api/v1/me/wrapped", headers=listener.auth).status_code == 422
