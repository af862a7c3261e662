"""Reading a catalog feed: a CSV file with one row per track, or one per playlist a track is in.

Headers are matched through `HEADERS`, so that the Spotify dataset's names (`track_name`,
`track_artist`, ...) and plain ones (`title,artist,album,release_date,...`) both work. Rows that
repeat a track (the same feed id) merge into one `FeedTrack` carrying the genres of them all. A
row without title or artist, or with a value that cannot be right, becomes a `RowProblem` with its
line number; the other rows still count.
"""

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from encore.catalog.model import DatePrecision
from encore.catalog.naming import parse_date

if TYPE_CHECKING:
    from _csv import Reader

UTF8 = "UTF-8"
CP1252 = "Windows-1252"
MAX_TEXT = 500
MAX_GENRE = 100
MAX_EXTERNAL_ID = 255
MAX_DURATION_MS = 2**31 - 1
# An empty cell, or R's marker for a missing value (the Spotify dataset was written from R).
MISSING = frozenset({"", "NA"})


class Column(StrEnum):
    TRACK_ID = "track id"
    TITLE = "title"
    ARTIST = "artist"
    ALBUM_ID = "album id"
    ALBUM = "album"
    RELEASE_DATE = "release date"
    POPULARITY = "popularity"
    GENRE = "genre"
    SUBGENRE = "subgenre"
    DURATION_MS = "duration_ms"
    ISRC = "isrc"


# The header names a feed may use, lower-cased, with spaces and hyphens read as underscores.
HEADERS: dict[str, Column] = {
    "track_id": Column.TRACK_ID,
    "id": Column.TRACK_ID,
    "track_name": Column.TITLE,
    "title": Column.TITLE,
    "track_artist": Column.ARTIST,
    "artist": Column.ARTIST,
    "track_album_id": Column.ALBUM_ID,
    "album_id": Column.ALBUM_ID,
    "track_album_name": Column.ALBUM,
    "album": Column.ALBUM,
    "track_album_release_date": Column.RELEASE_DATE,
    "release_date": Column.RELEASE_DATE,
    "track_popularity": Column.POPULARITY,
    "popularity": Column.POPULARITY,
    "playlist_genre": Column.GENRE,
    "genre": Column.GENRE,
    "playlist_subgenre": Column.SUBGENRE,
    "subgenre": Column.SUBGENRE,
    "duration_ms": Column.DURATION_MS,
    "isrc": Column.ISRC,
}
REQUIRED = (Column.TITLE, Column.ARTIST)


@dataclass(frozen=True, slots=True)
class FeedTrack:
    """A track as the feed describes it. Optional values are None where the feed leaves them
    out, so that an import keeps what the catalog already knows."""

    # The feed's id for the track; without one, its ISRC or a hash of artist, album and title.
    key: str
    line: int
    rows: int
    title: str
    artist: str
    album: str | None
    album_key: str | None
    release_date: date | None
    release_date_precision: DatePrecision | None
    popularity: int | None
    duration_ms: int | None
    isrc: str | None
    genres: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Feed:
    tracks: list[FeedTrack]
    problems: list[RowProblem]
    rows: int
    encoding: str


class UnreadableFeed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Invalid(ValueError):
    pass


def read_feed(path: Path) -> Feed:
    """The feed's tracks and problem rows; raises `UnreadableFeed` (or `OSError`) when the file
    as a whole cannot be used."""
    encoding = UTF8 if _is_utf8(path) else CP1252
    try:
        with path.open(encoding="utf-8-sig" if encoding == UTF8 else "cp1252", newline="") as f:
            return _read(csv.reader(f), encoding)
    except UnicodeDecodeError:
        raise UnreadableFeed("not text: neither UTF-8 nor Windows-1252") from None


def _read(reader: "Reader", encoding: str) -> Feed:
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise UnreadableFeed(f"unreadable header row: {error}") from None
    if header is None:
        raise UnreadableFeed("empty file: no header row")
    columns = _columns(header)
    tracks: dict[str, FeedTrack] = {}
    problems: list[RowProblem] = []
    rows = 0
    for line, cells in _records(reader):
        rows += 1
        parsed = cells if isinstance(cells, RowProblem) else _track(cells, columns, line)
        if isinstance(parsed, RowProblem):
            problems.append(parsed)
            continue
        known = tracks.get(parsed.key)
        tracks[parsed.key] = parsed if known is None else _merged(known, parsed)
    return Feed(list(tracks.values()), problems, rows, encoding)


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _columns(header: list[str]) -> dict[Column, int]:
    columns: dict[Column, int] = {}
    for index, name in enumerate(header):
        column = HEADERS.get(name.strip().lower().replace(" ", "_").replace("-", "_"))
        if column is not None:
            columns.setdefault(column, index)
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        wanted = "; ".join(
            f"{column} (as {' or '.join(n for n, c in HEADERS.items() if c is column)})"
            for column in missing
        )
        raise UnreadableFeed(f"missing columns: {wanted}")
    return columns


def _records(reader: "Reader") -> Iterator[tuple[int, list[str] | RowProblem]]:
    """Each non-blank record with the line it starts on (fields may hold line breaks)."""
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, RowProblem(line, f"not valid CSV: {error}")
            continue
        if any(cell.strip() for cell in cells):
            yield line, cells


def _track(cells: list[str], columns: dict[Column, int], line: int) -> FeedTrack | RowProblem:
    def cell(column: Column, limit: int | None = MAX_TEXT) -> str | None:
        index = columns.get(column)
        if index is None or index >= len(cells):
            return None
        value = cells[index].strip()
        return None if value in MISSING else value[:limit]

    title, artist = cell(Column.TITLE), cell(Column.ARTIST)
    if title is None or artist is None:
        missing = [name for name, value in (("title", title), ("artist", artist)) if not value]
        return RowProblem(line, f"no {' and no '.join(missing)}")
    try:
        track_id = _external_id(cell(Column.TRACK_ID, limit=None), "track id")
        album_key = _external_id(cell(Column.ALBUM_ID, limit=None), "album id")
        popularity = _whole(cell(Column.POPULARITY), "popularity", 100)
        duration_ms = _whole(cell(Column.DURATION_MS), "duration_ms", MAX_DURATION_MS)
        isrc = _isrc(cell(Column.ISRC))
    except _Invalid as error:
        return RowProblem(line, str(error))
    album = cell(Column.ALBUM)
    released, precision = parse_date(cell(Column.RELEASE_DATE))
    genres = (cell(Column.GENRE, MAX_GENRE), cell(Column.SUBGENRE, MAX_GENRE))
    return FeedTrack(
        key=track_id or (f"isrc:{isrc}" if isrc else _names_key(artist, album, title)),
        line=line,
        rows=1,
        title=title,
        artist=artist,
        album=album,
        album_key=album_key,
        release_date=released,
        release_date_precision=precision,
        popularity=popularity,
        duration_ms=duration_ms,
        isrc=isrc,
        genres=tuple(dict.fromkeys(genre for genre in genres if genre)),
    )


def _merged(known: FeedTrack, again: FeedTrack) -> FeedTrack:
    # The first row describes the track; the others add their playlists' genres.
    genres = tuple(dict.fromkeys(known.genres + again.genres))
    return replace(known, rows=known.rows + 1, genres=genres)


def _external_id(value: str | None, name: str) -> str | None:
    if value is not None and len(value) > MAX_EXTERNAL_ID:
        raise _Invalid(f"{name} longer than {MAX_EXTERNAL_ID} characters")
    return value


_WHOLE = re.compile(r"[+-]?\d+(\.0*)?")  # '66', and '66.0' as written for a column with gaps


def _whole(value: str | None, name: str, maximum: int) -> int | None:
    if value is None:
        return None
    number = int(value.split(".")[0]) if _WHOLE.fullmatch(value) else -1
    if not 0 <= number <= maximum:
        raise _Invalid(f"{name} {value[:40]!r} is not a whole number from 0 to {maximum}")
    return number


_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}\d{7}")


def _isrc(value: str | None) -> str | None:
    if value is None:
        return None
    compact = value.replace("-", "").replace(" ", "").upper()
    if not _ISRC.fullmatch(compact):
        raise _Invalid(f"ISRC {value[:40]!r} is not a valid ISRC")
    return compact


def _names_key(artist: str, album: str | None, title: str) -> str:
    names = "\x1f".join((artist, album or "", title)).casefold()
    return f"names:{hashlib.sha256(names.encode()).hexdigest()}"
