"""The import's orchestration with a fake tag reader and transcoder: what lands in the catalog,
idempotent re-runs, updates, failures that spare the rest, and interrupted runs."""

import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from encore.adapters.media.local import LocalMediaStore
from encore.adapters.sql.engine import make_engine
from encore.adapters.sql.migrate import upgrade
from encore.adapters.sql.tables import liked_tracks, users
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.adapters.transcode.sqlite_queue import SqliteTranscodeQueue
from encore.catalog.audio import AudioTags, CoverArt, RenditionSpec, UnreadableAudio
from encore.catalog.import_summary import Status
from encore.catalog.importer import AudioImporter, id_from_hash
from encore.catalog.model import Album, AlbumType, Artist, Quality, Track
from encore.catalog.naming import sort_name
from encore.catalog.service import CatalogService
from encore.catalog.transcode_worker import TranscodeWorker
from encore.catalog.transcoding import QueuePolicy
from encore.ids import new_id
from tests.builders import make_user

BASE = AudioTags(
    title="Under Pressure", artists=("Queen", "David Bowie"), album="Hot Space",
    album_artists=("Queen",), track_number=11, disc_number=1, date="1982-05", genres=("rock",),
    isrc="GBUM71029604", musicbrainz_track_id=None, musicbrainz_album_id=None,
    musicbrainz_artist_ids=(), explicit=False, duration_ms=248_000, codec="flac",
    bitrate_kbps=None, sample_rate=44100, channels=2, lossless=True,
    cover=CoverArt(b"\xff\xd8\xff fake jpeg", "image/jpeg"),
)  # fmt: skip


class FakeTags:
    """Tags by file name; files whose name starts with 'bad' are unreadable; reading the file
    named `interrupt_on` is a Ctrl-C."""

    def __init__(self) -> None:
        self.by_name: dict[str, AudioTags] = {}
        self.reads = 0
        self.interrupt_on: str | None = None

    def read(self, path: Path) -> AudioTags:
        self.reads += 1
        if path.name == self.interrupt_on:
            raise KeyboardInterrupt
        if path.name.startswith("bad"):
            raise UnreadableAudio("not a recognised audio format")
        return self.by_name.get(path.name, replace(BASE, title=path.stem))


class FakeTranscoder:
    def __init__(self) -> None:
        self.encodes: list[tuple[str, Quality]] = []
        self.corrupt: bytes | None = None  # sources holding exactly this fail every encode
        self.lock = threading.Lock()

    def encode(self, source: Path, target: Path, spec: RenditionSpec) -> None:
        if source.read_bytes() == self.corrupt:
            raise UnreadableAudio("Invalid data found when processing input")
        with self.lock:
            self.encodes.append((source.name, spec.quality))
        target.write_bytes(f"{spec.quality} of {source.read_bytes()!r}".encode())

    def preview(self, source: Path, target: Path, *, start_ms: int, length_ms: int) -> None:
        target.write_bytes(f"preview {start_ms}+{length_ms}".encode())

    def representative_start_ms(self, source: Path, *, duration_ms: int, length_ms: int) -> int:
        return 60_000


@dataclass
class Rig:
    importer: AudioImporter
    tags: FakeTags
    transcoder: FakeTranscoder
    catalog: CatalogService
    uow: SqlUnitOfWorkFactory


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    engine = make_engine(f"sqlite:///{tmp_path / 'encore.db'}")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    tags, transcoder = FakeTags(), FakeTranscoder()
    media = LocalMediaStore(tmp_path / "media")
    queue = SqliteTranscodeQueue(tmp_path / "transcode.db", QueuePolicy(backoff_base_s=0.05))
    worker = TranscodeWorker(
        queue=queue,
        transcoder=transcoder,
        media=media,
        uow=uow,
        scratch_dir=tmp_path / "scratch",
        heartbeat_s=10.0,
    )
    importer = AudioImporter(uow=uow, tags=tags, queue=queue, media=media, worker=worker)
    yield Rig(importer, tags, transcoder, CatalogService(uow=uow), uow)
    queue.close()


def _library(root: Path, count: int) -> Path:
    root.mkdir()
    for n in range(count):
        (root / f"track{n:02}.flac").write_bytes(f"audio {n}".encode())
    (root / "notes.txt").write_text("not audio")
    return root


def test_import_builds_the_catalog_and_the_ladder(rig: Rig, tmp_path: Path) -> None:
    importer = rig.importer
    transcoder = rig.transcoder
    catalog = rig.catalog
    uow = rig.uow
    library = _library(tmp_path / "music", 3)
    summary = importer.run([library], jobs=2)
    assert [o.status for o in summary.outcomes] == [Status.IMPORTED] * 3
    track_id = summary.outcomes[0].track_id
    assert track_id == id_from_hash(hashlib.sha256(b"audio 0").hexdigest())
    detail = catalog.get_track(track_id)
    assert detail.track.title == "track00"
    assert [a.name for a in detail.artists] == ["Queen", "David Bowie"]
    assert detail.album.name == "Hot Space"
    album = catalog.get_album(detail.album.id)
    assert album.album.total_tracks == 3
    assert album.album.release_date_text == "1982-05"
    assert album.album.cover_art_path is not None
    assert [a.name for a in album.artists] == ["Queen"]
    with uow(readonly=True) as unit:
        renditions = unit.renditions.list_for_track(track_id)
    assert [r.quality for r in renditions] == list(Quality)
    assert renditions[0].path == f"audio/{track_id[:2]}/{track_id[2:4]}/{track_id}/24.ogg"
    assert renditions[4].path.endswith("/lossless.flac")
    assert renditions[5].path.endswith("/preview.ogg")
    assert (tmp_path / "media" / renditions[0].path).exists()
    assert len(transcoder.encodes) == 15
    # One artist and one album, though three workers wrote at once.
    assert len(catalog.get_artist(detail.artists[0].id).albums) == 1
    assert not list((tmp_path / "scratch").iterdir())


def test_rerun_transcodes_nothing(rig: Rig, tmp_path: Path) -> None:
    importer = rig.importer
    tags = rig.tags
    transcoder = rig.transcoder
    library = _library(tmp_path / "music", 2)
    importer.run([library], jobs=1)
    encodes, reads = len(transcoder.encodes), tags.reads
    again = importer.run([library], jobs=1)
    assert [o.status for o in again.outcomes] == [Status.UNCHANGED] * 2
    assert (len(transcoder.encodes), tags.reads) == (encodes, reads)
    # Touched but not changed: hashed again, still nothing re-encoded.
    os.utime(library / "track00.flac", ns=(1, 1))
    touched = importer.run([library], jobs=1)
    assert touched.count(Status.UNCHANGED) == 2
    assert len(transcoder.encodes) == encodes


def test_changed_file_updates_its_track(rig: Rig, tmp_path: Path) -> None:
    importer = rig.importer
    tags = rig.tags
    catalog = rig.catalog
    library = _library(tmp_path / "music", 1)
    first = importer.run([library], jobs=1).outcomes[0]
    tags.by_name["track00.flac"] = replace(BASE, title="Under Pressure (Remastered)")
    (library / "track00.flac").write_bytes(b"remastered audio")
    second = importer.run([library], jobs=1).outcomes[0]
    assert second.status is Status.UPDATED
    assert second.track_id == first.track_id
    assert catalog.get_track(first.track_id).track.title == "Under Pressure (Remastered)"


def test_a_copy_of_a_known_recording_is_not_imported_twice(rig: Rig, tmp_path: Path) -> None:
    importer = rig.importer
    transcoder = rig.transcoder
    library = _library(tmp_path / "music", 1)
    importer.run([library], jobs=1)
    copy = tmp_path / "copy.flac"
    copy.write_bytes((library / "track00.flac").read_bytes())
    encodes = len(transcoder.encodes)
    outcome = importer.run([copy], jobs=1).outcomes[0]
    assert outcome.status is Status.UNCHANGED
    assert len(transcoder.encodes) == encodes


def test_failures_are_reported_and_spare_the_rest(rig: Rig, tmp_path: Path) -> None:
    importer = rig.importer
    library = _library(tmp_path / "music", 2)
    (library / "bad.mp3").write_bytes(b"\x00" * 10)
    (library / "loop").symlink_to(library / "loop")
    summary = importer.run([library, tmp_path / "missing"], jobs=2)
    reasons = {Path(o.path).name: o.reason for o in summary.failures}
    assert reasons["bad.mp3"] == "not a recognised audio format"
    assert reasons["loop"] == "symbolic link loop"
    assert reasons["missing"] == "no such file or directory"
    assert summary.count(Status.IMPORTED) == 2
    assert summary.succeeded


def test_nothing_importable_is_a_failed_run(rig: Rig, tmp_path: Path) -> None:
    importer = rig.importer
    (tmp_path / "bad.ogg").write_bytes(b"junk")
    summary = importer.run([tmp_path / "bad.ogg"], jobs=1)
    assert not summary.succeeded


def test_an_interrupted_run_is_completed_by_the_next(rig: Rig, tmp_path: Path) -> None:
    library = _library(tmp_path / "music", 3)
    rig.tags.interrupt_on = "track02.flac"
    with pytest.raises(KeyboardInterrupt):
        rig.importer.run([library], jobs=1)
    rig.tags.interrupt_on = None
    again = rig.importer.run([library], jobs=2)
    assert not again.failures
    paths = [str(path) for path in sorted(library.glob("*.flac"))]
    with rig.uow(readonly=True) as unit:
        track_ids = {source.track_id for source in unit.import_sources.get_many(paths).values()}
        playable = unit.renditions.track_ids()
    assert len(track_ids) == 3
    assert track_ids <= playable
    # Jobs are done: no source is left waiting in the media store.
    assert not list((tmp_path / "media" / "sources").rglob("source*"))


def test_a_transcode_failing_every_attempt_is_reported_and_spares_the_rest(
    rig: Rig, tmp_path: Path
) -> None:
    library = _library(tmp_path / "music", 3)
    rig.transcoder.corrupt = b"audio 1"
    summary = rig.importer.run([library], jobs=2)
    (failure,) = summary.failures
    assert Path(failure.path).name == "track01.flac"
    assert failure.reason == "transcoding failed: Invalid data found when processing input"
    assert summary.count(Status.IMPORTED) == 2
    with rig.uow(readonly=True) as unit:
        bad = unit.tracks.get_by_content_hash(hashlib.sha256(b"audio 1").hexdigest())
        assert bad is not None
        assert not unit.renditions.list_for_track(bad.id)  # cataloged, not playable
    # Once the source is fixed (here: the encoder), the next run transcodes it.
    rig.transcoder.corrupt = None
    again = rig.importer.run([library], jobs=2)
    assert sorted(o.status for o in again.outcomes) == [
        Status.IMPORTED,
        Status.UNCHANGED,
        Status.UNCHANGED,
    ]


def test_sort_names() -> None:
    assert sort_name("The Beatles") == "Beatles, The"
    assert sort_name("The") == "The"
    assert sort_name("Queen") == "Queen"


def test_updating_a_track_keeps_what_refers_to_it(rig: Rig, tmp_path: Path) -> None:
    library = _library(tmp_path / "music", 1)
    track_id = rig.importer.run([library], jobs=1).outcomes[0].track_id
    listener = make_user()
    with rig.uow.engine.begin() as connection:
        connection.execute(
            insert(users).values(**{**asdict(listener), "plan": listener.plan.value})
        )
        connection.execute(
            insert(liked_tracks).values(
                user_id=listener.id, track_id=track_id, liked_at=listener.created_at
            )
        )
    (library / "track00.flac").write_bytes(b"remastered audio")
    assert rig.importer.run([library], jobs=1).outcomes[0].status is Status.UPDATED
    with rig.uow.engine.connect() as connection:
        likes = connection.execute(select(func.count()).select_from(liked_tracks)).scalar_one()
    assert likes == 1
    with rig.uow(readonly=True) as unit:
        assert len(unit.renditions.list_for_track(track_id)) == 6


def _metadata_only_track(rig: Rig, *, title: str, isrc: str | None, duration_ms: int) -> str:
    """A track as a feed leaves it: metadata, popularity and licences, no audio."""
    with rig.uow() as unit:
        artist = Artist(id=new_id(), name="QUEEN", sort_name="QUEEN")
        album = Album(
            id=new_id(), name="Greatest Hits", album_type=AlbumType.ALBUM, artist_ids=(artist.id,)
        )
        unit.artists.add(artist)
        unit.albums.add(album)
        track = Track(
            id=new_id(),
            album_id=album.id,
            title=title,
            duration_ms=duration_ms,
            artist_ids=(artist.id,),
            isrc=isrc,
            popularity=77,
            available_countries=frozenset({"GB", "US"}),
        )
        unit.tracks.add(track)
        unit.commit()
    return track.id


def test_audio_arriving_for_a_feed_track_makes_it_streamable(rig: Rig, tmp_path: Path) -> None:
    by_title = _metadata_only_track(rig, title="TRACK00", isrc=None, duration_ms=250_000)
    by_isrc = _metadata_only_track(rig, title="Another Name", isrc="GBAYE0000351", duration_ms=0)
    too_long = _metadata_only_track(rig, title="track02", isrc=None, duration_ms=400_000)
    rig.tags.by_name["track01.flac"] = replace(BASE, title="track01", isrc="GBAYE0000351")
    library = _library(tmp_path / "music", 3)
    outcomes = {Path(o.path).name: o for o in rig.importer.run([library], jobs=2).outcomes}
    assert outcomes["track00.flac"].track_id == by_title
    assert outcomes["track01.flac"].track_id == by_isrc
    assert outcomes["track02.flac"].track_id not in {by_title, by_isrc, too_long}
    detail = rig.catalog.get_track(by_title)
    assert detail.track.title == "track00"  # the file's tags win over the feed's metadata
    assert detail.track.popularity == 77  # but what listening and licences made is kept
    assert detail.track.available_countries == frozenset({"GB", "US"})
    with rig.uow(readonly=True) as unit:
        assert len(unit.renditions.list_for_track(by_title)) == 6
        assert unit.tracks.get(too_long) is not None
        assert unit.renditions.list_for_track(too_long) == []


def test_a_scan_catalogs_now_and_a_later_run_encodes(rig: Rig, tmp_path: Path) -> None:
    library = _library(tmp_path / "music", 2)
    scanned = rig.importer.run([library], jobs=2, transcode=False)
    assert [o.status for o in scanned.outcomes] == [Status.IMPORTED] * 2
    assert rig.transcoder.encodes == []
    track_id = scanned.outcomes[0].track_id
    assert track_id is not None
    assert rig.catalog.get_track(track_id).track.title == "track00"
    with rig.uow(readonly=True) as unit:
        assert unit.renditions.list_for_track(track_id) == []
    assert rig.importer.run([library], jobs=1, transcode=False).count(Status.UNCHANGED) == 2
    encoded = rig.importer.run([library], jobs=2)
    assert [(o.status, o.track_id) for o in encoded.outcomes] == [
        (Status.IMPORTED, outcome.track_id) for outcome in scanned.outcomes
    ]
    assert len(rig.transcoder.encodes) == 10
    with rig.uow(readonly=True) as unit:
        assert len(unit.renditions.list_for_track(track_id)) == 6
    assert rig.importer.run([library], jobs=1).count(Status.UNCHANGED) == 2


def test_copies_in_one_run_are_encoded_once(rig: Rig, tmp_path: Path) -> None:
    library = _library(tmp_path / "music", 2)
    for n in range(3):
        (library / f"copy{n}.flac").write_bytes(b"audio 0")
    (library / "bad-copy.flac").write_bytes(b"audio 0")  # only its name makes the fake fail
    summary = rig.importer.run([library], jobs=2)
    by_name = {Path(o.path).name: o for o in summary.outcomes}
    same = [by_name[name] for name in ("track00.flac", "copy0.flac", "copy1.flac", "copy2.flac")]
    assert sorted(o.status for o in same) == [Status.IMPORTED] + [Status.UNCHANGED] * 3
    assert {o.track_id for o in same} == {id_from_hash(hashlib.sha256(b"audio 0").hexdigest())}
    assert by_name["bad-copy.flac"].status is Status.FAILED
    assert len(rig.transcoder.encodes) == 10  # two recordings, five rungs each
    with rig.uow(readonly=True) as unit:
        sources = unit.import_sources.get_many([str(p) for p in library.glob("copy*.flac")])
    assert {source.track_id for source in sources.values()} == {same[0].track_id}
