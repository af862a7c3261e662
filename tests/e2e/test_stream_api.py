"""GET /api/v1/tracks/{id}/stream through the whole app: entitlements, licences, fallbacks,
CDN choice, events, and the fast path answering exactly as the route does."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from encore.accounts.model import Plan
from encore.api.app import create_app
from encore.bootstrap import Services
from encore.catalog.audio import LADDER, PREVIEW
from encore.catalog.model import Quality
from encore.ids import new_id
from tests.builders import make_album, make_artist, make_rendition, make_track
from tests.e2e.conftest import Listener


@dataclass
class Tracks:
    lossy: str  # renditions low to very_high (the last upscaled) and a preview
    lossless: str  # every rung and a preview
    us_only: str  # licensed in the US alone
    feed_only: str  # metadata, no audio


def _seed(services: Services) -> Tracks:
    artist = make_artist()
    album = make_album(artist_ids=(artist.id,))
    made = Tracks(new_id(), new_id(), new_id(), new_id())
    with services.uow() as uow:
        uow.artists.add(artist)
        uow.albums.add(album)
        for track_id in (made.lossy, made.lossless, made.us_only, made.feed_only):
            countries = frozenset({"US"}) if track_id == made.us_only else None
            uow.tracks.add(
                make_track(
                    id=track_id,
                    album_id=album.id,
                    artist_ids=(artist.id,),
                    available_countries=countries,
                )
            )
        for track_id, specs in (
            (made.lossy, LADDER[:4]),
            (made.lossless, LADDER),
            (made.us_only, LADDER[:4]),
        ):
            for spec in (*specs, PREVIEW):
                uow.renditions.put(
                    make_rendition(
                        track_id=track_id,
                        quality=spec.quality,
                        format=spec.extension,
                        bitrate_kbps=spec.bitrate_kbps,
                        path=f"audio/{track_id[:2]}/{track_id[2:4]}/{track_id}/{spec.file_name}",
                        upscaled=track_id == made.lossy and spec.quality is Quality.VERY_HIGH,
                    )
                )
        uow.commit()
    return made


@pytest.fixture
def tracks(services: Services) -> Tracks:
    return _seed(services)


def _set_plan(services: Services, listener: Listener, plan: Plan) -> None:
    services.accounts.change_plan(
        user_id=listener.id, plan=plan, idempotency_key=new_id(), changed_by="test"
    )


def _stream(client: TestClient, who: Listener, track_id: str, quality: str | None = None):  # type: ignore[no-untyped-def]
    query = f"?quality={quality}" if quality else ""
    return client.get(f"/api/v1/tracks/{track_id}/stream{query}", headers=who.auth)


def test_a_free_listener_streams_normal_quality(
    client: TestClient, listener: Listener, tracks: Tracks
) -> None:
    before = time.time()
    answer = _stream(client, listener, tracks.lossless, "normal")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    url = urlsplit(body["stream_url"])
    track = tracks.lossless
    assert url.path == f"/audio/{track[:2]}/{track[2:4]}/{track}/96.ogg"
    query = parse_qs(url.query)
    assert set(query) == {"exp", "sig"}
    assert body["cdn_token"] == url.query
    assert (body["format"], body["bitrate"], body["quality"]) == ("ogg", 96, "normal")
    assert body["fallback"] is False
    assert body["duration_ms"] == 215_000
    expires = datetime.fromisoformat(body["expires_at"]).timestamp()
    assert expires == int(query["exp"][0])
    assert before + 3600 - 2 <= expires <= time.time() + 3600
    assert f"{url.scheme}://{url.netloc}" == "http://testserver"


@pytest.mark.parametrize("quality", ["very_high", "lossless"])
def test_paid_qualities_need_a_paid_plan(
    client: TestClient, services: Services, listener: Listener, tracks: Tracks, quality: str
) -> None:
    refused = _stream(client, listener, tracks.lossless, quality)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/plan-required")
    _set_plan(services, listener, Plan.PREMIUM)
    assert _stream(client, listener, tracks.lossless, quality).status_code == 200


def test_a_plan_change_applies_to_the_very_next_request(
    client: TestClient, services: Services, listener: Listener, tracks: Tracks
) -> None:
    _set_plan(services, listener, Plan.PREMIUM)
    for _ in range(2):  # the second answer comes from the warm fast path
        assert _stream(client, listener, tracks.lossless, "lossless").status_code == 200
    _set_plan(services, listener, Plan.FREE)
    assert _stream(client, listener, tracks.lossless, "lossless").status_code == 403


def test_a_missing_rung_falls_back_to_the_nearest_lower_one_and_says_so(
    client: TestClient, services: Services, listener: Listener, tracks: Tracks
) -> None:
    _set_plan(services, listener, Plan.PREMIUM)
    body = _stream(client, listener, tracks.lossy, "lossless").json()
    assert body["requested_quality"] == "lossless"
    assert (body["quality"], body["format"], body["bitrate"]) == ("very_high", "ogg", 320)
    assert body["fallback"] is True
    assert body["upscaled"] is True
    lossless = _stream(client, listener, tracks.lossless, "lossless").json()
    assert (lossless["format"], lossless["bitrate"], lossless["fallback"]) == ("flac", None, False)
    assert urlsplit(lossless["stream_url"]).path.endswith("/lossless.flac")


def test_a_track_not_licensed_in_the_listeners_country_is_451(
    client: TestClient, make_listener: Callable[..., Listener], tracks: Tracks
) -> None:
    swede = make_listener("sven@example.se")  # the fixture's listeners live in SE
    refused = _stream(client, swede, tracks.us_only, "low")
    assert refused.status_code == 451
    assert refused.json()["type"].endswith("/not-licensed")
    american = Listener(client, "amy@example.com", country="US")
    assert _stream(client, american, tracks.us_only, "low").status_code == 200


def test_moving_country_changes_what_is_licensed_at_once(
    client: TestClient, make_listener: Callable[..., Listener], tracks: Tracks
) -> None:
    swede = make_listener("sven@example.se")
    assert _stream(client, swede, tracks.us_only, "low").status_code == 451  # and now cached
    moved = client.patch("/api/v1/me", json={"country": "us"}, headers=swede.auth)
    assert moved.status_code == 200 and moved.json()["country"] == "US"
    assert _stream(client, swede, tracks.us_only, "low").status_code == 200
    client.patch("/api/v1/me", json={"country": "SE"}, headers=swede.auth)
    assert _stream(client, swede, tracks.us_only, "low").status_code == 451


def test_previews_play_on_every_plan(
    client: TestClient, listener: Listener, tracks: Tracks
) -> None:
    body = _stream(client, listener, tracks.lossy, "preview").json()
    assert urlsplit(body["stream_url"]).path.endswith("/preview.ogg")
    assert body["quality"] == "preview"


@pytest.mark.parametrize(
    ("track", "quality", "status", "kind"),
    [
        ("feed_only", "normal", 404, "no-audio"),
        ("unknown", "normal", 404, "not-found"),
        ("lossy", "ultra", 422, None),
        ("lossy", "", 422, None),
        ("bad-id", "normal", 422, None),
    ],
)
def test_bad_requests_get_problems(
    client: TestClient,
    listener: Listener,
    tracks: Tracks,
    track: str,
    quality: str,
    status: int,
    kind: str | None,
) -> None:
    track_id = {"unknown": new_id(), "bad-id": "not-an-id"}.get(track) or getattr(tracks, track)
    for _ in range(2):  # cold, then (for what could be cached) warm
        answer = client.get(
            f"/api/v1/tracks/{track_id}/stream?quality={quality}", headers=listener.auth
        )
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        if kind:
            assert answer.json()["type"].endswith(f"/{kind}")


def test_signing_in_is_required(client: TestClient, tracks: Tracks) -> None:
    answer = client.get(f"/api/v1/tracks/{tracks.lossy}/stream")
    assert answer.status_code == 401
    forged = client.get(
        f"/api/v1/tracks/{tracks.lossy}/stream", headers={"Authorization": "Bearer x.y.z"}
    )
    assert forged.status_code == 401


def test_the_fast_path_answers_as_the_route_does(
    client: TestClient, listener: Listener, tracks: Tracks
) -> None:
    cold = _stream(client, listener, tracks.lossless, "high")
    warm = _stream(client, listener, tracks.lossless, "high")
    default = _stream(client, listener, tracks.lossless)
    assert cold.status_code == warm.status_code == default.status_code == 200
    assert cold.headers["content-type"] == warm.headers["content-type"]
    signed = ("stream_url", "cdn_token", "expires_at")  # differ by the second they were made

    def strip(body: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in body.items() if k not in signed}

    assert strip(cold.json()) == strip(warm.json()) == strip(default.json())


def test_a_failing_fast_path_leaves_the_answer_to_the_route(
    client: TestClient,
    services: Services,
    listener: Listener,
    tracks: Tracks,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert _stream(client, listener, tracks.lossy, "normal").status_code == 200  # warm now

    def broken(**_: object) -> None:
        raise RuntimeError("a bug in the fast path")

    monkeypatch.setattr(services.streams, "grant_if_warm", broken)
    answer = _stream(client, listener, tracks.lossy, "normal")
    assert answer.status_code == 200
    assert answer.json()["quality"] == "normal"
    assert "The stream fast path failed" in caplog.text


def test_each_stream_is_logged_as_stream_started(
    client: TestClient, services: Services, listener: Listener, tracks: Tracks
) -> None:
    for _ in range(3):
        assert _stream(client, listener, tracks.lossy, "normal").status_code == 200
    assert _stream(client, listener, tracks.lossy, "lossless").status_code == 403
    services.events.flush()
    started = services.events.read("stream_started")
    assert len(started) == 3
    assert started[0].payload["user_id"] == listener.id
    assert started[0].payload["track_id"] == tracks.lossy
    assert started[0].payload["quality"] == "normal"
    assert started[0].payload["region"] == "eu"


def test_stream_urls_point_at_the_listeners_region_and_fail_over(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(
        cdn_origins={
            "eu": ["https://eu1.cdn.test", "https://eu2.cdn.test/"],
            "us": ["https://us1.cdn.test"],
        }
    )
    made = _seed(services)
    with TestClient(create_app(services)) as client:
        swede = Listener(client, "sven@example.se", country="SE")
        japanese = Listener(client, "yuki@example.jp", country="JP")

        def origin(who: Listener) -> str:
            url = urlsplit(_stream(client, who, made.lossy, "low").json()["stream_url"])
            return f"{url.scheme}://{url.netloc}"

        assert origin(swede) == "https://eu1.cdn.test"
        assert origin(japanese) == "https://us1.cdn.test"  # no asia origin: the first region
        services.origins.mark_down("https://eu1.cdn.test")
        assert origin(swede) == "https://eu2.cdn.test"
        services.origins.mark_down("https://eu2.cdn.test")
        assert origin(swede) == "https://us1.cdn.test"
        services.origins.mark_up("https://eu1.cdn.test")
        assert origin(swede) == "https://eu1.cdn.test"


def test_the_stream_url_plays_from_the_edge_and_only_as_signed(
    client: TestClient, services: Services, listener: Listener, tracks: Tracks
) -> None:
    track = tracks.lossless
    audio = bytes(range(256)) * 64
    services.media.put_bytes(
        f"audio/{track[:2]}/{track[2:4]}/{track}/96.ogg", audio, content_type="audio/ogg"
    )
    url = urlsplit(_stream(client, listener, track, "normal").json()["stream_url"])
    whole = client.get(f"{url.path}?{url.query}")
    assert whole.status_code == 200
    assert whole.content == audio
    assert whole.headers["content-type"] == "audio/ogg"
    ranged = client.get(f"{url.path}?{url.query}", headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206
    assert ranged.content == audio[100:200]
    other_rung = url.path.replace("/96.ogg", "/320.ogg")
    assert client.get(f"{other_rung}?{url.query}").status_code == 403
    assert client.get(url.path).status_code == 403


def test_track_documents_say_what_plays_and_carry_a_playable_preview(
    client: TestClient, services: Services, listener: Listener, tracks: Tracks
) -> None:
    track = tracks.lossy
    clip = b"OggS preview bytes" * 100
    services.media.put_bytes(
        f"audio/{track[:2]}/{track[2:4]}/{track}/preview.ogg", clip, content_type="audio/ogg"
    )
    document = client.get(f"/api/v1/tracks/{track}", headers=listener.auth).json()
    assert document["streamable"] is True
    assert document["qualities"] == ["low", "normal", "high", "very_high"]
    preview = document["preview_url"]
    assert preview.startswith(f"/audio/{track[:2]}/{track[2:4]}/{track}/preview.ogg?exp=")
    assert client.get(preview).content == clip  # a free listener's player fetches it as is
    feed_only = client.get(f"/api/v1/tracks/{tracks.feed_only}", headers=listener.auth).json()
    assert (feed_only["streamable"], feed_only["qualities"], feed_only["preview_url"]) == (
        False,
        [],
        None,
    )
