"""Catalog feeds (CSV) into the catalog: metadata-only tracks, problem rows reported by line,
repeated rows merged, encodings, and re-imports that update in place."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Table, func, insert, select

from encore.adapters.sql.engine import make_engine
from encore.adapters.sql.migrate import upgrade
from encore.adapters.sql.tables import albums, artists, liked_tracks, tracks
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.feed import FeedImporter
from encore.catalog.import_summary import Status, Summary
from encore.catalog.model import ExternalKind, Quality
from encore.catalog.service import CatalogChange, CatalogService
from tests.builders import NOW, make_album, make_artist, make_rendition, make_user

SPOTIFY = (
    "track_id", "track_name", "track_artist", "track_popularity", "track_album_id",
    "track_album_name", "track_album_release_date", "playlist_name", "playlist_genre",
    "playlist_subgenre", "danceability", "duration_ms",
)  # fmt: skip


def song(track_id: str, title: str, artist: str, **overrides: str) -> list[str]:
    """A row of the Spotify dataset's shape, in `SPOTIFY` order."""
    row = {
        "track_id": track_id,
        "track_name": title,
        "track_artist": artist,
        "track_popularity": "66",
        "track_album_id": f"album-of-{track_id}",
        "track_album_name": f"Album of {title}",
        "track_album_release_date": "2019-06-14",
        "playlist_name": "Pop Remix",
        "playlist_genre": "pop",
        "playlist_subgenre": "dance pop",
        "danceability": "0.748",
        "duration_ms": "194754",
    }
    row.update(overrides)
    return [row[column] for column in SPOTIFY]


def write_feed(
    path: Path,
    rows: list[list[str]],
    *,
    header: tuple[str, ...] = SPOTIFY,
    encoding: str = "utf-8",
) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


@dataclass
class Rig:
    importer: FeedImporter
    catalog: CatalogService
    uow: SqlUnitOfWorkFactory
    changes: list[CatalogChange]

    def count(self, table: Table) -> int:
        with self.uow.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    engine = make_engine(f"sqlite:///{tmp_path / 'encore.db'}")
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    changes: list[CatalogChange] = []
    # Batches of two, so that every test also crosses batch boundaries.
    importer = FeedImporter(uow=uow, on_change=changes.append, batch_size=2)
    return Rig(importer, CatalogService(uow=uow), uow, changes)


def statuses(summary: Summary) -> list[Status]:
    return [outcome.status for outcome in summary.outcomes]


def test_rows_become_metadata_only_tracks(rig: Rig, tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path / "label.csv",
        [
            song("t1", "I Don't Care", "Ed Sheeran", track_album_id="a1", track_album_name="No.6"),
            song("t2", "Beautiful People", "Ed Sheeran", track_album_id="a1",
                 track_album_name="No.6", track_popularity="0", duration_ms="197707"),
            song("t3", "Memories", "Maroon 5", track_album_release_date="2019"),
        ],
    )  # fmt: skip
    summary = rig.importer.run(feed)
    assert statuses(summary) == [Status.IMPORTED] * 3
    assert summary.succeeded and not summary.notes
    first = rig.catalog.get_track(summary.outcomes[0].track_id or "")
    assert first.track.title == "I Don't Care"
    assert [a.name for a in first.artists] == ["Ed Sheeran"]
    assert first.album.name == "No.6"
    assert (first.track.popularity, first.track.duration_ms) == (66, 194754)
    assert first.track.genres == ("pop", "dance pop")
    album = rig.catalog.get_album(first.album.id)
    assert album.album.release_date_text == "2019-06-14"
    assert album.album.total_tracks == 2
    assert [t.track.title for t in album.tracks] == ["Beautiful People", "I Don't Care"]
    memories = rig.catalog.get_track(summary.outcomes[2].track_id or "")
    assert rig.catalog.get_album(memories.album.id).album.release_date_text == "2019"
    artist = rig.catalog.get_artist(first.artists[0].id)
    assert artist.artist.sort_name == "Ed Sheeran"
    with rig.uow(readonly=True) as unit:
        # Not streamable until audio arrives.
        assert unit.renditions.list_for_track(first.track.id) == []
        mapped = unit.external_ids.in_namespace("feed:label", ExternalKind.TRACK)
    assert set(mapped) == {"t1", "t2", "t3"}
    assert mapped["t1"] == first.track.id
    assert (rig.count(artists), rig.count(albums), rig.count(tracks)) == (2, 2, 3)
    changed = {track_id for change in rig.changes for track_id in change.track_ids}
    assert changed == {o.track_id for o in summary.outcomes}


def test_rows_without_title_or_artist_are_reported_by_line(rig: Rig, tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path / "feed.csv",
        [
            song("t1", "Fine", "Someone"),
            song("t2", "", "Someone"),
            song("t3", "Untitled", "NA"),
            song("t4", "NA", " "),
            song("t5", "Also fine", "Someone"),
        ],
    )
    summary = rig.importer.run(feed)
    failed = {o.path: o.reason for o in summary.failures}
    assert failed == {
        f"{feed}:3": "no title",
        f"{feed}:4": "no artist",
        f"{feed}:5": "no title and no artist",
    }
    assert summary.count(Status.IMPORTED) == 2
    assert summary.succeeded


def test_repeated_rows_are_one_track_with_the_genres_of_all(rig: Rig, tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path / "feed.csv",
        [
            song("t1", "Higher Love", "Kygo", playlist_genre="pop", playlist_subgenre="dance pop"),
            song("t2", "Other", "Kygo"),
            song("t1", "Higher Love", "Kygo", playlist_genre="latin", playlist_subgenre="tropical"),
            song("t1", "Higher Love", "Kygo", playlist_genre="pop", playlist_subgenre="pop edm"),
        ],
    )
    summary = rig.importer.run(feed)
    assert [o.path for o in summary.outcomes] == [f"{feed}:2", f"{feed}:3"]
    detail = rig.catalog.get_track(summary.outcomes[0].track_id or "")
    assert detail.track.genres == ("pop", "dance pop", "latin", "tropical", "pop edm")
    assert rig.count(tracks) == 2


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("track_popularity", "101", "popularity '101' is not a whole number from 0 to 100"),
        ("track_popularity", "-1", "popularity '-1' is not a whole number from 0 to 100"),
        ("track_popularity", "high", "popularity 'high' is not a whole number from 0 to 100"),
        ("duration_ms", "-5", "duration_ms '-5' is not a whole number from 0 to 2147483647"),
        ("duration_ms", "3.5", "duration_ms '3.5' is not a whole number from 0 to 2147483647"),
        ("duration_ms", "9" * 12, "is not a whole number"),
    ],
)
def test_impossible_values_are_reported(
    rig: Rig, tmp_path: Path, column: str, value: str, reason: str
) -> None:
    feed = write_feed(
        tmp_path / "feed.csv", [song("t1", "Good", "A"), song("t2", "Bad", "A", **{column: value})]
    )
    summary = rig.importer.run(feed)
    assert statuses(summary) == [Status.FAILED, Status.IMPORTED]
    assert summary.failures[0].path == f"{feed}:3"
    assert reason in (summary.failures[0].reason or "")


def test_values_that_are_missing_or_written_as_decimals(rig: Rig, tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path / "feed.csv",
        [
            song("t1", "Decimal", "A", track_popularity="66.0", duration_ms="194754.0"),
            song("t2", "Missing", "A", track_popularity="NA", duration_ms="",
                 track_album_release_date="not a date", playlist_genre="", playlist_subgenre="NA"),
        ],
    )  # fmt: skip
    outcomes = rig.importer.run(feed).outcomes
    decimal = rig.catalog.get_track(outcomes[0].track_id or "").track
    assert (decimal.popularity, decimal.duration_ms) == (66, 194754)
    missing = rig.catalog.get_track(outcomes[1].track_id or "")
    assert (missing.track.popularity, missing.track.duration_ms, missing.track.genres) == (0, 0, ())
    assert rig.catalog.get_album(missing.album.id).album.release_date is None


def test_utf8_with_a_byte_order_mark(rig: Rig, tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path / "bom.csv", [song("t1", "Hoppípolla", "Sigur Rós")], encoding="utf-8-sig"
    )
    summary = rig.importer.run(feed)
    assert statuses(summary) == [Status.IMPORTED]
    assert not summary.notes
    detail = rig.catalog.get_track(summary.outcomes[0].track_id or "")
    assert (detail.track.title, detail.artists[0].name) == ("Hoppípolla", "Sigur Rós")


def test_windows_1252_is_read_and_said(rig: Rig, tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path / "old.csv", [song("t1", "Déjà Vu \u2013 Live", "Beyoncé")], encoding="cp1252"
    )
    summary = rig.importer.run(feed)
    assert statuses(summary) == [Status.IMPORTED]
    assert summary.notes == [f"{feed} is not valid UTF-8; it was read as Windows-1252."]
    detail = rig.catalog.get_track(summary.outcomes[0].track_id or "")
    assert (detail.track.title, detail.artists[0].name) == ("Déjà Vu \u2013 Live", "Beyoncé")


def test_neither_utf8_nor_windows_1252(rig: Rig, tmp_path: Path) -> None:
    feed = tmp_path / "binary.csv"
    feed.write_bytes(b"title,artist\n\x81\x8d\xff,x\n")
    summary = rig.importer.run(feed)
    assert [(o.path, o.reason) for o in summary.outcomes] == [
        (str(feed), "not text: neither UTF-8 nor Windows-1252")
    ]
    assert not summary.succeeded


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (
            ("name", "performer", "album"),
            "title (as track_name or title); artist (as track_artist or artist)",
        ),
        (("Title", "Album"), "artist (as track_artist or artist)"),
    ],
)  # fmt: skip
def test_a_wrong_header_is_one_failure_naming_the_missing_columns(
    rig: Rig, tmp_path: Path, header: tuple[str, ...], missing: str
) -> None:
    feed = write_feed(tmp_path / "feed.csv", [["a", "b", "c"]] * 3, header=header)
    summary = rig.importer.run(feed)
    assert [(o.path, o.status, o.reason) for o in summary.outcomes] == [
        (str(feed), Status.FAILED, f"missing columns: {missing}")
    ]
    assert not summary.succeeded


def test_an_empty_file_and_a_missing_one(rig: Rig, tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    empty = rig.importer.run(tmp_path / "empty.csv")
    assert [o.reason for o in empty.outcomes] == ["empty file: no header row"]
    missing = rig.importer.run(tmp_path / "missing.csv")
    assert [o.reason for o in missing.outcomes] == ["No such file or directory"]


def test_quoted_commas_and_line_breaks_inside_fields(rig: Rig, tmp_path: Path) -> None:
    feed = tmp_path / "quoted.csv"
    feed.write_text(
        "title,artist,album,genre\r\n"
        '"Hello, Goodbye",The Beatles,"Magical Mystery Tour",rock\r\n'
        '"Won\'t Get Fooled Again","The Who","Live\r\nat Leeds","rock, live"\r\n'
        "\r\n"
        ',Nobody,,\r\n'
        '"He said ""hi""",Someone,,\r\n',
        newline="",
    )  # fmt: skip
    summary = rig.importer.run(feed)
    assert statuses(summary) == [Status.FAILED, Status.IMPORTED, Status.IMPORTED, Status.IMPORTED]
    # The line break inside a field counts: the title-less row is on line 6.
    assert summary.failures[0].path == f"{feed}:6"
    hello, fooled, said = (rig.catalog.get_track(o.track_id or "") for o in summary.outcomes[1:])
    assert (hello.track.title, hello.artists[0].name) == ("Hello, Goodbye", "The Beatles")
    assert rig.catalog.get_artist(hello.artists[0].id).artist.sort_name == "Beatles, The"
    assert fooled.album.name == "Live\r\nat Leeds"
    assert fooled.track.genres == ("rock, live",)
    assert said.track.title == 'He said "hi"'
    assert said.album.name == "Unknown Album"


def test_a_label_feed_with_plain_headers_and_no_ids(rig: Rig, tmp_path: Path) -> None:
    header = (
        "title",
        "artist",
        "album",
        "release_date",
        "popularity",
        "genre",
        "duration_ms",
        "isrc",
    )
    rows = [
        ["Intro", "The xx", "xx", "2009-08", "40", "indie", "127000", "GB-BKS-09-00001"],
        ["VCR", "The xx", "xx", "2009-08", "45", "indie", "157000", ""],
        ["Bad code", "The xx", "xx", "2009-08", "45", "indie", "157000", "not-an-isrc"],
    ]  # fmt: skip
    feed = write_feed(tmp_path / "label.csv", rows, header=header)
    summary = rig.importer.run(feed)
    assert statuses(summary) == [Status.FAILED, Status.IMPORTED, Status.IMPORTED]
    assert summary.failures[0].reason == "ISRC 'not-an-isrc' is not a valid ISRC"
    intro = rig.catalog.get_track(summary.outcomes[1].track_id or "")
    assert intro.track.isrc == "GBBKS0900001"
    assert rig.catalog.get_album(intro.album.id).album.release_date_text == "2009-08"
    assert rig.catalog.get_album(intro.album.id).album.total_tracks == 2
    # Without ids the feed is known by ISRC, else by artist, album and title: still idempotent.
    assert statuses(rig.importer.run(feed)) == [Status.FAILED, Status.UNCHANGED, Status.UNCHANGED]
    assert (rig.count(albums), rig.count(tracks)) == (1, 2)


def test_a_rerun_changes_nothing(rig: Rig, tmp_path: Path) -> None:
    rows = [
        song(f"t{n}", f"Song {n}", f"Artist {n % 2}", track_album_id=f"a{n % 3}") for n in range(7)
    ]
    feed = write_feed(tmp_path / "feed.csv", [*rows, song("t9", "", "Nobody")])
    first = rig.importer.run(feed)
    counts = (rig.count(artists), rig.count(albums), rig.count(tracks))
    rig.changes.clear()
    again = rig.importer.run(feed)
    assert statuses(again) == [Status.FAILED] + [Status.UNCHANGED] * 7
    assert [o.track_id for o in again.outcomes] == [o.track_id for o in first.outcomes]
    assert (rig.count(artists), rig.count(albums), rig.count(tracks)) == counts == (2, 3, 7)
    assert rig.changes == []


def test_a_changed_row_updates_its_track_in_place(rig: Rig, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    write_feed(feed, [song("t1", "Memories", "Maroon 5"), song("t2", "Other", "Maroon 5")])
    first = rig.importer.run(feed).outcomes
    track_id = first[0].track_id or ""
    # Audio arrives for the track, and a listener likes it.
    listener = make_user()
    with rig.uow() as unit:
        unit.renditions.put(make_rendition(track_id=track_id, quality=Quality.LOW))
        unit.users.add(listener)
        unit.commit()
    with rig.uow.engine.begin() as connection:
        connection.execute(
            insert(liked_tracks).values(user_id=listener.id, track_id=track_id, liked_at=NOW)
        )
    write_feed(
        feed,
        [
            song("t1", "Memories (Remix)", "Maroon 5", track_popularity="90", playlist_genre="edm"),
            song("t2", "Other", "Maroon 5"),
        ],
    )
    rig.changes.clear()
    second = rig.importer.run(feed)
    assert statuses(second) == [Status.UPDATED, Status.UNCHANGED]
    assert second.outcomes[0].track_id == track_id
    detail = rig.catalog.get_track(track_id)
    assert (detail.track.title, detail.track.popularity) == ("Memories (Remix)", 90)
    assert detail.track.genres == ("edm", "dance pop")
    with rig.uow(readonly=True) as unit:
        assert len(unit.renditions.list_for_track(track_id)) == 1
    assert rig.count(liked_tracks) == 1
    assert [change.track_ids for change in rig.changes] == [(track_id,)]
    assert rig.count(tracks) == 2


def test_a_changed_album_is_updated_and_moved_tracks_recounted(rig: Rig, tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    write_feed(
        feed,
        [
            song("t1", "One", "A", track_album_id="a1", track_album_name="First"),
            song("t2", "Two", "A", track_album_id="a1", track_album_name="First"),
        ],
    )
    first = rig.importer.run(feed).outcomes
    album_id = rig.catalog.get_track(first[0].track_id or "").album.id
    write_feed(
        feed,
        [
            song("t1", "One", "A", track_album_id="a1", track_album_name="First (Deluxe)",
                 track_album_release_date="2020-01"),
            song("t2", "Two", "A", track_album_id="a2", track_album_name="Second"),
        ],
    )  # fmt: skip
    second = rig.importer.run(feed)
    assert statuses(second) == [Status.UPDATED, Status.UPDATED]
    album = rig.catalog.get_album(album_id).album
    assert (album.name, album.release_date_text, album.total_tracks) == (
        "First (Deluxe)",
        "2020-01",
        1,
    )
    moved = rig.catalog.get_track(first[1].track_id or "")
    assert moved.album.name == "Second"
    assert statuses(rig.importer.run(feed)) == [Status.UNCHANGED] * 2


def test_feed_albums_join_an_existing_album_of_that_name_once(rig: Rig, tmp_path: Path) -> None:
    queen = make_artist(name="Queen")
    hot_space = make_album(name="Hot Space", artist_ids=(queen.id,))
    rig.catalog.add_artist(queen)
    rig.catalog.add_album(hot_space)
    feed = write_feed(
        tmp_path / "feed.csv",
        [
            song(
                "t1", "Under Pressure", "Queen", track_album_id="hs", track_album_name="Hot Space"
            ),
            song(
                "t2", "Staying Power", "Queen", track_album_id="hs2", track_album_name="Hot Space"
            ),
        ],
    )
    outcomes = rig.importer.run(feed).outcomes
    joined, other = (rig.catalog.get_track(o.track_id or "") for o in outcomes)
    assert joined.album.id == hot_space.id
    assert joined.artists[0].id == queen.id
    assert other.album.id != hot_space.id and other.album.name == "Hot Space"
    assert rig.count(artists) == 1


def test_the_namespace_keeps_feeds_apart(rig: Rig, tmp_path: Path) -> None:
    feed = write_feed(tmp_path / "feed.csv", [song("t1", "Song", "Artist")])
    assert statuses(rig.importer.run(feed, namespace="label:one")) == [Status.IMPORTED]
    assert statuses(rig.importer.run(feed)) == [Status.IMPORTED]
    assert statuses(rig.importer.run(feed, namespace="label:one")) == [Status.UNCHANGED]
    too_long = rig.importer.run(feed, namespace="x" * 101)
    assert [o.reason for o in too_long.outcomes] == ["the namespace is longer than 100 characters"]


def test_over_long_text_is_cut_to_fit(rig: Rig, tmp_path: Path) -> None:
    feed = write_feed(
        tmp_path / "feed.csv", [song("t1", "T" * 600, "A" * 600, playlist_genre="g" * 200)]
    )
    detail = rig.catalog.get_track(rig.importer.run(feed).outcomes[0].track_id or "")
    assert (len(detail.track.title), len(detail.artists[0].name)) == (500, 500)
    assert detail.track.genres == ("g" * 100, "dance pop")


def test_progress_counts_rows(rig: Rig, tmp_path: Path) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.total = 0
            self.done = 0

        def started(self, *, rows: int) -> None:
            self.total = rows

        def advanced(self, *, rows: int) -> None:
            self.done += rows

    rows = [song("t1", "A", "B"), song("t1", "A", "B"), song("t2", "", "B"), song("t3", "C", "B")]
    recorder = Recorder()
    rig.importer.run(write_feed(tmp_path / "feed.csv", rows), progress=recorder)
    assert (recorder.total, recorder.done) == (4, 4)
