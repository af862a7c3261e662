"""The backup's manifest, archive checks, snapshot copies and the restored-instance check."""

import hashlib
import io
import json
import sqlite3
import tarfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from encore.adapters.backup.archive import ArchiveWriter, verify
from encore.adapters.backup.snapshot import copy_sqlite, snapshot
from encore.adapters.media.local import LocalMediaStore
from encore.adapters.search.tantivy_index import TantivySearchIndex
from encore.backup.check import CountMismatch, MediaProblem, check
from encore.backup.manifest import (
    MAGIC,
    MAGIC_NAME,
    Entry,
    Manifest,
    MediaEntry,
    NotABackup,
    safe_relative_path,
)
from encore.backup.plan import Part, PartKind
from encore.search.model import Kind, SearchDocument

SHA = "ab" * 32
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _manifest(**overrides: object) -> Manifest:
    fields: dict[str, object] = {
        "encore_version": "0.1.0",
        "schema_revision": "0006",
        "created_at": NOW,
        "entries": (Entry("encore.db", 10, SHA),),
        "media": (MediaEntry("audio/a.ogg", 3, SHA),),
        "media_included": False,
        "row_counts": {"users": 2},
        "event_count": 7,
    }
    fields.update(overrides)
    return Manifest(**fields)  # type: ignore[arg-type]


def test_a_manifest_reads_back_as_written() -> None:
    manifest = _manifest()
    assert Manifest.from_json(manifest.to_json()) == manifest


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(format=2),
        lambda d: d.pop("entries"),
        lambda d: d["entries"][0].update(sha256="xyz"),
        lambda d: d["entries"][0].update(size=-1),
        lambda d: d["entries"][0].update(extra=1),
        lambda d: d["media"].append("audio/b.ogg"),
        lambda d: d.update(created_at="yesterday"),
    ],
)
def test_a_damaged_manifest_is_not_a_backup(damage: object) -> None:
    document = json.loads(_manifest().to_json())
    damage(document)  # type: ignore[operator]
    with pytest.raises(NotABackup):
        Manifest.from_json(json.dumps(document).encode())
    with pytest.raises(NotABackup):
        Manifest.from_json(b"[1, 2]")


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        ("encore.db", True),
        ("media/audio/ab/x.ogg", True),
        ("", False),
        ("/etc/passwd", False),
        ("../outside", False),
        ("a/../../b", False),
        ("a//b", False),
        ("a\\b", False),
    ],
)
def test_safe_relative_paths(path: str, safe: bool) -> None:
    assert safe_relative_path(path) is safe


def _tar(path: Path, members: list[tuple[str, bytes]]) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _manifest_of(members: list[tuple[str, bytes]]) -> bytes:
    entries = tuple(
        Entry(name.removeprefix("data/"), len(data), hashlib.sha256(data).hexdigest())
        for name, data in members
    )
    return _manifest(entries=entries, media=()).to_json()


def test_an_archive_written_whole_verifies(tmp_path: Path) -> None:
    path = tmp_path / "ok.backup"
    with ArchiveWriter(path) as archive:
        entry = archive.add_file("encore.db", io.BytesIO(b"hello"), size=5)
        archive.commit(_manifest(entries=(entry,), media=()))
    assert verify(path).entries == (Entry("encore.db", 5, hashlib.sha256(b"hello").hexdigest()),)
    assert [p.name for p in tmp_path.iterdir()] == ["ok.backup"]


def test_an_archive_left_without_a_commit_leaves_nothing(tmp_path: Path) -> None:
    def interrupted() -> None:
        with ArchiveWriter(tmp_path / "never.backup") as archive:
            archive.add_file("encore.db", io.BytesIO(b"hello"), size=5)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert list(tmp_path.iterdir()) == []


def test_a_source_shorter_than_announced_fails_the_backup(tmp_path: Path) -> None:
    short = tmp_path / "short.backup"
    with pytest.raises(OSError, match="unexpected end of data"), ArchiveWriter(short) as archive:
        archive.add_file("encore.db", io.BytesIO(b"hel"), size=5)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("data/../escape", b"x")], "unsafe name"),
        ([("elsewhere/file", b"x")], "unsafe name"),
        ([("data/a", b"x"), ("data/a", b"x")], "twice"),
    ],
)
def test_archives_with_bad_members_are_refused(
    tmp_path: Path, members: list[tuple[str, bytes]], message: str
) -> None:
    path = tmp_path / "bad.backup"
    _tar(path, [(MAGIC_NAME, MAGIC), *members, ("manifest.json", _manifest_of(members[:1]))])
    with pytest.raises(NotABackup, match=message):
        verify(path)


def test_members_after_the_manifest_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.backup"
    members = [("data/a", b"x")]
    _tar(path, [(MAGIC_NAME, MAGIC), *members, ("manifest.json", _manifest_of(members)), *members])
    with pytest.raises(NotABackup, match="after its manifest"):
        verify(path)


def test_a_member_missing_from_the_manifest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.backup"
    members = [("data/a", b"x"), ("data/b", b"y")]
    _tar(path, [(MAGIC_NAME, MAGIC), *members, ("manifest.json", _manifest_of(members[:1]))])
    with pytest.raises(NotABackup, match="does not hold what its manifest lists"):
        verify(path)


def test_the_sqlite_copy_is_consistent_while_another_connection_writes(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    writer = sqlite3.connect(source, check_same_thread=False, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE pairs (n INTEGER PRIMARY KEY, twin INTEGER NOT NULL)")
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            # Two rows per transaction: a copy that saw half of one would hold an odd count.
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO pairs VALUES (?, ?)", (2 * n, 2 * n + 1))
            writer.execute("INSERT INTO pairs VALUES (?, ?)", (2 * n + 1, 2 * n))
            writer.execute("COMMIT")
            n += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        for attempt in range(5):
            copy = tmp_path / f"copy-{attempt}.db"
            copy_sqlite(source, copy)
            with sqlite3.connect(copy) as database:
                assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                assert database.execute("PRAGMA journal_mode").fetchone() == ("delete",)
                count = database.execute("SELECT count(*) FROM pairs").fetchone()[0]
                assert count % 2 == 0
            assert not copy.with_name(copy.name + "-wal").exists()
    finally:
        stop.set()
        thread.join()
        writer.close()


def _document(n: int) -> SearchDocument:
    return SearchDocument(kind=Kind.ARTIST, id=f"artist{n:017d}", name=f"Artist {n}")


def test_the_search_index_copy_is_one_whole_commit(tmp_path: Path) -> None:
    live = tmp_path / "data"
    index = TantivySearchIndex(live / "search" / "tantivy")
    index.upsert([_document(n) for n in range(50)])
    stop = threading.Event()

    def write() -> None:
        n = 50
        while not stop.is_set():
            index.upsert([_document(n)])
            n += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        snapshot(live, Part("search/tantivy", PartKind.SEARCH_INDEX), tmp_path / "copy")
    finally:
        stop.set()
        thread.join()
        index.close()
    copied = TantivySearchIndex(tmp_path / "copy" / "search" / "tantivy")
    try:
        assert copied.count() >= 50
    finally:
        copied.close()


def test_only_complete_model_versions_are_copied(tmp_path: Path) -> None:
    models = tmp_path / "data" / "models"
    (models / "v1").mkdir(parents=True)
    (models / "v1" / "model.npz").write_bytes(b"vectors")
    (models / "v1" / "COMPLETE").write_text("hybrid")
    (models / "v2").mkdir()
    (models / "v2" / "model.npz").write_bytes(b"half")
    (models / ".tmp-v3").mkdir()
    snapshot(tmp_path / "data", Part("models", PartKind.MODELS), tmp_path / "copy")
    assert sorted(p.name for p in (tmp_path / "copy" / "models").iterdir()) == ["v1"]


def test_check_compares_counts_schema_and_media(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    store.put_bytes("audio/good.ogg", b"good", content_type="audio/ogg")
    store.put_bytes("audio/changed.ogg", b"evil", content_type="audio/ogg")
    store.put_bytes("audio/short.ogg", b"abc", content_type="audio/ogg")
    sample = [
        MediaEntry("audio/good.ogg", 4, hashlib.sha256(b"good").hexdigest()),
        MediaEntry("audio/changed.ogg", 4, hashlib.sha256(b"good").hexdigest()),
        MediaEntry("audio/short.ogg", 4, SHA),
        MediaEntry("audio/gone.ogg", 4, SHA),
    ]
    report = check(
        row_counts={"users": 2, "tracks": 4},
        schema_revision="0006",
        code_revision="0006",
        media=store,
        sample=sample,
        manifest=_manifest(row_counts={"users": 2, "tracks": 5, "wrapped": 1}),
    )
    assert report.count_mismatches == [
        CountMismatch("tracks", 5, 4),
        CountMismatch("wrapped", 1, None),
    ]
    assert report.media_checked == 4
    assert report.media_problems == [
        MediaProblem("audio/changed.ogg", "checksum differs"),
        MediaProblem("audio/short.ogg", "3 bytes, expected 4"),
        MediaProblem("audio/gone.ogg", "missing"),
    ]
    assert not report.ok
    clean = check(
        row_counts={"users": 2},
        schema_revision="0005",
        code_revision="0006",
        media=store,
        sample=sample[:1],
    )
    assert not clean.schema_ok and not clean.ok
    assert check(
        row_counts={}, schema_revision="0006", code_revision="0006", media=store, sample=sample[:1]
    ).ok
