"""The `MediaStore` contract, on a local directory and on a real S3 API (OpenStack Swift)."""

import os
import threading
import time
from pathlib import Path

import pytest

from encore.adapters.media.disk_cache import DiskCachedStore
from encore.adapters.media.local import LocalMediaStore
from encore.media import MediaStore, StoredObject
from tests.integration.swift import S3StoreFactory

CHUNK_SIZE = 256 * 1024
TRACK = "audio/ab/cd/abcdTrack/160.ogg"
# Bigger than two chunks and not a multiple of the chunk size.
DATA = os.urandom(2 * CHUNK_SIZE + 12345)
BAD_KEYS = [
    "",
    "/etc/passwd",
    "../outside.ogg",
    "audio/../../outside.ogg",
    "audio/./x.ogg",
    "audio//x.ogg",
    "audio/x.ogg/",
    "audio\\x.ogg",
    "audio/x\x00.ogg",
    "audio/x\n.ogg",
    ".hidden.ogg",
]


STORES = [
    pytest.param("local", id="local"),
    pytest.param("s3", id="s3", marks=pytest.mark.s3),
    # The edge's disk cache must keep the contract of the store it fronts.
    pytest.param("cached-local", id="cached-local"),
    pytest.param("cached-s3", id="cached-s3", marks=pytest.mark.s3),
]


def make_store(request: pytest.FixtureRequest, directory: Path) -> MediaStore:
    kind: str = request.param
    store: MediaStore
    if kind.endswith("s3"):
        factory: S3StoreFactory = request.getfixturevalue("s3_store_factory")
        store = factory()
    else:
        store = LocalMediaStore(directory / "media")
    if kind.startswith("cached-"):
        store = DiskCachedStore(store, directory / "edge-cache", max_bytes=64 * 1024**2)
    return store


@pytest.fixture(params=STORES)
def media_store(request: pytest.FixtureRequest, tmp_path: Path) -> MediaStore:
    return make_store(request, tmp_path)


@pytest.fixture(scope="module", params=STORES)
def shared_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> MediaStore:
    """One store per module, for the tests whose calls are all refused: a bucket costs time."""
    return make_store(request, tmp_path_factory.mktemp("store"))


def read_all(store: MediaStore, key: str, start: int, end: int) -> bytes:
    return b"".join(store.read_range(key, start, end))


def a_file(tmp_path: Path, data: bytes, name: str = "source.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- round trips -------------------------------------------------------------------------------


def test_put_bytes_round_trips(media_store: MediaStore) -> None:
    stored = media_store.put_bytes(TRACK, DATA, content_type="audio/ogg")
    assert stored.key == TRACK
    assert stored.size == len(DATA)
    assert stored.content_type == "audio/ogg"
    assert stored.etag
    assert media_store.stat(TRACK) == stored
    assert read_all(media_store, TRACK, 0, len(DATA) - 1) == DATA


def test_put_file_round_trips(media_store: MediaStore, tmp_path: Path) -> None:
    key = "audio/ab/cd/abcdTrack/lossless.flac"
    stored = media_store.put_file(key, a_file(tmp_path, DATA), content_type="audio/flac")
    assert (stored.key, stored.size, stored.content_type) == (key, len(DATA), "audio/flac")
    assert media_store.stat(key) == stored
    assert read_all(media_store, key, 0, len(DATA) - 1) == DATA


def test_empty_object(media_store: MediaStore) -> None:
    stored = media_store.put_bytes("covers/ab/empty.png", b"", content_type="image/png")
    assert stored.size == 0
    assert media_store.stat("covers/ab/empty.png") == stored
    assert read_all(media_store, "covers/ab/empty.png", 0, 0) == b""


@pytest.mark.parametrize(
    ("key", "content_type"),
    [
        ("audio/ab/cd/t/96.ogg", "audio/ogg"),
        ("audio/ab/cd/t/lossless.flac", "audio/flac"),
        ("covers/ab/cover.jpg", "image/jpeg"),
        ("covers/ab/cover.png", "image/png"),
        ("covers/ab/cover.webp", "image/webp"),
    ],
)
def test_content_type_is_reported(media_store: MediaStore, key: str, content_type: str) -> None:
    assert media_store.put_bytes(key, b"x", content_type=content_type).content_type == content_type
    stored = media_store.stat(key)
    assert stored is not None
    assert stored.content_type == content_type


def test_etag_is_stable_and_changes_with_the_content(
    media_store: MediaStore, tmp_path: Path
) -> None:
    first = media_store.put_bytes(TRACK, b"a" * 1000, content_type="audio/ogg")
    assert media_store.stat(TRACK) == first
    assert media_store.stat(TRACK) == first
    same_size = media_store.put_bytes(TRACK, b"b" * 1000, content_type="audio/ogg")
    longer = media_store.put_file(TRACK, a_file(tmp_path, b"c" * 1001), content_type="audio/ogg")
    assert len({first.etag, same_size.etag, longer.etag}) == 3
    assert media_store.stat(TRACK) == longer
    assert read_all(media_store, TRACK, 0, 5000) == b"c" * 1001


def test_unicode_key(media_store: MediaStore) -> None:
    key = "covers/bj/Björk-Ætlar.jpg"
    media_store.put_bytes(key, b"cover", content_type="image/jpeg")
    assert list(media_store.keys("covers/bj/")) == [key]
    assert read_all(media_store, key, 0, 4) == b"cover"


# --- ranges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(0, len(DATA) - 1, id="whole"),
        pytest.param(1000, 300_000, id="middle"),
        pytest.param(CHUNK_SIZE - 1, CHUNK_SIZE, id="across-a-chunk-boundary"),
        pytest.param(0, 0, id="first-byte"),
        pytest.param(777, 777, id="single-byte"),
        pytest.param(len(DATA) - 1, len(DATA) - 1, id="last-byte"),
    ],
)
def test_read_range(media_store: MediaStore, start: int, end: int) -> None:
    media_store.put_bytes(TRACK, DATA, content_type="audio/ogg")
    chunks = list(media_store.read_range(TRACK, start, end))
    assert b"".join(chunks) == DATA[start : end + 1]
    assert all(0 < len(chunk) <= CHUNK_SIZE for chunk in chunks)


def test_a_range_past_the_end_is_clamped(media_store: MediaStore) -> None:
    media_store.put_bytes(TRACK, b"0123456789", content_type="audio/ogg")
    assert read_all(media_store, TRACK, 7, 1_000_000) == b"789"
    assert read_all(media_store, TRACK, 10, 20) == b""


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 4)])
def test_an_inverted_or_negative_range_is_refused(
    shared_store: MediaStore, start: int, end: int
) -> None:
    shared_store.put_bytes(TRACK, b"0123456789", content_type="audio/ogg")
    with pytest.raises(ValueError, match="range"):
        shared_store.read_range(TRACK, start, end)


def test_an_unread_range_can_be_dropped(media_store: MediaStore) -> None:
    """Neither a file nor a connection is left open (filterwarnings=error would catch it)."""
    media_store.put_bytes(TRACK, DATA, content_type="audio/ogg")
    chunks = media_store.read_range(TRACK, 0, len(DATA) - 1)
    del chunks
    partly = media_store.read_range(TRACK, 0, len(DATA) - 1)
    assert len(next(partly)) == CHUNK_SIZE
    del partly
    assert read_all(media_store, TRACK, 0, 9) == DATA[:10]


# --- absent keys and deletes -------------------------------------------------------------------


def test_an_unknown_key(media_store: MediaStore) -> None:
    assert media_store.stat("audio/no/ne/none/160.ogg") is None
    with pytest.raises(KeyError):
        media_store.read_range("audio/no/ne/none/160.ogg", 0, 10)  # at once, not when read
    media_store.delete("audio/no/ne/none/160.ogg")


def test_a_folder_is_not_an_object(media_store: MediaStore) -> None:
    media_store.put_bytes(TRACK, b"x", content_type="audio/ogg")
    assert media_store.stat("audio/ab") is None
    with pytest.raises(KeyError):
        media_store.read_range("audio/ab", 0, 10)
    media_store.delete("audio/ab")
    assert media_store.stat(TRACK) is not None


def test_delete_is_idempotent(media_store: MediaStore) -> None:
    media_store.put_bytes(TRACK, b"x", content_type="audio/ogg")
    media_store.delete(TRACK)
    assert media_store.stat(TRACK) is None
    with pytest.raises(KeyError):
        media_store.read_range(TRACK, 0, 0)
    media_store.delete(TRACK)
    assert list(media_store.keys("")) == []


def test_a_failed_put_stores_nothing(media_store: MediaStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        media_store.put_file(TRACK, tmp_path / "missing.ogg", content_type="audio/ogg")
    assert media_store.stat(TRACK) is None
    assert list(media_store.keys("")) == []


# --- listing -----------------------------------------------------------------------------------


def test_keys_by_prefix(media_store: MediaStore) -> None:
    keys = [
        "audio/ab/cd/abcd1/160.ogg",
        "audio/ab/cd/abcd1/320.ogg",
        "audio/ab/ce/abce1/160.ogg",
        "audio/ac/dd/acdd1/lossless.flac",
        "covers/ab/abcd1.jpg",
    ]
    for key in keys:
        media_store.put_bytes(key, key.encode(), content_type="application/octet-stream")
    assert sorted(media_store.keys("")) == keys
    assert sorted(media_store.keys("audio/")) == keys[:4]
    assert sorted(media_store.keys("audio/ab/")) == keys[:3]
    assert sorted(media_store.keys("audio/ab/cd/abcd1/")) == keys[:2]
    assert sorted(media_store.keys("audio/a")) == keys[:4]  # a prefix, not only a folder
    assert sorted(media_store.keys("audio/ab/cd/abcd1/3")) == keys[1:2]
    assert sorted(media_store.keys("covers/ab/abcd1.jpg")) == keys[4:]
    assert list(media_store.keys("audio/zz/")) == []
    assert list(media_store.keys("nothing")) == []


# --- keys that could leave the store -----------------------------------------------------------


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_bad_key_is_refused(shared_store: MediaStore, key: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="key"):
        shared_store.put_bytes(key, b"x", content_type="audio/ogg")
    with pytest.raises(ValueError, match="key"):
        shared_store.put_file(key, a_file(tmp_path, b"x"), content_type="audio/ogg")
    with pytest.raises(ValueError, match="key"):
        shared_store.stat(key)
    with pytest.raises(ValueError, match="key"):
        shared_store.read_range(key, 0, 0)
    with pytest.raises(ValueError, match="key"):
        shared_store.delete(key)
    with pytest.raises(ValueError, match="key"):
        shared_store.local_path(key)


@pytest.mark.parametrize("prefix", ["/", "../", "audio/../", "audio//", "a\\b", ".", "audio/."])
def test_a_bad_prefix_is_refused(shared_store: MediaStore, prefix: str) -> None:
    with pytest.raises(ValueError, match="key"):
        shared_store.keys(prefix)


def test_local_traversal_never_touches_outside_files(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    outside = tmp_path / "outside.ogg"
    outside.write_bytes(b"secret")
    for key in ("../outside.ogg", "audio/../../outside.ogg", str(outside)):
        with pytest.raises(ValueError, match="key"):
            store.read_range(key, 0, 5)
        with pytest.raises(ValueError, match="key"):
            store.put_bytes(key, b"overwritten", content_type="audio/ogg")
        with pytest.raises(ValueError, match="key"):
            store.delete(key)
    assert outside.read_bytes() == b"secret"


# --- atomic overwrite --------------------------------------------------------------------------


@pytest.mark.slow
def test_a_reader_never_sees_a_partial_overwrite(media_store: MediaStore, tmp_path: Path) -> None:
    size = 4 * 1024 * 1024
    versions = [bytes([letter]) * size for letter in b"ab"]
    sources = [a_file(tmp_path, version, f"{i}.ogg") for i, version in enumerate(versions)]
    media_store.put_file(TRACK, sources[0], content_type="audio/ogg")
    stop = threading.Event()
    puts: list[StoredObject] = []
    failures: list[BaseException] = []

    def overwrite() -> None:
        try:
            while not stop.is_set():
                source = sources[(len(puts) + 1) % 2]
                puts.append(media_store.put_file(TRACK, source, content_type="audio/ogg"))
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)

    writer = threading.Thread(target=overwrite)
    writer.start()
    reads = 0
    deadline = time.monotonic() + 10
    try:
        while (len(puts) < 4 or reads < 8) and time.monotonic() < deadline and not failures:
            content = read_all(media_store, TRACK, 0, size - 1)
            whole = content in versions  # not in the assert: pytest would print 4 MiB
            assert whole, f"a read of {len(content)} bytes is not one whole version"
            reads += 1
    finally:
        stop.set()
        writer.join()
    assert not failures
    assert len(puts) >= 4
    assert all(stored.size == size for stored in puts)


# --- local_path --------------------------------------------------------------------------------


def test_a_local_path_holds_the_current_version(media_store: MediaStore, tmp_path: Path) -> None:
    """Where a store gives a local file, it is the object as it is now, after every write."""
    media_store.put_bytes(TRACK, DATA, content_type="audio/ogg")
    path = media_store.local_path(TRACK)
    if path is None:  # a remote store without a local copy: reads go through read_range
        assert b"".join(media_store.read_range(TRACK, 0, len(DATA) - 1)) == DATA
        return
    assert path.read_bytes() == DATA
    assert b"".join(media_store.read_range(TRACK, 0, len(DATA) - 1)) == DATA
    media_store.put_file(TRACK, a_file(tmp_path, b"replaced"), content_type="audio/ogg")
    replaced = media_store.local_path(TRACK)
    assert replaced is not None and replaced.read_bytes() == b"replaced"
    stored = media_store.stat(TRACK)
    assert stored is not None and stored.size == len(b"replaced")


def test_local_path_is_the_file(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    store.put_bytes(TRACK, DATA, content_type="audio/ogg")
    path = store.local_path(TRACK)
    assert path is not None
    assert path.is_file()
    assert path.read_bytes() == DATA
    assert path.is_relative_to(tmp_path / "media")


def test_local_store_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    for version in (b"one", b"two", b"three"):
        store.put_bytes(TRACK, version, content_type="audio/ogg")
    folder = (tmp_path / "media").joinpath(*TRACK.split("/")[:-1])
    assert [path.name for path in folder.iterdir()] == ["160.ogg"]
    assert (folder / "160.ogg").stat().st_mode & 0o777 == 0o644


def test_local_store_derives_the_content_type_from_the_extension(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    assert store.put_bytes("a/b.ogg", b"x", content_type="audio/flac").content_type == "audio/ogg"
    assert store.put_bytes("a/b", b"x", content_type="audio/ogg").content_type == (
        "application/octet-stream"
    )


@pytest.mark.s3
def test_s3_has_no_local_path(s3_store_factory: S3StoreFactory) -> None:
    store = s3_store_factory()
    store.put_bytes(TRACK, b"x", content_type="audio/ogg")
    assert store.local_path(TRACK) is None


@pytest.mark.s3
def test_s3_multipart_upload(s3_store_factory: S3StoreFactory, tmp_path: Path) -> None:
    """A file past the multipart threshold is uploaded in parts and reads back whole."""
    threshold = 5 * 1024 * 1024  # S3's smallest part
    store = s3_store_factory(multipart_threshold=threshold)
    data = os.urandom(threshold + 1024 * 1024)
    stored = store.put_file(TRACK, a_file(tmp_path, data), content_type="audio/ogg")
    assert stored.size == len(data)
    assert "-" in stored.etag  # a multipart ETag: the md5 of the parts' md5s, a dash, the count
    assert store.stat(TRACK) == stored
    assert read_all(store, TRACK, 0, len(data) - 1) == data
