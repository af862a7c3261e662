"""No recommendation surface offers a track the listener cannot play: one without audio (it
exists only as metadata) or one not licensed in the listener's country."""

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from encore.adapters.compute.local import LocalRunner
from encore.adapters.sql.browsing import SqlSimilarTracks
from encore.adapters.sql.recommend import SqlListeners
from encore.bootstrap import Services
from encore.catalog.model import Quality
from encore.recommend.domain import PlaylistKind
from encore.recommend.similar import SimilarByTaste
from tests.builders import make_rendition
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import Listener
from tests.e2e.test_recommend_api import play

GENRES = ("rock", "jazz", "folk")


def album(
    services: Services,
    genre: str,
    name: str,
    *,
    audio: bool,
    countries: frozenset[str] | None = None,
    released: date | None = None,
) -> list[str]:
    ids = add_tracks(
        services,
        6,
        genre=genre,
        audio=audio,
        artist_name=name,
        released=released,
        countries=countries,
    )
    if not audio:
        with services.uow() as uow:
            # A preview clip alone is no audio to stream.
            for track_id in ids[:2]:
                uow.renditions.put(make_rendition(track_id=track_id, quality=Quality.PREVIEW))
            uow.commit()
    return ids


@pytest.fixture
def unplayable(services: Services) -> tuple[dict[str, list[str]], set[str], set[str]]:
    """Per genre, two artists with audio (one released today), one without audio and one
    licensed only in the US (both released today, and played as much as the rest)."""
    today = datetime.now(UTC).date()
    catalog: dict[str, list[str]] = {}
    silent_ids: set[str] = set()
    abroad_ids: set[str] = set()
    for genre in GENRES:
        silent = album(services, genre, f"Silent {genre}", audio=False, released=today)
        abroad = album(
            services,
            genre,
            f"Abroad {genre}",
            audio=True,
            countries=frozenset({"US"}),
            released=today,
        )
        catalog[genre] = (
            album(services, genre, f"Old {genre}", audio=True)
            + album(services, genre, f"New {genre}", audio=True, released=today)
            + silent
            + abroad
        )
        silent_ids |= set(silent)
        abroad_ids |= set(abroad)
    return catalog, silent_ids, abroad_ids


def offered(client: TestClient, listener: Listener, seed: str) -> dict[str, set[str]]:
    """Every track each surface offers the listener (in SE)."""
    found: dict[str, set[str]] = {}
    dw = client.get("/api/v1/playlists/discover-weekly", headers=listener.auth).json()
    found["discover weekly " + dw["source"]] = {t["id"] for t in dw["tracks"]}
    mixes = client.get("/api/v1/me/daily-mixes", headers=listener.auth).json()["items"]
    found["daily mixes"] = {t["id"] for m in mixes for t in m["tracks"]}
    radar = client.get("/api/v1/me/release-radar", headers=listener.auth).json()
    found["release radar"] = {t["id"] for t in radar["tracks"]}
    station = client.post(
        "/api/v1/radio", json={"seed_type": "track", "seed_id": seed}, headers=listener.auth
    )
    assert station.status_code == 201, station.text
    batch = client.get(station.json()["next_url"] + "?limit=20", headers=listener.auth).json()
    found["radio " + batch["source"]] = {t["id"] for t in batch["tracks"]}
    return found


def test_no_surface_offers_a_track_without_audio_or_licence(
    client: TestClient,
    services: Services,
    unplayable: tuple[dict[str, list[str]], set[str], set[str]],
    make_listener: Callable[[str], Listener],
) -> None:
    catalog, silent, abroad = unplayable
    left_out = silent | abroad
    fans = [make_listener(f"fan{n}@example.com") for n in range(6)]
    for n, fan in enumerate(fans):
        # Each fan plays all of one genre (the silent and foreign tracks too) and a little of
        # the next, so that the model's neighbours of what they play include the left out.
        play(client, fan, catalog[GENRES[n % 3]] + catalog[GENRES[(n + 1) % 3]][::4])
    services.pipeline.catch_up()
    newcomer = make_listener("new@example.com")
    before = offered(client, newcomer, catalog["rock"][0])
    assert set(before) >= {"discover weekly popularity", "radio popularity"}
    services.recommend_batch.run(LocalRunner(1), list(PlaylistKind))
    services.models.refresh()
    after = offered(client, fans[0], catalog["rock"][0])
    assert set(after) >= {"discover weekly model", "radio model"}
    for surface, tracks in {**before, **after}.items():
        assert tracks, surface  # something to play on every surface
        assert not tracks & left_out, surface
    similar = SimilarByTaste(
        models=services.models.current,
        listeners=SqlListeners(services.engine),
        fallback=SqlSimilarTracks(services.engine),
    ).similar_to_track(catalog["rock"][0], limit=20)
    # Similar tracks are asked for by no one in particular: only audio counts.
    assert similar
    assert not set(similar) & silent


def test_a_daily_mix_falls_back_on_familiar_tracks_and_is_never_empty(
    services: Services, client: TestClient, listener: Listener
) -> None:
    # Nothing playable at all: no mix, rather than a mix with nothing in it.
    album(services, "rock", "Silent Band", audio=False)
    answer = client.get("/api/v1/me/daily-mixes", headers=listener.auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == []

    # A small catalog the listener has played all of: the popularity mix is made of the
    # familiar tracks (Discover Weekly, which never repeats what was played lately, is empty).
    heard = album(services, "jazz", "Only Band", audio=True)
    play(client, listener, heard)
    services.pipeline.catch_up()
    mixes = client.get("/api/v1/me/daily-mixes", headers=listener.auth).json()["items"]
    assert len(mixes) == 1
    assert {t["id"] for t in mixes[0]["tracks"]} <= set(heard)
    assert mixes[0]["tracks"]
    weekly = client.get("/api/v1/playlists/discover-weekly", headers=listener.auth).json()
    assert not {t["id"] for t in weekly["tracks"]} & set(heard)
