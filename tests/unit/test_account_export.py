"""The export archive: a valid zip with every section as JSON and CSV, produced as a stream whose
memory stays bounded however long the listening history (a million plays here)."""

import csv
import io
import json
import tracemalloc
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from encore.account_data.archive import csv_lines, json_array_lines
from encore.account_data.export import SECTIONS, archive
from encore.account_data.model import (
    OwnedPlaylist,
    PlaylistFate,
    PlaylistOutcome,
    fate_of,
)
from encore.account_data.ports import Record

START = datetime(2026, 1, 1, tzinfo=UTC)


class GeneratedSource:
    """An `ExportSource` whose history is generated as it is read: `plays` of them."""

    def __init__(self, plays: int) -> None:
        self.plays = plays
        self.largest_batch = 0

    def profile(self, user_id: str) -> Record | None:
        return {"id": user_id, "email": "ada@example.com", "created_at": START}

    def records(self, section: str, user_id: str, *, batch: int) -> Iterator[Sequence[Record]]:
        if section == "history":
            for first in range(0, self.plays, batch):
                rows = [
                    {
                        "listened_at": START + timedelta(seconds=n),
                        "track_id": f"track{n % 5000:017d}",
                        "track": f"Song {n % 5000}",
                        "duration_played_ms": 180_000,
                        "completed": n % 7 != 0,
                        "skipped": n % 7 == 0,
                        "context_type": None,
                        "context_id": None,
                        "device": "web",
                        "received_at": START + timedelta(seconds=n),
                        "event_id": f"e{n:020d}",
                    }
                    for n in range(first, min(first + batch, self.plays))
                ]
                self.largest_batch = max(self.largest_batch, len(rows))
                yield rows
        elif section == "playlists":
            yield [{"id": "p1", "role": "owner", "name": 'Mix, "quoted"', "public": False}]
        elif section == "likes":
            yield [{"liked_at": START, "track_id": "t1", "track": "Song", "artists": ["A", "B"]}]

    def playlist_tracks(self, playlist_id: str, user_id: str) -> Sequence[Record]:
        return [
            {"position": 0, "track_id": "t1", "added_by": None, "added_by_name": "deleted user"}
        ]

    def wrapped(self, user_id: str) -> Iterator[tuple[int, bytes]]:
        yield 2026, b'{"minutes": 12}'


def build(source: GeneratedSource, batch: int = 5_000) -> bytes:
    return b"".join(
        archive(
            source,
            user_id="u1",
            profile=source.profile("u1") or {},
            now_playing=None,
            exported_at=START,
            batch=batch,
        )
    )


def test_every_section_as_json_and_csv_with_a_readme() -> None:
    data = build(GeneratedSource(plays=12_345), batch=1_000)
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        assert zipped.testzip() is None
        names = set(zipped.namelist())
        for section in SECTIONS:
            assert {f"{section.name}.json", f"{section.name}.csv"} <= names
            assert section.name in zipped.read("README.txt").decode()
        history = list(csv.DictReader(io.StringIO(zipped.read("history.csv").decode())))
        assert len(history) == 12_345
        assert history[0]["listened_at"] == "2026-01-01T00:00:00+00:00"
        assert history[1]["skipped"] == "false" and history[0]["skipped"] == "true"
        assert len(json.loads(zipped.read("history.json"))) == 12_345
        (playlist,) = json.loads(zipped.read("playlists.json"))
        assert playlist["tracks"][0]["added_by_name"] == "deleted user"
        liked = list(csv.reader(io.StringIO(zipped.read("likes.csv").decode())))
        assert liked[1][3] == "A; B"
        assert json.loads(zipped.read("ratings.json")) == []
        assert zipped.read("wrapped/2026.json") == b'{"minutes": 12}'
        assert json.loads(zipped.read("now_playing.json")) is None


def test_json_and_csv_writers_stream_batch_by_batch() -> None:
    batches = [[{"a": 1, "b": "x,y"}], [], [{"a": 2, "b": None}]]
    assert json.loads(b"".join(json_array_lines(batches))) == [
        {"a": 1, "b": "x,y"},
        {"a": 2, "b": None},
    ]
    assert json.loads(b"".join(json_array_lines([]))) == []
    text = b"".join(csv_lines(("a", "b"), batches)).decode()
    assert text == 'a,b\n1,"x,y"\n2,\n'


@pytest.mark.slow
@pytest.mark.timeout(900)  # tracemalloc slows every allocation several times over
def test_a_million_plays_are_exported_in_bounded_memory() -> None:
    plays = 1_000_000
    source = GeneratedSource(plays)
    chunks = archive(
        source,
        user_id="u1",
        profile=source.profile("u1") or {},
        now_playing=None,
        exported_at=START,
    )
    total = 0
    tracemalloc.start()
    try:
        for chunk in chunks:  # sent on and dropped, as a socket would
            total += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The history alone is some 400 MB of JSON and CSV before compression; what the export
    # holds at once is a batch of rows and a chunk of output.
    assert source.largest_batch == 5_000
    assert total > 20_000_000
    assert peak < 16_000_000, f"peak {peak / 1e6:.1f} MB"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_million_plays_make_a_valid_zip_with_every_row(tmp_path: object) -> None:
    from pathlib import Path

    target = Path(str(tmp_path)) / "export.zip"
    source = GeneratedSource(1_000_000)
    with target.open("wb") as file:
        for chunk in archive(
            source, user_id="u1", profile={"email": "a"}, now_playing=None, exported_at=START
        ):
            file.write(chunk)
    with zipfile.ZipFile(target) as zipped:
        with zipped.open("history.csv") as history:
            lines = sum(1 for _ in io.TextIOWrapper(history, encoding="utf-8"))
        assert lines == 1_000_000 + 1  # and the header
        info = zipped.getinfo("history.json")
        assert info.file_size > 100_000_000  # ZIP64 sizes, read back from the stream's records
        with zipped.open("history.json") as history:
            tail = history.read()[-200:]
        assert tail.rstrip().endswith(b"}\n]") or tail.rstrip().endswith(b"]")


def test_what_becomes_of_a_deleted_listeners_playlists() -> None:
    shared = OwnedPlaylist(
        "p1", public=False, collaborative=True, collaborators=["b", "c"], followers=0
    )
    assert fate_of(shared) == PlaylistOutcome("p1", PlaylistFate.TRANSFERRED, "b")
    followed = OwnedPlaylist("p2", public=True, collaborative=False, collaborators=[], followers=3)
    assert fate_of(followed).fate is PlaylistFate.KEPT_OWNERLESS
    private_followed = OwnedPlaylist("p3", False, False, collaborators=[], followers=2)
    assert fate_of(private_followed).fate is PlaylistFate.DELETED
    alone = OwnedPlaylist("p4", public=True, collaborative=False, collaborators=[], followers=0)
    assert fate_of(alone).fate is PlaylistFate.DELETED
