"""Encore's fields, read out of mutagen's three tag families and normalised.

ID3 (MP3, WAV, AIFF), Vorbis comments (Ogg Vorbis, Opus, FLAC) and MP4 atoms name the same facts
differently; `TagFields.of` flattens each family into one lower-cased `key -> values` table and
looks every field up through the family's keys, most specific first.
"""

import base64
import binascii
import datetime
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mutagen._vorbis import VComment
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3
from mutagen.mp4 import AtomDataType, MP4Cover, MP4Tags

from encore.catalog.audio import CoverArt

MAX_TEXT = 500
MAX_VALUES = 50
MAX_COVER_BYTES = 10 * 1024 * 1024
FRONT_COVER = 3  # the picture type of a front cover, in ID3 and FLAC alike

_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "vorbis": {
        "title": ("title",),
        "artists": ("artists", "artist"),
        "album": ("album",),
        "album_artists": ("albumartists", "albumartist", "album artist", "album_artist"),
        "track": ("tracknumber", "track"),
        "disc": ("discnumber", "disc"),
        "date": ("date", "year"),
        "genres": ("genre",),
        "isrc": ("isrc",),
        "mb_track": ("musicbrainz_trackid",),
        "mb_album": ("musicbrainz_albumid",),
        "mb_artists": ("musicbrainz_artistid",),
        "advisory": ("itunesadvisory",),
        "explicit": ("explicit",),
    },
    "id3": {
        "title": ("tit2",),
        "artists": ("txxx:artists", "tpe1"),
        "album": ("talb",),
        "album_artists": ("txxx:albumartists", "tpe2", "txxx:album artist"),
        "track": ("trck",),
        "disc": ("tpos",),
        "date": ("tdrc",),
        "genres": ("tcon",),
        "isrc": ("tsrc",),
        "mb_track": ("ufid:http://musicbrainz.org",),
        "mb_album": ("txxx:musicbrainz album id",),
        "mb_artists": ("txxx:musicbrainz artist id",),
        "advisory": ("txxx:itunesadvisory",),
        "explicit": ("txxx:explicit",),
    },
    "mp4": {
        "title": ("©nam",),
        "artists": ("----:com.apple.itunes:artists", "©art"),
        "album": ("©alb",),
        "album_artists": ("----:com.apple.itunes:albumartists", "aart"),
        "track": ("trkn",),
        "disc": ("disk",),
        "date": ("©day",),
        "genres": ("©gen",),
        "isrc": ("----:com.apple.itunes:isrc",),
        "mb_track": ("----:com.apple.itunes:musicbrainz track id",),
        "mb_album": ("----:com.apple.itunes:musicbrainz album id",),
        "mb_artists": ("----:com.apple.itunes:musicbrainz artist id",),
        "advisory": ("rtng", "----:com.apple.itunes:itunesadvisory"),
        "explicit": ("----:com.apple.itunes:explicit",),
    },
}

# Control characters go (tab and line breaks become spaces), and so do stray byte-order marks.
_CONTROLS: dict[int, str | None] = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0), 0xFEFF])
_CONTROLS.update({ord("\t"): " ", ord("\n"): " ", ord("\r"): " "})
_NUMBER = re.compile(r"\s*0*(\d{1,5})(?!\d)")
_DATE = re.compile(r"\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?!\d)")
_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}\d{7}")
_ID_SEPARATORS = re.compile(r"[\s/;,]+")
_TRUE = {"1", "true", "yes", "explicit", "e"}
_FALSE = {"0", "false", "no", "clean", "c"}
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF8", "image/gif"),
    (b"BM", "image/bmp"),
)


def clean_text(value: str) -> str:
    """`value` without control characters, stripped and capped at `MAX_TEXT` characters."""
    text = value[: MAX_TEXT * 2].translate(_CONTROLS).strip()[:MAX_TEXT].rstrip()
    if not text.isascii():  # lone surrogates cannot be stored as UTF-8
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def parse_number(value: str) -> int | None:
    """The leading number of '3', '03' or '3/12'; None for zero, garbage or absurd values."""
    match = _NUMBER.match(value)
    number = int(match.group(1)) if match else 0
    return number or None


def parse_date(value: str) -> str | None:
    """'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' from the start of `value`, as precise as it is valid."""
    match = _DATE.match(value)
    if match is None or int(match.group(1)) == 0:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    if month is None or not 1 <= int(month) <= 12:
        return year
    if day is not None:
        try:
            return datetime.date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            pass
    return f"{year}-{int(month):02d}"


def parse_isrc(value: str) -> str | None:
    code = value.replace("-", "").replace(" ", "").upper()
    return code if _ISRC.fullmatch(code) else None


def parse_uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return None


def sniff_image(data: bytes) -> str | None:
    """The image's MIME type from its first bytes; None if it is no image Encore can serve."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_cover(data: bytes, *, max_bytes: int) -> CoverArt | None:
    if not 0 < len(data) <= max_bytes:
        return None
    mime = sniff_image(data)
    return CoverArt(data=data, mime_type=mime) if mime else None


@dataclass(frozen=True, slots=True)
class _Picture:
    """An embedded picture whose bytes are only fetched if it is the one chosen."""

    kind: int
    load: Callable[[], bytes | None]


@dataclass(frozen=True, slots=True)
class TagFields:
    """The tag values of one file, cleaned; no stream facts."""

    title: str | None
    artists: tuple[str, ...]
    album: str | None
    album_artists: tuple[str, ...]
    track_number: int | None
    disc_number: int | None
    date: str | None
    genres: tuple[str, ...]
    isrc: str | None
    musicbrainz_track_id: str | None
    musicbrainz_album_id: str | None
    musicbrainz_artist_ids: tuple[str, ...]
    explicit: bool | None
    cover: CoverArt | None

    @classmethod
    def of(cls, audio: Any, *, max_cover_bytes: int = MAX_COVER_BYTES) -> "TagFields":
        """The fields of a loaded mutagen `FileType` (untagged files give empty fields)."""
        tags = audio.tags
        pictures: list[_Picture] = []
        if isinstance(tags, ID3):
            family, table = "id3", _id3_table(tags, pictures)
        elif isinstance(tags, MP4Tags):
            family, table = "mp4", _mp4_table(tags, pictures)
        elif isinstance(tags, VComment):
            family, table = "vorbis", _vorbis_table(tags, pictures, max_cover_bytes)
        else:
            family, table = "vorbis", {}  # untagged: every lookup finds nothing
        if isinstance(audio, FLAC):
            pictures[:0] = [_Picture(p.type, _constant(p.data)) for p in audio.pictures]
        keys = _KEYS[family]

        def values(field: str) -> list[str]:
            for key in keys[field]:
                raw = table.get(key)
                found = _cleaned(raw) if raw else None
                if found:
                    return found
            return []

        def first(field: str, parse: Callable[[str], str | int | None]) -> Any:
            return next((p for p in map(parse, values(field)) if p is not None), None)

        artists = tuple(values("artists"))
        mb_artist_ids = (parse_uuid(i) for v in values("mb_artists") for i in _split_ids(v))
        return cls(
            title=first("title", _same),
            artists=artists,
            album=first("album", _same),
            album_artists=tuple(values("album_artists")) or artists,
            track_number=first("track", parse_number),
            disc_number=first("disc", parse_number),
            date=first("date", parse_date),
            genres=_genres(values("genres")),
            isrc=first("isrc", parse_isrc),
            musicbrainz_track_id=first("mb_track", parse_uuid),
            musicbrainz_album_id=first("mb_album", parse_uuid),
            musicbrainz_artist_ids=tuple(_unique(i for i in mb_artist_ids if i)),
            explicit=_explicit(values("advisory"), values("explicit")),
            cover=_choose_cover(pictures, max_cover_bytes),
        )


def _same(value: str) -> str:
    return value


def _constant(data: bytes) -> Callable[[], bytes | None]:
    return lambda: data


def _cleaned(raw: Iterable[str]) -> list[str]:
    return list(_unique(clean_text(value) for value in raw))[:MAX_VALUES]


def _unique(values: Iterable[str]) -> Iterable[str]:
    seen: set[str] = set()
    for value in values:
        folded = value.casefold()
        if value and folded not in seen:
            seen.add(folded)
            yield value


def _genres(values: Iterable[str]) -> tuple[str, ...]:
    # ';' is the one separator taggers use inside a genre value; '/' is part of 'Hip-Hop/Rap'.
    return tuple(_unique(g.strip() for v in values for g in v.split(";")))[:MAX_VALUES]


def _split_ids(value: str) -> list[str]:
    # Safe only because a UUID holds none of these separators (ID3v2.3 joins values with '/').
    return _ID_SEPARATORS.split(value)


def _explicit(advisory: Sequence[str], explicit: Sequence[str]) -> bool | None:
    """iTunes advisory: 1 or 4 explicit, 2 clean, 0 unrated; else a plain EXPLICIT flag."""
    if advisory and advisory[0] in {"1", "4", "2"}:
        return advisory[0] != "2"
    flag = explicit[0].lower() if explicit else ""
    return True if flag in _TRUE else False if flag in _FALSE else None


def _bounded(values: Iterable[object]) -> list[str]:
    """At most `MAX_VALUES` values as text, each cut well before cleaning has to look at it."""
    out: list[str] = []
    for value in values:
        out.append(str(value)[: MAX_TEXT * 2])
        if len(out) == MAX_VALUES:
            break
    return out


def _vorbis_table(
    tags: VComment, pictures: list[_Picture], max_cover_bytes: int
) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for key, value in tags:
        name = key.lower()
        if name == "metadata_block_picture":
            pictures.append(_vorbis_picture(value, max_cover_bytes))
        elif name in table:
            if len(table[name]) < MAX_VALUES:
                table[name].append(value[: MAX_TEXT * 2])
        else:
            table[name] = [value[: MAX_TEXT * 2]]
    return table


def _vorbis_picture(encoded: str, max_cover_bytes: int) -> _Picture:
    """A base64 FLAC picture block; its type is read from the first 8 characters only."""
    try:
        kind = int.from_bytes(base64.b64decode(encoded[:8])[:4], "big")
    except (binascii.Error, ValueError):
        return _Picture(-1, lambda: None)

    def load() -> bytes | None:
        if len(encoded) // 4 * 3 > max_cover_bytes + 64 * 1024:  # too big, without decoding it
            return None
        try:
            block: Any = Picture  # mutagen leaves it unannotated
            return bytes(block(base64.b64decode(encoded)).data)
        except Exception:  # a malformed block is no cover, whatever mutagen raises
            return None

    return _Picture(kind, load)


def _id3_table(tags: Any, pictures: list[_Picture]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for frame in tags.values():
        frame_id = frame.FrameID
        if frame_id == "APIC":
            pictures.append(_Picture(int(frame.type), _constant(frame.data)))
        elif frame_id == "TXXX":
            table.setdefault(f"txxx:{frame.desc.lower()}", _bounded(frame.text))
        elif frame_id == "UFID":
            owner = f"ufid:{frame.owner.lower()}"
            table.setdefault(owner, [frame.data[:100].decode("ascii", "replace")])
        elif frame_id == "TCON":
            table["tcon"] = _bounded(frame.genres)
        elif frame_id.startswith("T") and hasattr(frame, "text"):
            table[frame_id.lower()] = _bounded(frame.text)
    return table


def _mp4_table(tags: Any, pictures: list[_Picture]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for key, value in tags.items():
        name = key.lower()
        items = value if isinstance(value, list) else [value]
        if name == "covr":
            pictures.extend(_Picture(FRONT_COVER, _constant(bytes(c))) for c in items)
        elif name in {"trkn", "disk"}:
            table[name] = [str(item[0]) for item in items[:1] if isinstance(item, tuple)]
        elif name.startswith("----"):
            table[name] = _bounded(_freeform_text(item) for item in items)
        elif not isinstance(items[0] if items else None, MP4Cover | bytes):
            table[name] = _bounded(items)
    return table


def _freeform_text(data: bytes) -> str:
    utf16 = getattr(data, "dataformat", None) == AtomDataType.UTF16
    return data[: MAX_TEXT * 4].decode("utf-16-be" if utf16 else "utf-8", "replace")


def _choose_cover(pictures: list[_Picture], max_cover_bytes: int) -> CoverArt | None:
    """The front cover if there is a usable one, else the first usable picture."""
    ordered = sorted(pictures, key=lambda p: p.kind != FRONT_COVER)  # stable: keeps tag order
    for picture in ordered:
        data = picture.load()
        cover = image_cover(data, max_bytes=max_cover_bytes) if data else None
        if cover is not None:
            return cover
    return None
