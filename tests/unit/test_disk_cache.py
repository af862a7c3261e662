"""The edge's disk cache in front of a remote store (here a local directory standing in for one;
tests/integration runs the same cache on a real S3 API)."""

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from encore.adapters.media.disk_cache import DiskCachedStore
from encore.adapters.media.local import LocalMediaStore
from encore.media import StoredObject

A, B, C = (f"audio/ab/cd/track{name}/160.ogg" for name in "ABC")


class Remote(LocalMediaStore):
    """A store that counts what the cache asks of it, and can be slowed down or broken."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: Counter[str] = Counter()
        self.gate: threading.Event | None = None
        self.broken = False
        self.fail_mid_read = False
        self.during_read: list[object] = []

    def stat(self, key: str) -> StoredObject | None:
        self.calls["stat"] += 1
        if self.broken:
            raise ConnectionError("remote down")
        return super().stat(key)

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        self.calls["read_range"] += 1
        if self.broken:
            raise ConnectionError("remote down")
        if self.gate is not None:
            self.gate.wait(10)
        chunks = super().read_range(key, start, end)
        while self.during_read:
            action = self.during_read.pop()
            assert callable(action)
            action()
        return _failing(chunks) if self.fail_mid_read else chunks

    def local_path(self, key: str) -> None:  # type: ignore[override]
        return None  # remote: nothing on this machine


def _failing(chunks: Iterator[bytes]) -> Iterator[bytes]:
    yield next(chunks)
    raise ConnectionError("reset by peer")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return Remote(tmp_path / "remote")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cache_of(
    remote: Remote, tmp_path: Path, clock: Clock, max_bytes: int = 10_000
) -> DiskCachedStore:
    return DiskCachedStore(remote, tmp_path / "cache", max_bytes=max_bytes, clock=clock)


def files_under(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*") if path.is_file())


def test_a_miss_fetches_the_whole_object_once(remote: Remote, tmp_path: Path, clock: Clock) -> None:
    data = os.urandom(5000)
    stored = remote.put_bytes(A, data, content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock)
    path = cache.local_path(A)
    assert path is not None
    assert path.read_bytes() == data
    assert cache.stat(A) == stored  # the remote's ETag, not the copy's
    assert b"".join(cache.read_range(A, 10, 19)) == data[10:20]
    assert remote.calls["read_range"] == 1
    for _ in range(5):
        assert cache.local_path(A) == path
    assert remote.calls["read_range"] == 1
    assert cache.cached_bytes == 5000


def test_a_missing_object(remote: Remote, tmp_path: Path, clock: Clock) -> None:
    cache = cache_of(remote, tmp_path, clock)
    assert cache.local_path(A) is None
    assert cache.stat(A) is None
    with pytest.raises(KeyError):
        cache.read_range(A, 0, 10)
    assert cache.cached_keys() == []


def test_concurrent_misses_fetch_once(remote: Remote, tmp_path: Path, clock: Clock) -> None:
    remote.put_bytes(A, b"x" * 3000, content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock)
    remote.gate = threading.Event()
    paths: list[Path | None] = []
    threads = [threading.Thread(target=lambda: paths.append(cache.local_path(A))) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # every thread is now waiting on the one download
    remote.gate.set()
    for thread in threads:
        thread.join(10)
    assert len(paths) == 8 and len(set(paths)) == 1 and paths[0] is not None
    assert remote.calls["read_range"] == 1


def test_a_failed_fetch_fails_every_waiter_and_leaves_nothing(
    remote: Remote, tmp_path: Path, clock: Clock
) -> None:
    remote.put_bytes(A, b"x" * 3000, content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock)
    remote.gate = threading.Event()
    remote.fail_mid_read = True
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            cache.local_path(A)
        except ConnectionError as error:
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    remote.gate.set()
    for thread in threads:
        thread.join(10)
    assert len(errors) == 3
    assert cache.cached_keys() == []
    assert files_under(tmp_path / "cache") == []
    remote.fail_mid_read = False
    assert cache.local_path(A) is not None


def test_least_recently_used_objects_go_first(remote: Remote, tmp_path: Path, clock: Clock) -> None:
    for key in (A, B, C):
        remote.put_bytes(key, key.encode() * 10, content_type="audio/ogg")
    size = len(A) * 10
    cache = cache_of(remote, tmp_path, clock, max_bytes=2 * size + 1)
    path_a = cache.local_path(A)
    path_b = cache.local_path(B)
    assert path_a is not None and path_b is not None
    cache.local_path(A)  # A is now the most recently used
    cache.local_path(C)  # so B goes
    assert cache.cached_keys() == [A, C]
    assert cache.cached_bytes == 2 * size
    assert not path_b.exists()
    assert path_a.exists()
    assert len(files_under(tmp_path / "cache")) == 4  # two objects, each with its JSON


def test_an_object_bigger_than_the_cache_streams_from_the_remote(
    remote: Remote, tmp_path: Path, clock: Clock
) -> None:
    remote.put_bytes(A, b"y" * 2000, content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock, max_bytes=1000)
    assert cache.local_path(A) is None
    assert cache.stat(A) is not None
    assert b"".join(cache.read_range(A, 0, 1999)) == b"y" * 2000
    assert cache.cached_keys() == []


def test_an_empty_object(remote: Remote, tmp_path: Path, clock: Clock) -> None:
    remote.put_bytes(A, b"", content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock)
    path = cache.local_path(A)
    assert path is not None and path.read_bytes() == b""


def test_writes_go_to_the_remote_and_drop_the_copy(
    remote: Remote, tmp_path: Path, clock: Clock
) -> None:
    cache = cache_of(remote, tmp_path, clock)
    cache.put_bytes(A, b"first", content_type="audio/ogg")
    old = cache.local_path(A)
    assert old is not None and old.read_bytes() == b"first"
    source = tmp_path / "source.ogg"
    source.write_bytes(b"second")
    stored = cache.put_file(A, source, content_type="audio/ogg")
    assert cache.stat(A) == stored
    new = cache.local_path(A)
    assert new is not None and new.read_bytes() == b"second"
    cache.delete(A)
    assert cache.local_path(A) is None
    assert remote.stat(A) is None
    assert list(cache.keys("audio/")) == []


def test_a_remote_change_is_seen_after_revalidation(
    remote: Remote, tmp_path: Path, clock: Clock
) -> None:
    remote.put_bytes(A, b"old", content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock)
    assert cache.local_path(A) is not None
    replaced = remote.put_bytes(A, b"newer", content_type="audio/ogg")  # behind the cache's back
    path = cache.local_path(A)
    assert path is not None and path.read_bytes() == b"old"  # not yet due
    clock.now += 301
    path = cache.local_path(A)
    assert path is not None and path.read_bytes() == b"newer"
    assert cache.stat(A) == replaced
    remote.delete(A)
    clock.now += 301
    assert cache.stat(A) is None
    assert cache.local_path(A) is None
    assert cache.cached_keys() == []


def test_a_remote_that_is_down_leaves_the_copy_served(
    remote: Remote, tmp_path: Path, clock: Clock
) -> None:
    remote.put_bytes(A, b"kept", content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock)
    cache.local_path(A)
    remote.broken = True
    clock.now += 301
    path = cache.local_path(A)
    assert path is not None and path.read_bytes() == b"kept"


def test_an_object_replaced_while_fetched_is_fetched_again(
    remote: Remote, tmp_path: Path, clock: Clock
) -> None:
    remote.put_bytes(A, b"version one", content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock)
    remote.during_read.append(
        lambda: LocalMediaStore.put_bytes(remote, A, b"version two!", content_type="audio/ogg")
    )
    path = cache.local_path(A)
    assert path is not None and path.read_bytes() == b"version two!"
    stored = cache.stat(A)
    assert stored is not None and stored == remote.stat(A)
    assert remote.calls["read_range"] == 2


def test_a_restart_keeps_the_cache_and_its_order(
    remote: Remote, tmp_path: Path, clock: Clock
) -> None:
    for key in (A, B, C):
        remote.put_bytes(key, key.encode(), content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock)
    for key in (A, B, C):
        cache.local_path(key)
    time.sleep(0.01)
    clock.now += 61  # A's use is now recorded on disk
    cache.local_path(A)
    reads = remote.calls["read_range"]
    restarted = cache_of(remote, tmp_path, clock, max_bytes=2 * len(A))
    assert restarted.cached_keys() == [C, A]  # B was the least recently used
    path = restarted.local_path(A)
    assert path is not None and path.read_bytes() == A.encode()
    assert remote.calls["read_range"] == reads


def test_a_restart_clears_what_a_crash_left(remote: Remote, tmp_path: Path, clock: Clock) -> None:
    for key in (A, B, C):
        remote.put_bytes(key, key.encode(), content_type="audio/ogg")
    cache = cache_of(remote, tmp_path, clock)
    paths = [cache.local_path(key) for key in (A, B, C)]
    assert all(paths)
    path_a, path_b, path_c = (path for path in paths if path is not None)
    path_a.write_bytes(b"truncated")  # size no longer matches its JSON
    (path_b.parent / (path_b.name + ".json")).unlink()  # object without its JSON
    (path_c.parent / ".fetch-123.partial").write_bytes(b"half")
    (path_c.parent / "garbage.json").write_text("{not json")
    restarted = cache_of(remote, tmp_path, clock)
    assert restarted.cached_keys() == [C]
    assert files_under(tmp_path / "cache") == sorted(
        [path_c, path_c.parent / (path_c.name + ".json")]
    )
