"""A listener's export and the deletion of their account, over HTTP: the archive's contents, the
password check, tokens that stop at once, collaborative playlists that go on for the others, and
a deleted listener gone from the lake, the event log, Wrapped and the next model."""

import csv
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from encore.adapters.compute.local import LocalRunner
from encore.adapters.sql.tables import deleted_users, listening_history, playlists, users
from encore.bootstrap import Services
from encore.history.service import event_id
from encore.recommend.domain import PlaylistKind
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import PASSWORD, Listener

EVENTS = "/api/v1/me/player/events"


def play(client: TestClient, listener: Listener, tracks: Sequence[str], tag: str = "") -> None:
    start = datetime.now(UTC)
    events = [
        {
            "id": f"{listener.id}-{tag}{n}",
            "type": "play_ended",
            "track_id": track,
            "timestamp": (start + timedelta(seconds=n)).isoformat(),
            "duration_played_ms": 200_000,
            "completed": True,
        }
        for n, track in enumerate(tracks)
    ]
    answer = client.post(EVENTS, json={"events": events}, headers=listener.auth)
    assert answer.status_code == 202, answer.text
    assert all(e["status"] == "accepted" for e in answer.json()["events"]), answer.text


def delete_account(client: TestClient, listener: Listener, password: str = PASSWORD) -> Any:
    return client.request(
        "DELETE", "/api/v1/me", json={"password": password}, headers=listener.auth
    )


def export(client: TestClient, listener: Listener) -> zipfile.ZipFile:
    answer = client.get("/api/v1/me/export", headers=listener.auth)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"].startswith('attachment; filename="encore-export-')
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    return archive


def rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def test_the_export_holds_everything_about_the_listener(
    client: TestClient, services: Services, make_listener: Callable[[str], Listener]
) -> None:
    ada, bob = make_listener("ada@example.com"), make_listener("bob@example.com")
    tracks = add_tracks(services, 4)
    mine = client.post(
        "/api/v1/playlists",
        json={"name": "Road trip", "collaborative": True, "public": False},
        headers=ada.auth,
    ).json()["id"]
    client.post(
        f"/api/v1/playlists/{mine}/tracks", json={"track_ids": tracks[:2]}, headers=ada.auth
    )
    theirs = client.post(
        "/api/v1/playlists",
        json={"name": "Bob's", "collaborative": True, "public": False},
        headers=bob.auth,
    ).json()["id"]
    client.put(f"/api/v1/playlists/{theirs}/collaborators/{ada.id}", headers=bob.auth)
    client.post(
        f"/api/v1/playlists/{theirs}/tracks", json={"track_ids": [tracks[3]]}, headers=ada.auth
    )
    assert (
        client.put(f"/api/v1/me/tracks?ids={','.join(tracks[:3])}", headers=ada.auth).status_code
        == 204
    )
    made = client.post("/api/v1/me/subsonic-credentials", headers=ada.auth).json()
    changed = client.put(
        "/api/v1/me/plan", json={"plan": "premium"}, headers={**ada.auth, "Idempotency-Key": "k1"}
    )
    assert changed.status_code == 200, changed.text
    play(client, ada, tracks * 3)
    play(client, bob, tracks[:1])
    services.pipeline.catch_up()
    client.put("/api/v1/me/player/now-playing", json={"track_id": tracks[0]}, headers=ada.auth)

    archive = export(client, ada)
    names = set(archive.namelist())
    for expected in (
        "README.txt",
        "profile.json",
        "now_playing.json",
        "history.csv",
        "history.json",
        "playlists.json",
        "playlists.csv",
        "playlist_tracks.csv",
        "likes.json",
        "likes.csv",
        "plan_history.json",
        "subsonic_credentials.json",
        "follows.csv",
        "ratings.csv",
        "starred_albums.json",
        "recommendations.json",
        "sessions.json",
    ):
        assert expected in names, expected
    profile = json.loads(archive.read("profile.json"))
    assert profile["email"] == "ada@example.com" and profile["plan"] == "premium"
    assert "password_hash" not in profile
    history = rows(archive, "history.csv")
    assert len(history) == 12 and len(json.loads(archive.read("history.json"))) == 12
    assert {row["track"] for row in history} == {"Song 0", "Song 1", "Song 2", "Song 3"}
    bobs = {event_id(bob.id, f"{bob.id}-0")}
    assert bobs.isdisjoint(row["event_id"] for row in history)  # none of Bob's
    owned = {p["id"]: p for p in json.loads(archive.read("playlists.json"))}
    assert owned[mine]["role"] == "owner" and owned[theirs]["role"] == "collaborator"
    assert [t["track_id"] for t in owned[mine]["tracks"]] == tracks[:2]
    assert owned[theirs]["tracks"][0]["added_by_name"] == "you"
    assert len(rows(archive, "playlist_tracks.csv")) == 3
    assert {row["track_id"] for row in rows(archive, "likes.csv")} == set(tracks[:3])
    (change,) = json.loads(archive.read("plan_history.json"))
    assert (change["from_plan"], change["to_plan"]) == ("free", "premium")
    (credential,) = json.loads(archive.read("subsonic_credentials.json"))
    assert credential["username"] == "ada@example.com"
    everything = b"".join(archive.read(name) for name in names)
    assert (
        made["password"].encode() not in everything and made["api_key"].encode() not in everything
    )
    assert json.loads(archive.read("now_playing.json"))["track_id"] == tracks[0]
    assert len(json.loads(archive.read("sessions.json"))) == 1
    assert "history.json/.csv" in archive.read("README.txt").decode()


def test_the_export_needs_a_token(client: TestClient) -> None:
    answer = client.get("/api/v1/me/export")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_deleting_needs_the_password_and_a_wrong_one_loses_nothing(
    client: TestClient, listener: Listener
) -> None:
    wrong = delete_account(client, listener, "not my password")
    assert wrong.status_code == 403, wrong.text
    assert wrong.headers["content-type"].startswith("application/problem+json")
    missing = client.request("DELETE", "/api/v1/me", json={}, headers=listener.auth)
    assert missing.status_code == 422
    unsigned = client.request("DELETE", "/api/v1/me", json={"password": PASSWORD})
    assert unsigned.status_code == 401
    assert client.get("/api/v1/me", headers=listener.auth).status_code == 200


def test_a_deleted_account_is_gone_at_once(
    client: TestClient, services: Services, listener: Listener
) -> None:
    tracks = add_tracks(services, 2)
    play(client, listener, tracks)
    services.pipeline.catch_up()
    client.post("/api/v1/me/subsonic-credentials", headers=listener.auth)
    answer = delete_account(client, listener)
    assert answer.status_code == 204, answer.text
    # The old access token, the refresh token and the password all stop working.
    assert client.get("/api/v1/me", headers=listener.auth).status_code == 401
    assert client.get("/api/v1/me/export", headers=listener.auth).status_code == 401
    again = delete_account(client, listener)
    assert again.status_code == 401
    refreshed = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": listener.refresh_token},
    )
    assert refreshed.status_code == 401
    signed_in = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": listener.email, "password": PASSWORD},
    )
    assert signed_in.status_code == 401
    subsonic = client.get("/rest/ping", params={"u": listener.email, "p": "x", "f": "json"})
    assert subsonic.json()["subsonic-response"]["status"] == "failed"
    with services.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(users)).scalar() == 0
        assert connection.execute(select(func.count()).select_from(listening_history)).scalar() == 0
        assert connection.execute(select(deleted_users.c.user_id)).scalars().all() == [listener.id]
    # Deleting the same account twice, as the server sees it: no such account.
    from encore.errors import NotFound

    with pytest.raises(NotFound):
        services.account_data.erase(listener.id)


def test_a_collaborative_playlist_goes_on_for_the_others(
    client: TestClient, services: Services, make_listener: Callable[[str], Listener]
) -> None:
    owner, bob, cleo = (make_listener(f"{n}@example.com") for n in ("owner", "bob", "cleo"))
    tracks = add_tracks(services, 6)
    created = client.post(
        "/api/v1/playlists",
        json={"name": "Shared", "collaborative": True, "public": False},
        headers=owner.auth,
    )
    playlist = created.json()["id"]
    url = f"/api/v1/playlists/{playlist}"
    for friend in (bob, cleo):
        assert client.put(f"{url}/collaborators/{friend.id}", headers=owner.auth).status_code == 204
    client.post(f"{url}/tracks", json={"track_ids": tracks[:2]}, headers=owner.auth)
    added = client.post(f"{url}/tracks", json={"track_ids": [tracks[2]]}, headers=bob.auth)
    snapshot = added.json()["snapshot_id"]
    # The owner also added a track to someone else's playlist, and had one of their own.
    bobs = client.post("/api/v1/playlists", json={"name": "Bob's"}, headers=bob.auth).json()["id"]
    client.put(f"/api/v1/playlists/{bobs}/collaborators/{owner.id}", headers=bob.auth)
    solo = client.post("/api/v1/playlists", json={"name": "Mine"}, headers=owner.auth).json()["id"]

    assert delete_account(client, owner).status_code == 204

    # Bob, invited first, owns it now; the snapshot he holds still applies.
    kept = client.get(url, headers=bob.auth).json()
    assert kept["owner"] == {"id": bob.id}
    assert [c["id"] for c in kept["collaborators"]] == [cleo.id]
    assert kept["snapshot_id"] == snapshot
    assert [i["added_by"] for i in kept["tracks"]["items"]] == [
        {"id": None},
        {"id": None},
        {"id": bob.id},
    ]
    more = client.post(
        f"{url}/tracks",
        json={"track_ids": [tracks[3]]},
        headers={**bob.auth, "If-Match": f'"{snapshot}"'},
    )
    assert more.status_code == 201, more.text
    stale = client.put(
        f"{url}/tracks",
        json={"range_start": 0, "insert_before": 3},
        headers={**cleo.auth, "If-Match": f'"{snapshot}"'},
    )
    assert stale.status_code == 412  # the usual rules, with the new owner
    cleo_adds = client.post(f"{url}/tracks", json={"track_ids": [tracks[4]]}, headers=cleo.auth)
    assert cleo_adds.status_code == 201
    renamed = client.patch(url, json={"name": "Ours"}, headers=bob.auth)
    assert renamed.status_code == 200, renamed.text
    assert client.get(url, headers=bob.auth).json()["tracks"]["total"] == 5
    # The deleted listener's own playlist went with them; their collaboration on Bob's too.
    assert client.get(f"/api/v1/playlists/{solo}", headers=bob.auth).status_code == 404
    assert client.get(f"/api/v1/playlists/{bobs}", headers=bob.auth).json()["collaborators"] == []


def test_a_public_playlist_others_follow_stays_without_its_owner(
    client: TestClient, services: Services, make_listener: Callable[[str], Listener]
) -> None:
    owner, fan = make_listener("owner@example.com"), make_listener("fan@example.com")
    tracks = add_tracks(services, 2)
    playlist = client.post(
        "/api/v1/playlists", json={"name": "Hits", "public": True}, headers=owner.auth
    ).json()["id"]
    client.post(
        f"/api/v1/playlists/{playlist}/tracks", json={"track_ids": tracks}, headers=owner.auth
    )
    assert (
        client.put(f"/api/v1/playlists/{playlist}/followers", headers=fan.auth).status_code == 204
    )
    assert delete_account(client, owner).status_code == 204
    kept = client.get(f"/api/v1/playlists/{playlist}", headers=fan.auth).json()
    assert kept["owner"] == {"id": None}
    assert kept["tracks"]["total"] == 2
    assert (
        client.patch(
            f"/api/v1/playlists/{playlist}", json={"name": "Mine now"}, headers=fan.auth
        ).status_code
        == 403
    )


def test_a_deleted_listener_leaves_the_lake_the_log_wrapped_and_the_model(
    client: TestClient, services: Services, make_listener: Callable[[str], Listener]
) -> None:
    genres = ("rock", "jazz", "folk")
    catalog = {g: add_tracks(services, 6, genre=g, audio=True) for g in genres}
    fans = [make_listener(f"fan{n}@example.com") for n in range(6)]
    for n, fan in enumerate(fans):
        play(client, fan, catalog[genres[n % 3]] * 2)
    services.pipeline.catch_up()
    services.recommend_batch.run(LocalRunner(1), [PlaylistKind.DISCOVER_WEEKLY])
    gone = fans[0]
    model = services.models.current()
    assert model is not None and model.user(gone.id) is not None
    year = datetime.now(UTC).year
    services.wrapped.compute(year=year)
    # Events logged before the deletion and read after it must not bring the listener back.
    play(client, gone, catalog["rock"], tag="late")

    assert delete_account(client, gone).status_code == 204
    services.pipeline.catch_up()

    lake = duckdb.connect()
    files = [str(path) for path in services.lake.files()]
    assert files
    owners = lake.execute("SELECT DISTINCT user_id FROM read_parquet($files)", {"files": files})
    assert gone.id not in {row[0] for row in owners.fetchall()}
    with services.lake.connect() as db:
        assert db.execute(
            "SELECT count(*) FROM listens WHERE user_id = ?", [gone.id]
        ).fetchone() == (0,)
    logged = services.events.read("listens", limit=10_000)
    assert logged and all(event.payload["user_id"] != gone.id for event in logged)
    assert services.wrapped.compute(year=year) == len(fans) - 1
    # The next run leaves them out, even one that would reuse a young model.
    before = services.models.refresh()
    assert before is not None
    report = services.recommend_batch.run(
        LocalRunner(1), [PlaylistKind.DISCOVER_WEEKLY], reuse_model_for=timedelta(days=7)
    )
    assert report.model_version != before.version
    model = services.models.refresh()
    assert model is not None
    assert model.user(gone.id) is None and model.user(fans[1].id) is not None
    with services.engine.connect() as connection:
        mine = connection.execute(
            select(func.count()).select_from(playlists).where(playlists.c.owner_id == gone.id)
        ).scalar()
    assert mine == 0
