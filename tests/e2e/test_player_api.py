"""Listening events, now playing and recently played over HTTP, through the log's consumers."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from encore.adapters.sql.tables import track_stats, tracks, users
from encore.bootstrap import Services
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import Listener

EVENTS = "/api/v1/me/player/events"


def ended(event_id: str, track_id: str, at: datetime, played_ms: int = 200_000) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "play_ended",
        "track_id": track_id,
        "timestamp": at.isoformat(),
        "duration_played_ms": played_ms,
        "completed": played_ms >= 200_000,
        "context": {"type": "album", "id": "x1"},
        "device": "phone",
    }


def plays(services: Services, track_id: str) -> int:
    with services.engine.connect() as connection:
        found = connection.execute(
            select(track_stats.c.plays).where(track_stats.c.track_id == track_id)
        ).scalar()
    return int(found or 0)


def test_each_event_gets_a_status_and_bad_ones_do_not_stop_the_rest(
    client: TestClient, services: Services, listener: Listener
) -> None:
    (track,) = add_tracks(services, 1)
    now = datetime.now(UTC)
    batch = [
        ended("ok", track, now),
        ended("unknown", "n" * 22, now),
        ended("future", track, now + timedelta(hours=2)),
        ended("ancient", track, now - timedelta(days=400)),
        ended("negative", track, now, played_ms=-5),
        ended("ok", track, now),  # the same id again in the batch
        ended("long", track, now, played_ms=900_000),
        {"id": "started", "type": "play_started", "track_id": track, "timestamp": now.isoformat()},
        {"id": "no-duration", "type": "skipped", "track_id": track, "timestamp": now.isoformat()},
        {"id": "naive", "type": "play_ended", "track_id": track, "timestamp": "2026-01-01T10:00"},
        {"id": "odd", "type": "paused", "track_id": track, "timestamp": now.isoformat()},
        "not an object",
    ]
    answer = client.post(EVENTS, json={"events": batch}, headers=listener.auth)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    got = [(e["id"], e["status"], (e["reason"] or "").split(":")[0]) for e in body["events"]]
    assert got == [
        ("ok", "accepted", ""),
        ("unknown", "rejected", "unknown-track"),
        ("future", "rejected", "timestamp-in-the-future"),
        ("ancient", "rejected", "before-the-account-existed"),
        ("negative", "rejected", "negative-duration"),
        ("ok", "duplicate", "repeated-id"),
        ("long", "clamped", "duration-beyond-track"),
        ("started", "accepted", ""),
        ("no-duration", "rejected", "missing-duration"),
        ("naive", "rejected", "malformed"),
        ("odd", "rejected", "malformed"),
        (None, "rejected", "malformed"),
    ]
    assert (body["accepted"], body["rejected"]) == (3, 9)
    services.pipeline.catch_up()
    assert plays(services, track) == 2  # `ok` and the clamped `long`; a start is no play
    recent = client.get("/api/v1/me/player/recently-played", headers=listener.auth).json()
    assert sorted(i["duration_played_ms"] for i in recent["items"]) == [200_000, 200_000]


def test_a_batch_over_the_limit_is_refused_saying_the_limit(
    client: TestClient, services: Services, listener: Listener
) -> None:
    (track,) = add_tracks(services, 1)
    now = datetime.now(UTC)
    batch = [ended(f"e{n}", track, now) for n in range(10_000)]
    answer = client.post(EVENTS, json={"events": batch}, headers=listener.auth)
    assert answer.status_code == 413
    problem = answer.json()
    assert problem["type"] == "/problems/batch-too-large"
    assert "at most 1000 events" in problem["detail"]
    assert problem["limit"] == 1000 and problem["received"] == 10_000
    assert (
        client.post(EVENTS, json={"events": batch[:1000]}, headers=listener.auth).status_code == 202
    )


def joined_days_ago(services: Services, listener: Listener, days: int) -> None:
    with services.engine.begin() as connection:
        connection.execute(
            update(users)
            .where(users.c.id == listener.id)
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )


def test_a_repeated_offline_batch_lands_once_at_its_real_times(
    client: TestClient, services: Services, listener: Listener
) -> None:
    first, second = add_tracks(services, 2)
    joined_days_ago(services, listener, 1)
    # Played offline this morning, synced now.
    morning = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    batch = [
        ended("a1", first, morning),
        ended("a2", second, morning + timedelta(minutes=4), played_ms=40_000),
    ]
    for _ in range(3):
        answer = client.post(EVENTS, json={"events": batch}, headers=listener.auth)
        assert answer.json()["accepted"] == 2
    services.pipeline.catch_up()
    recent = client.get("/api/v1/me/player/recently-played", headers=listener.auth).json()
    played = [(i["track"]["id"], datetime.fromisoformat(i["played_at"])) for i in recent["items"]]
    assert played == [
        (second, morning + timedelta(minutes=4) - timedelta(milliseconds=40_000)),
        (first, morning - timedelta(milliseconds=200_000)),
    ]
    assert recent["items"][0]["context"] == {"type": "album", "id": "x1"}
    assert (plays(services, first), plays(services, second)) == (1, 1)
    older = client.get(
        f"/api/v1/me/player/recently-played?limit=1&before={recent['cursors']['before']}",
        headers=listener.auth,
    ).json()
    assert older["items"] == []
    one = client.get("/api/v1/me/player/recently-played?limit=1", headers=listener.auth).json()
    assert [i["track"]["id"] for i in one["items"]] == [second]
    # The lake holds each event once, whatever the log holds.
    with services.lake.connect() as lake:
        assert lake.execute("SELECT count(*) FROM listens").fetchone() == (2,)
        assert lake.execute("SELECT count(*) FROM raw_listens").fetchone() == (6,)


def test_plays_raise_popularity_and_the_countrys_top_tracks(
    client: TestClient, services: Services, listener: Listener
) -> None:
    hit, other = add_tracks(services, 2)
    joined_days_ago(services, listener, 1)
    now = datetime.now(UTC)
    batch = [ended(f"h{n}", hit, now - timedelta(minutes=n)) for n in range(5)]
    batch.append(ended("o", other, now))
    client.post(EVENTS, json={"events": batch}, headers=listener.auth)
    services.pipeline.catch_up()
    with services.engine.connect() as connection:
        popularity = dict(connection.execute(select(tracks.c.id, tracks.c.popularity)).all())
    assert popularity[hit] > popularity[other] > 0
    with services.uow(readonly=True) as uow:
        assert uow.stats.top_tracks(
            countries={"SE"}, since=(now - timedelta(days=7)).date(), limit=5
        ) == [hit, other]
        assert uow.stats.top_tracks(countries={"BR"}, since=now.date(), limit=5) == []


def test_now_playing_is_kept_for_an_hour(
    client: TestClient, services: Services, listener: Listener
) -> None:
    (track,) = add_tracks(services, 1)
    url = "/api/v1/me/player/now-playing"
    assert client.get(url, headers=listener.auth).status_code == 204
    put = client.put(
        url,
        json={"track_id": track, "progress_ms": 1234, "context": {"type": "radio"}},
        headers=listener.auth,
    )
    assert put.status_code == 204
    playing = client.get(url, headers=listener.auth).json()
    assert (playing["track_id"], playing["progress_ms"]) == (track, 1234)
    assert playing["context"] == {"type": "radio", "id": None}
    assert client.put(url, json={"track_id": "y" * 22}, headers=listener.auth).status_code == 404
    assert (
        client.put(
            url, json={"track_id": track, "progress_ms": -1}, headers=listener.auth
        ).status_code
        == 422
    )


def test_unusual_bodies_fall_through_to_the_route_which_explains_them(
    client: TestClient, services: Services, listener: Listener
) -> None:
    (track,) = add_tracks(services, 1)
    event = ended("x", track, datetime.now(UTC))
    headers = {**listener.auth, "Content-Type": "application/json"}
    cases = [
        (b'{"events": [', 400, "/problems/malformed-body"),
        (b'{"events": []}', 422, "/problems/validation"),
        (b'{"events": "none"}', 422, "/problems/validation"),
        (b"[]", 422, "/problems/validation"),
    ]
    for body, status, kind in cases:
        answer = client.post(EVENTS, content=body, headers=headers)
        assert (answer.status_code, answer.json()["type"]) == (status, kind), body
    extra = client.post(EVENTS, json={"events": [event], "more": 1}, headers=listener.auth)
    assert extra.status_code == 422
    unsigned = client.post(EVENTS, json={"events": [event]})
    assert unsigned.status_code == 401
    fine = client.post(EVENTS, json={"events": [event]}, headers=listener.auth)
    assert fine.status_code == 202 and fine.json()["events"] == [
        {"id": "x", "status": "accepted", "reason": None}
    ]
