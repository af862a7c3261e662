"""Catalog reads over HTTP: tracks, albums with their tracks, artists with albums and top tracks."""

from datetime import date

import pytest
from fastapi.testclient import TestClient

from encore.bootstrap import Services
from encore.catalog.model import Album, DatePrecision, Track
from tests.builders import make_album, make_artist, make_track
from tests.e2e.conftest import Listener


@pytest.fixture
def album(services: Services) -> tuple[Album, list[Track]]:
    queen = services.catalog.add_artist(make_artist(name="Queen", sort_name="Queen"))
    bowie = services.catalog.add_artist(make_artist(name="David Bowie", sort_name="Bowie, David"))
    album = services.catalog.add_album(
        make_album(
            artist_ids=(queen.id,),
            name="Hot Space",
            release_date=date(1982, 5, 21),
            release_date_precision=DatePrecision.YEAR,
            total_tracks=2,
        )
    )
    tracks = [
        services.catalog.add_track(
            make_track(
                album_id=album.id,
                artist_ids=(queen.id, bowie.id),
                title="Under Pressure",
                track_number=11,
                popularity=83,
                isrc="GBUM71029604",
                genres=("rock", "glam rock"),
            )
        ),
        services.catalog.add_track(
            make_track(
                album_id=album.id,
                artist_ids=(queen.id,),
                title="Staying Power",
                track_number=1,
                popularity=40,
                explicit=True,
                available_countries=frozenset({"SE", "NO"}),
                genres=("rock",),
            )
        ),
    ]
    return album, tracks


def test_track_has_the_seed_shape(
    client: TestClient, listener: Listener, album: tuple[Album, list[Track]]
) -> None:
    _, (pressure, _) = album
    response = client.get(f"/api/v1/tracks/{pressure.id}", headers=listener.auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["id"] == pressure.id
    assert body["name"] == "Under Pressure"
    assert [a["name"] for a in body["artists"]] == ["Queen", "David Bowie"]
    assert body["album"] == {"id": pressure.album_id, "name": "Hot Space"}
    assert body["duration_ms"] == 215_000
    assert body["popularity"] == 83
    assert body["explicit"] is False
    assert body["isrc"] == "GBUM71029604"
    assert body["genres"] == ["rock", "glam rock"]
    assert body["available_countries"] is None


def test_album_lists_its_tracks_in_order(
    client: TestClient, listener: Listener, album: tuple[Album, list[Track]]
) -> None:
    hot_space, _ = album
    body = client.get(f"/api/v1/albums/{hot_space.id}", headers=listener.auth).json()
    assert body["name"] == "Hot Space"
    assert body["release_date"] == "1982"
    assert body["release_date_precision"] == "year"
    assert [t["name"] for t in body["tracks"]["items"]] == ["Staying Power", "Under Pressure"]
    assert body["tracks"]["total"] == 2
    assert body["tracks"]["items"][0]["available_countries"] == ["NO", "SE"]
    assert body["genres"] == ["rock", "glam rock"]


def test_artist_has_albums_and_top_tracks_by_popularity(
    client: TestClient, listener: Listener, album: tuple[Album, list[Track]]
) -> None:
    hot_space, (pressure, staying) = album
    queen_id = pressure.artist_ids[0]
    body = client.get(f"/api/v1/artists/{queen_id}", headers=listener.auth).json()
    assert body["name"] == "Queen"
    assert [a["id"] for a in body["albums"]] == [hot_space.id]
    assert [t["id"] for t in body["top_tracks"]] == [pressure.id, staying.id]
    bowie = client.get(f"/api/v1/artists/{pressure.artist_ids[1]}", headers=listener.auth).json()
    assert bowie["albums"] == []
    assert [t["name"] for t in bowie["top_tracks"]] == ["Under Pressure"]


def test_cached_documents_follow_catalog_changes(
    client: TestClient, listener: Listener, services: Services, album: tuple[Album, list[Track]]
) -> None:
    hot_space, (pressure, _) = album
    assert (
        client.get(f"/api/v1/tracks/{pressure.id}", headers=listener.auth).json()["popularity"]
        == 83
    )
    client.get(f"/api/v1/albums/{hot_space.id}", headers=listener.auth)
    services.catalog.set_popularity(pressure.id, 99)
    assert (
        client.get(f"/api/v1/tracks/{pressure.id}", headers=listener.auth).json()["popularity"]
        == 99
    )
    album_body = client.get(f"/api/v1/albums/{hot_space.id}", headers=listener.auth).json()
    assert {t["popularity"] for t in album_body["tracks"]["items"]} == {99, 40}


@pytest.mark.parametrize("kind", ["tracks", "albums", "artists"])
def test_unknown_and_malformed_ids(client: TestClient, listener: Listener, kind: str) -> None:
    missing = client.get(f"/api/v1/{kind}/{'Z' * 22}", headers=listener.auth)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    for bad in ("short", "x" * 23, "%27%20OR%201%3D1%20--%20xxxxxxxx", "a" * 21 + "-"):
        response = client.get(f"/api/v1/{kind}/{bad}", headers=listener.auth)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("kind", ["tracks", "albums", "artists"])
def test_catalog_needs_a_signed_in_listener(
    client: TestClient, album: tuple[Album, list[Track]], kind: str
) -> None:
    hot_space, (pressure, _) = album
    entity = {"tracks": pressure.id, "albums": hot_space.id, "artists": pressure.artist_ids[0]}[
        kind
    ]
    response = client.get(f"/api/v1/{kind}/{entity}")
    assert response.status_code == 401


@pytest.mark.parametrize("kind", ["tracks", "albums", "artists"])
def test_fast_path_answers_exactly_as_the_route(
    client: TestClient,
    listener: Listener,
    services: Services,
    album: tuple[Album, list[Track]],
    kind: str,
) -> None:
    hot_space, (pressure, _) = album
    entity = {"tracks": pressure.id, "albums": hot_space.id, "artists": pressure.artist_ids[0]}[
        kind
    ]
    first = client.get(f"/api/v1/{kind}/{entity}", headers=listener.auth)  # rendered by the route
    assert services.documents.get(kind[:-1], entity) is not None
    second = client.get(f"/api/v1/{kind}/{entity}", headers=listener.auth)  # from the fast path
    assert second.status_code == first.status_code == 200
    assert second.content == first.content
    assert dict(second.headers) == dict(first.headers)
    labels = f'method="GET",route="/api/v1/{kind}/{{{kind[:-1]}_id}}",status="200"'
    assert f"encore_http_requests_total{{{labels}}} 2.0" in client.get("/metrics").text


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic YTpi", "Bearer not-a-token", "Token abc"],
)
def test_cached_documents_still_need_a_valid_token(
    client: TestClient,
    listener: Listener,
    album: tuple[Album, list[Track]],
    authorization: str | None,
) -> None:
    _, (pressure, _) = album
    assert client.get(f"/api/v1/tracks/{pressure.id}", headers=listener.auth).status_code == 200
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(f"/api/v1/tracks/{pressure.id}", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
