"""The origin health checker against real HTTP servers: one that fails, one that is gone; and
the seed's multi-CDN end to end: two real nginx edges, one lost and back."""

import secrets
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from encore.adapters.cdn_health import OriginHealthChecker
from encore.api.app import create_app
from encore.bootstrap import Services, bootstrap
from encore.catalog.audio import LADDER
from encore.config import load_settings
from encore.streaming.cdn import OriginSelector
from tests.builders import make_album, make_artist, make_rendition, make_track
from tests.e2e.conftest import FAST_PASSWORDS, Listener
from tests.integration.nginx import free_port, start_edge
from tests.status_server import StatusServer


@pytest.fixture
def origins() -> Iterator[tuple[StatusServer, StatusServer]]:
    made = StatusServer(), StatusServer()
    yield made
    for origin in made:
        origin.close()


def test_a_failing_origin_is_skipped_until_it_recovers(
    origins: tuple[StatusServer, StatusServer],
) -> None:
    first, second = origins
    selector = OriginSelector({"eu": [first.url, second.url]})
    checker = OriginHealthChecker(selector, path="/healthz", interval_s=60, failures_to_down=2)
    assert checker.check_once() == {first.url: True, second.url: True}
    first.status = 503
    checker.check_once()
    assert selector.choose("eu") == first.url  # one failure is not enough
    checker.check_once()
    assert selector.choose("eu") == second.url
    first.status = 404  # answering at all, below 500, counts as up
    checker.check_once()
    assert selector.choose("eu") == first.url


def test_an_unreachable_origin_is_marked_down(origins: tuple[StatusServer, StatusServer]) -> None:
    first, second = origins
    gone = first.url
    first.close()
    selector = OriginSelector({"us": [gone, second.url]})
    checker = OriginHealthChecker(
        selector, path="healthz", interval_s=0.01, timeout_s=0.5, failures_to_down=1
    )
    checker.start()
    try:
        for _ in range(200):
            if selector.is_down(gone):
                break
            threading.Event().wait(0.01)
    finally:
        checker.stop()
    assert selector.choose("us") == second.url


@pytest.mark.nginx
def test_stream_urls_move_to_the_surviving_edge_and_back(tmp_path: Path) -> None:
    """Two real edges (deploy/nginx) over the same media, the API's health checker probing them:
    one goes, new stream URLs point at the other within the probe interval and it serves the
    audio; the first comes back, and the URLs with it."""
    key = secrets.token_hex(20)
    data = tmp_path / "data"
    first_port, second_port = free_port(), free_port()
    first, second = f"http://127.0.0.1:{first_port}", f"http://127.0.0.1:{second_port}"
    services = bootstrap(
        load_settings(
            data_dir=data,
            cdn_origins={"eu": [first, second]},
            cdn_health_interval_s=INTERVAL_S,
            stream_signing_keys=key,
            recommend_check_s=0,
        ),
        passwords=FAST_PASSWORDS,
    )
    track_id, audio = _track_with_audio(services, data / "media")
    media = data / "media"
    first_edge = ExitStack()
    with (
        TestClient(create_app(services)) as client,
        first_edge,
        start_edge(tmp_path / "e2", keys=[key], media_root=media, port=second_port),
    ):
        first_edge.enter_context(
            start_edge(tmp_path / "e1", keys=[key], media_root=media, port=first_port)
        )
        listener = Listener(client, "edge@example.com", country="SE")
        _until_origin(client, listener, track_id, first)  # both up: the first is preferred
        assert _fetch(_stream_url(client, listener, track_id)) == audio

        first_edge.close()
        moved = _until_origin(client, listener, track_id, second)
        assert moved < INTERVAL_S * 2 + 2.0  # down after one or two failed probes
        assert _fetch(_stream_url(client, listener, track_id)) == audio

        with start_edge(tmp_path / "e1-again", keys=[key], media_root=media, port=first_port):
            _until_origin(client, listener, track_id, first)
            assert _fetch(_stream_url(client, listener, track_id)) == audio
    services.close()


INTERVAL_S = 0.2


def _track_with_audio(services: Services, media_root: Path) -> tuple[str, bytes]:
    artist = make_artist()
    album = make_album(artist_ids=(artist.id,))
    track = make_track(album_id=album.id, artist_ids=(artist.id,))
    spec = LADDER[1]
    path = f"audio/{track.id[:2]}/{track.id[2:4]}/{track.id}/{spec.file_name}"
    audio = secrets.token_bytes(64 * 1024)
    (media_root / path).parent.mkdir(parents=True, exist_ok=True)
    (media_root / path).write_bytes(audio)
    with services.uow() as uow:
        uow.artists.add(artist)
        uow.albums.add(album)
        uow.tracks.add(track)
        uow.renditions.put(
            make_rendition(
                track_id=track.id,
                quality=spec.quality,
                format=spec.extension,
                bitrate_kbps=spec.bitrate_kbps,
                path=path,
            )
        )
        uow.commit()
    return track.id, audio


def _stream_url(client: TestClient, listener: Listener, track_id: str) -> str:
    answer = client.get(
        f"/api/v1/tracks/{track_id}/stream", params={"quality": "normal"}, headers=listener.auth
    )
    assert answer.status_code == 200, answer.text
    url: str = answer.json()["stream_url"]
    return url


def _stream_origin(client: TestClient, listener: Listener, track_id: str) -> str:
    parts = urlsplit(_stream_url(client, listener, track_id))
    return f"{parts.scheme}://{parts.netloc}"


def _until_origin(client: TestClient, listener: Listener, track_id: str, origin: str) -> float:
    started = time.monotonic()
    while _stream_origin(client, listener, track_id) != origin:
        assert time.monotonic() - started < 10, f"stream URLs never moved to {origin}"
        time.sleep(0.05)
    return time.monotonic() - started


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - the test's own edge
        body: bytes = answer.read()
        return body
