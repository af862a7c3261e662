"""The edge in front of a real S3 API (Swift's s3api): the disk cache fills once per object,
evicts the least recently used under its cap, and the edge serves the cached copies."""

import os
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from encore.adapters.media.disk_cache import DiskCachedStore
from encore.adapters.media.s3 import S3MediaStore
from encore.api.app import create_app
from encore.bootstrap import Services, bootstrap
from encore.config import load_settings
from encore.media import StoredObject
from encore.streaming.paths import audio_path
from tests.integration.swift import S3Endpoint, S3StoreFactory

pytestmark = pytest.mark.s3
TRACKS = ["AbCdEfGhIjKlMnOpQrStUv", "BbCdEfGhIjKlMnOpQrStUv", "CbCdEfGhIjKlMnOpQrStUv"]
KEYS = [audio_path(track, "160.ogg")[1:] for track in TRACKS]


class Counting:
    """The real S3 store, with a count of the GETs and HEADs the cache sends it."""

    def __init__(self, store: S3MediaStore) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()
        self.slow_s = 0.0

    def stat(self, key: str) -> StoredObject | None:
        self.calls["head"] += 1
        return self.store.stat(key)

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        self.calls["get"] += 1
        time.sleep(self.slow_s)
        return self.store.read_range(key, start, end)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


@pytest.fixture
def remote(s3_store_factory: S3StoreFactory) -> Counting:
    return Counting(s3_store_factory())


def test_single_flight_and_eviction_on_s3(remote: Counting, tmp_path: Path) -> None:
    data = {key: os.urandom(300_000 + index) for index, key in enumerate(KEYS)}
    for key, content in data.items():
        remote.store.put_bytes(key, content, content_type="audio/ogg")
    cache = DiskCachedStore(remote, tmp_path / "cache", max_bytes=650_000)  # type: ignore[arg-type]

    remote.slow_s = 0.3  # long enough for every thread to arrive while the first one fetches
    paths: list[Path | None] = []
    threads = [
        threading.Thread(target=lambda: paths.append(cache.local_path(KEYS[0]))) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    remote.slow_s = 0
    assert len(set(paths)) == 1
    assert remote.calls["get"] == 1
    first = paths[0]
    assert first is not None and first.read_bytes() == data[KEYS[0]]
    stored = cache.stat(KEYS[0])
    assert stored is not None and stored.etag == remote.store.stat(KEYS[0]).etag  # type: ignore[union-attr]

    cache.local_path(KEYS[1])
    cache.local_path(KEYS[0])  # most recently used, so the next fill evicts KEYS[1]
    cache.local_path(KEYS[2])
    assert cache.cached_keys() == [KEYS[0], KEYS[2]]
    assert cache.cached_bytes <= 650_000
    assert remote.calls["get"] == 3

    restarted = DiskCachedStore(remote, tmp_path / "cache", max_bytes=650_000)  # type: ignore[arg-type]
    assert restarted.cached_keys() == [KEYS[0], KEYS[2]]
    again = restarted.local_path(KEYS[2])
    assert again is not None and again.read_bytes() == data[KEYS[2]]
    assert remote.calls["get"] == 3  # revalidated with a HEAD, not fetched again


@pytest.fixture
def s3_services(tmp_path: Path, swift_s3: S3Endpoint) -> Iterator[Services]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        media_backend="s3",
        s3_bucket=f"encore-edge-{secrets.token_hex(4)}",
        s3_endpoint_url=swift_s3.url,
        s3_access_key=swift_s3.access_key,
        s3_secret_key=swift_s3.secret_key,
        s3_region=swift_s3.region,
        edge_cache_max_bytes=4 * 1024**2,
    )
    services = bootstrap(settings)
    yield services
    services.close()


def test_the_edge_serves_s3_objects_from_its_disk_cache(s3_services: Services) -> None:
    content = os.urandom(1_500_000)
    path = audio_path(TRACKS[0], "320.ogg")
    s3_services.media.put_bytes(path[1:], content, content_type="audio/ogg")
    url = s3_services.url_signer.sign(path, time.time()).path_and_query
    with TestClient(create_app(s3_services)) as client:
        whole = client.get(url)
        assert whole.status_code == 200
        assert whole.content == content
        part = client.get(url, headers={"Range": "bytes=1000000-"})
        assert part.status_code == 206
        assert part.content == content[1_000_000:]
        assert part.headers["etag"] == whole.headers["etag"]
        unsigned = client.get(path)
        assert unsigned.status_code == 403
    cache_dir = s3_services.settings.data_dir / "edge-cache"
    cached = [p for p in cache_dir.rglob("*") if p.is_file() and p.suffix != ".json"]
    assert [p.read_bytes() == content for p in cached] == [True]
