"""`MutagenTagReader` on real files: the shared recordings, beets' fixtures in every format, and
copies of them edited with mutagen in `tmp_path` for the cases the fixtures lack.

The data comes from `../shared/data/audio` (beside the repository); without it the tests skip,
or fail under CI, through `tests.servers.require_server`.
"""

import base64
import os
import shutil
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mutagen
import pytest
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TCON, TDAT, TDRC, TIT2, TPE1, TPOS, TRCK, TSRC, TXXX, TYER, UFID
from mutagen.mp4 import MP4, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from encore.adapters.audio.tags import MutagenTagReader
from encore.catalog.audio import AudioTags, UnreadableAudio
from tests.servers import require_server

AUDIO = Path(__file__).parents[2].parent / "shared" / "data" / "audio"
FIXTURES = AUDIO / "beets-fixtures"
MB_RECORDING = "8b882575-08a5-4452-a7a7-cbb8a1531f9e"
MB_RELEASE = "9e873859-8aa4-4790-b985-5a953e8ef628"
MB_ARTIST = "7cf0ea9d-86b9-4dad-ba9e-2355a64899ea"
OTHER_UUID = "0383dadf-2a4e-4d10-a46a-e9e041da8eb3"


@pytest.fixture(scope="module")
def audio() -> Path:
    if not FIXTURES.is_dir():
        require_server("The shared audio data", f"{AUDIO} is missing (see ../shared/data)")
    return AUDIO


@pytest.fixture
def reader(audio: Path) -> MutagenTagReader:
    return MutagenTagReader()


@pytest.fixture
def copy(audio: Path, tmp_path: Path) -> Callable[..., Path]:
    """Copies a fixture (read-only in the share) to a writable file in `tmp_path`."""

    def copy_(source: str, name: str | None = None, folder: Path = tmp_path) -> Path:
        target = folder / (name or Path(source).name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURES / source, target)
        return target

    return copy_


def jpeg() -> bytes:
    """A real JPEG: the artist picture embedded in beets' image.mp3."""
    return bytes(ID3(FIXTURES / "image.mp3").getall("APIC")[1].data)


def retag(path: Path, **values: list[str]) -> Path:
    """Replaces the Vorbis comments (Ogg Vorbis, Opus or FLAC) named by `values`."""
    file: Any = mutagen.File(path)
    for key, value in values.items():
        file[key] = value
    file.save()
    return path


def id3_file(path: Path, *frames: Any, version: int = 4) -> Path:
    """Gives the MP3 at `path` an ID3 tag holding exactly `frames`."""
    tag = ID3()
    for frame in frames:
        tag.add(frame)
    tag.save(path, v2_version=version)
    return path


# The five shared recordings, with what their tags really hold (see each file's .txt).
RECORDINGS = [
    pytest.param(
        "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg",
        {
            "title": "Hungarian Dance No. 5",
            "artists": ("The U.S. Army Strings",),
            "album": None,
            "track_number": 7,
            "date": None,
            "genres": (),
            "duration_ms": 45_845,
        },
        None,
        id="brahms",
    ),
    pytest.param(
        "Karissa_Hobbs_-_Lets_Go_Fishin.ogg",
        {
            "title": "Let's Go Fishin'",
            "artists": ("Karissa Hobbs",),
            "album": "Age of Flowers",
            "track_number": 9,
            "date": "2016-03-18",
            "genres": ("Folk",),
            "duration_ms": 132_989,
        },
        None,
        id="karissa-hobbs",
    ),
    pytest.param(
        "Kevin_MacLeod_-_P_I_Tchaikovsky_Dance_of_the_Sugar_Plum_Fairy.ogg",
        {
            "title": "P. I. Tchaikovsky: Dance of the Sugar Plum Fairy",
            "artists": ("Kevin MacLeod",),
            "album": "Classical Sampler",
            "track_number": None,
            "date": "2011-11-22",
            "genres": ("Classical",),
            "duration_ms": 119_876,
        },
        None,
        id="sugar-plum-fairy",
    ),
    pytest.param(
        "Kevin_MacLeod_-_Vibe_Ace.ogg",
        {
            "title": "Vibe Ace",
            "artists": ("Kevin MacLeod",),
            "album": "Jazz Sampler",
            "track_number": None,
            "date": "2011-07-19",
            "genres": ("Jazz",),
            "duration_ms": 61_459,
        },
        "image/jpeg",
        id="vibe-ace",
    ),
    pytest.param(
        "sorohanro_-_solo-trumpet-06.ogg",
        {
            "title": "sorohanro - solo-trumpet-06",
            "artists": (),
            "album": None,
            "track_number": None,
            "date": None,
            "genres": (),
            "duration_ms": 5_333,
        },
        None,
        id="trumpet-untagged",
    ),
]


@pytest.mark.parametrize(("name", "expected", "cover_mime"), RECORDINGS)
def test_shared_recordings(
    reader: MutagenTagReader,
    audio: Path,
    name: str,
    expected: dict[str, object],
    cover_mime: str | None,
) -> None:
    tags = reader.read(audio / name)

    assert {field: getattr(tags, field) for field in expected} == expected
    assert tags.album_artists == tags.artists  # none is tagged, so the track's artists stand in
    assert (tags.disc_number, tags.isrc, tags.musicbrainz_track_id, tags.explicit) == (
        None,
        None,
        None,
        None,
    )
    assert (tags.codec, tags.bitrate_kbps, tags.sample_rate, tags.channels, tags.lossless) == (
        "vorbis",
        40,
        22050,
        1,
        False,
    )
    assert (tags.cover.mime_type if tags.cover else None) == cover_mime


def test_an_embedded_vorbis_picture_is_the_cover_byte_for_byte(
    reader: MutagenTagReader, audio: Path
) -> None:
    path = audio / "Kevin_MacLeod_-_Vibe_Ace.ogg"
    block = OggVorbis(path)["metadata_block_picture"][0]
    picture = Picture(base64.b64decode(block))

    cover = reader.read(path).cover

    assert cover is not None
    assert cover.data == picture.data
    assert len(cover.data) == 62_321


# beets' full.* clips: the same placeholder tags in five containers.
FULL = [
    pytest.param("full.mp3", "mp3", 80, 44100, 1, False, 1071, ("the album artist",), id="mp3"),
    pytest.param("full.m4a", "aac", 64, 44100, 2, False, 1068, ("the album artist",), id="m4a"),
    pytest.param("full.flac", "flac", None, 44100, 1, True, 1000, ("the artist",), id="flac"),
    pytest.param("full.ogg", "vorbis", 48, 44100, 1, False, 1000, ("the artist",), id="ogg"),
    pytest.param("full.opus", "opus", 52, 48000, 1, False, 1000, ("the artist",), id="opus"),
]


@pytest.mark.parametrize(
    (
        "name",
        "codec",
        "bitrate",
        "sample_rate",
        "channels",
        "lossless",
        "duration_ms",
        "album_artists",
    ),
    FULL,
)
def test_beets_full_fixtures(
    reader: MutagenTagReader,
    name: str,
    codec: str,
    bitrate: int | None,
    sample_rate: int,
    channels: int,
    lossless: bool,
    duration_ms: int,
    album_artists: tuple[str, ...],
) -> None:
    tags = reader.read(FIXTURES / name)

    assert tags == AudioTags(
        title="full",
        artists=("the artist",),
        album="the album",
        album_artists=album_artists,
        track_number=2,
        disc_number=4,
        date="2001",
        genres=("the genre",),
        isrc=None,
        musicbrainz_track_id=MB_RECORDING,  # the recording, not the release track c29f3a57-...
        musicbrainz_album_id=MB_RELEASE,
        musicbrainz_artist_ids=(MB_ARTIST,),
        explicit=None,
        duration_ms=duration_ms,
        codec=codec,
        bitrate_kbps=bitrate,
        sample_rate=sample_rate,
        channels=channels,
        lossless=lossless,
        cover=None,
    )


def test_untagged_mp3_falls_back_to_the_file_name(reader: MutagenTagReader) -> None:
    # beets' "empty.mp3" is real audio without any tag, not an empty file.
    tags = reader.read(FIXTURES / "empty.mp3")

    assert (tags.title, tags.artists, tags.album, tags.album_artists) == ("empty", (), None, ())
    assert (tags.track_number, tags.date, tags.genres, tags.cover) == (None, None, (), None)
    assert (tags.codec, tags.bitrate_kbps, tags.duration_ms) == ("mp3", 64, 1000)


def test_front_cover_is_preferred_to_other_pictures(reader: MutagenTagReader) -> None:
    # image.mp3 embeds a PNG front cover and, after it, a JPEG picture of the artist.
    front = ID3(FIXTURES / "image.mp3").getall("APIC")[0]

    cover = reader.read(FIXTURES / "image.mp3").cover

    assert cover is not None
    assert (cover.mime_type, cover.data) == ("image/png", front.data)


def test_an_unparseable_date_is_dropped(reader: MutagenTagReader) -> None:
    # unparseable.mp3 holds TDRC "Oct 3, 1995", which is no ID3 timestamp.
    tags = reader.read(FIXTURES / "unparseable.mp3")

    assert (tags.title, tags.date, tags.duration_ms) == ("unparseable", None, 1000)


def test_unicode_file_name_and_a_30000_value_junk_frame(reader: MutagenTagReader) -> None:
    # Its TXXX "MusicBrainz Album Type" holds some 30,000 one-character values (a beets bug).
    tags = reader.read(FIXTURES / "unicode\u2019d.mp3")

    assert (tags.title, tags.artists, tags.album_artists) == (
        "full",
        ("the artist",),
        ("the album artist",),
    )
    assert (tags.date, tags.musicbrainz_track_id) == ("2001", MB_RECORDING)


def test_unicode_paths_give_unicode_titles(
    reader: MutagenTagReader, copy: Callable[..., Path], tmp_path: Path
) -> None:
    path = copy("empty.mp3", "01_naïve_Ωμέγα’s_☃.mp3", tmp_path / "Björk – 東京")  # noqa: RUF001

    assert reader.read(path).title == "01 naïve Ωμέγα’s ☃"  # noqa: RUF001


# ----- files that are not usable audio -------------------------------------------------------


def truncated(length: int) -> Callable[[Path], bytes]:
    return lambda source: source.read_bytes()[:length]


BROKEN = [
    pytest.param("x.mp3", lambda _: b"", "empty file", id="empty-file"),
    pytest.param("x.mp3", lambda _: b"hello, world\n" * 200, "not a recognised audio format",
                 id="text-named-mp3"),
    pytest.param("x.ogg", lambda _: b"hello, world\n" * 200, "not a recognised audio format",
                 id="text-named-ogg"),
    pytest.param("x.mp3", lambda _: jpeg() * 20, "not a recognised audio format",
                 id="jpeg-named-mp3"),
    *[
        pytest.param(f"x.{ext}", lambda _: bytes(20_000), "not a recognised audio format",
                     id=f"zeros-named-{ext}")
        for ext in ("mp3", "flac", "ogg", "opus", "m4a", "wav", "aiff")
    ],
    pytest.param("full.flac", truncated(200), "could not parse: ", id="truncated-flac"),
    pytest.param("full.ogg", truncated(500), "could not parse: ", id="truncated-ogg"),
    pytest.param("full.m4a", truncated(1000), "could not parse: ", id="truncated-m4a"),
    pytest.param("full.mp3", truncated(2200), "could not parse: can't sync to MPEG frame",
                 id="id3-tag-without-audio"),
    pytest.param("x.wav", lambda _: b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk", "could not parse: ",
                 id="wav-without-format-chunk"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "reason"), BROKEN)
def test_broken_files_say_why(
    reader: MutagenTagReader,
    tmp_path: Path,
    name: str,
    content: Callable[[Path], bytes],
    reason: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(content(FIXTURES / name))

    with pytest.raises(UnreadableAudio) as raised:
        reader.read(path)

    assert raised.value.detail.startswith(reason)


def test_a_non_audio_file_is_not_recognised(reader: MutagenTagReader) -> None:
    with pytest.raises(UnreadableAudio, match=r"^not a recognised audio format$"):
        reader.read(FIXTURES / "LICENSE.beets")


def test_zero_duration(reader: MutagenTagReader, tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44100)

    with pytest.raises(UnreadableAudio, match=r"^zero duration$"):
        reader.read(path)


def test_paths_that_are_not_files(reader: MutagenTagReader, tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone.mp3")
    cases = {
        tmp_path: "is a directory",
        tmp_path / "nothing.mp3": "file not found",
        tmp_path / "dangling": "broken symbolic link",
        tmp_path / "a": "symbolic link loop",
    }
    if hasattr(os, "mkfifo"):  # a FIFO must be refused, not block the import forever
        os.mkfifo(tmp_path / "pipe.mp3")
        cases[tmp_path / "pipe.mp3"] = "not a regular file"

    for path, reason in cases.items():
        with pytest.raises(UnreadableAudio) as raised:
            reader.read(path)
        assert raised.value.detail == reason, path


def test_permission_denied_as_the_system_reports_it(
    reader: MutagenTagReader, copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same case wherever the tests run (root ignores chmod): open() says EACCES."""
    path = copy("full.ogg")

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)

    with pytest.raises(UnreadableAudio, match=r"^permission denied$"):
        reader.read(path)


@pytest.mark.parametrize("name", ["full.mp3", "full.flac", "full.ogg", "full.opus", "full.m4a"])
def test_damaged_files_raise_only_unreadable_audio(
    reader: MutagenTagReader, tmp_path: Path, name: str
) -> None:
    """Overwritten headers, tag bytes and cuts: every outcome is tags or an `UnreadableAudio`."""
    original = (FIXTURES / name).read_bytes()
    path = tmp_path / name
    damaged = 0
    for offset in [*range(0, 64, 3), *range(64, min(len(original), 4096), 97)]:
        for junk in (b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\x00\x00\x10"):
            path.write_bytes(original[:offset] + junk + original[offset + len(junk) :])
            try:
                reader.read(path)
            except UnreadableAudio:
                damaged += 1
    for length in (1, 10, 100, len(original) // 2):
        path.write_bytes(original[:length])
        try:
            reader.read(path)
        except UnreadableAudio:
            damaged += 1

    assert damaged > 0


# ----- tags edited into copies of the fixtures ---------------------------------------------


def test_vorbis_multi_valued_artists(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    path = retag(copy("full.ogg"), artist=["Queen", "David Bowie"])

    tags = reader.read(path)

    assert tags.artists == ("Queen", "David Bowie")
    assert tags.album_artists == ("Queen", "David Bowie")


def test_musicbrainz_artists_tag_is_preferred(
    reader: MutagenTagReader, copy: Callable[..., Path]
) -> None:
    path = retag(
        copy("full.opus"),
        artist=["Queen feat. David Bowie"],
        artists=["Queen", "David Bowie"],
        albumartist=["Queen"],
    )

    tags = reader.read(path)

    assert (tags.artists, tags.album_artists) == (("Queen", "David Bowie"), ("Queen",))


def test_id3v24_multi_valued_artists(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    path = id3_file(copy("empty.mp3"), TPE1(encoding=3, text=["Queen", "David Bowie"]))

    assert reader.read(path).artists == ("Queen", "David Bowie")


def test_mp4_multi_valued_artists_and_album_artist(
    reader: MutagenTagReader, copy: Callable[..., Path]
) -> None:
    path = copy("full.m4a")
    file = MP4(path)
    file["©ART"] = ["Queen", "David Bowie"]
    file["aART"] = ["Queen"]
    file.save()

    tags = reader.read(path)

    assert (tags.artists, tags.album_artists) == (("Queen", "David Bowie"), ("Queen",))


@pytest.mark.parametrize("name", ["AC/DC", "Simon & Garfunkel", "Jay-Z feat. Alicia Keys"])
def test_free_text_is_never_split(
    reader: MutagenTagReader, copy: Callable[..., Path], name: str
) -> None:
    vorbis = retag(copy("full.ogg"), artist=[name])
    id3v24 = id3_file(copy("empty.mp3", "v24.mp3"), TPE1(encoding=3, text=[name]))
    id3v23 = id3_file(copy("empty.mp3", "v23.mp3"), TPE1(encoding=3, text=[name]), version=3)

    assert {reader.read(path).artists for path in (vorbis, id3v24, id3v23)} == {(name,)}


def test_huge_values_are_capped(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    path = retag(
        copy("full.ogg"),
        title=["x" * 100_000],
        artist=[f"Artist {n}" for n in range(1000)],
        genre=["g" * 1_000_000],
    )

    tags = reader.read(path)

    assert tags.title == "x" * 500
    assert tags.artists == tuple(f"Artist {n}" for n in range(50))
    assert tags.genres == ("g" * 500,)


def test_an_id3_frame_with_many_values_keeps_the_first_fifty(
    reader: MutagenTagReader, copy: Callable[..., Path]
) -> None:
    names = [f"Artist {n}" for n in range(5000)]
    # "AĀ" and "ĀA" hold a zero byte pair that straddles two UTF-16 code units (LE and BE).
    straddling = ["AĀ", "ĀA", *names]
    for encoding, values in ((0, names), (1, straddling), (2, straddling), (3, straddling)):
        path = id3_file(copy("empty.mp3"), TXXX(encoding=encoding, desc="ARTISTS", text=values))

        assert reader.read(path).artists == tuple(values[:50]), encoding


def test_control_characters_are_dropped(
    reader: MutagenTagReader, copy: Callable[..., Path]
) -> None:
    path = retag(copy("full.flac"), title=["\ufeff Ti\x00t\x07le\x1b\x9b "], album=["One\nTwo"])

    tags = reader.read(path)

    assert (tags.title, tags.album) == ("Title", "One Two")


def test_blank_values_count_as_missing(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    path = retag(copy("full.ogg", "My_Song.ogg"), title=["  \x00 "], artist=["", " "])

    tags = reader.read(path)

    assert (tags.title, tags.artists) == ("My Song", ())


def test_missing_tags_fall_back_to_the_file_name(
    reader: MutagenTagReader, copy: Callable[..., Path]
) -> None:
    path = copy("full.flac", "03_-_Some_Song.flac")
    file = FLAC(path)
    file.delete()

    tags = reader.read(path)

    assert (tags.title, tags.artists, tags.album, tags.album_artists) == (
        "03 - Some Song",
        (),
        None,
        (),
    )
    assert (tags.track_number, tags.date, tags.musicbrainz_track_id) == (None, None, None)


@pytest.mark.parametrize(
    ("tagged", "expected"),
    [
        ("us-rc1-76-07839", "USRC17607839"),
        ("GB UM7 10 29604", "GBUM71029604"),
        ("USRC1760783", None),
        ("not an isrc", None),
    ],
)
def test_isrc_is_normalised_or_dropped(
    reader: MutagenTagReader, copy: Callable[..., Path], tagged: str, expected: str | None
) -> None:
    vorbis = retag(copy("full.ogg"), isrc=[tagged])
    id3 = id3_file(copy("empty.mp3"), TSRC(encoding=3, text=[tagged]))
    mp4 = copy("full.m4a")
    file = MP4(mp4)
    file["----:com.apple.iTunes:ISRC"] = [MP4FreeForm(tagged.encode())]
    file.save()

    assert [reader.read(path).isrc for path in (vorbis, id3, mp4)] == [expected] * 3


def test_track_and_disc_numbers(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    id3 = id3_file(
        copy("empty.mp3"), TRCK(encoding=3, text=["3/12"]), TPOS(encoding=3, text=["1/2"])
    )
    vorbis = retag(copy("full.ogg"), tracknumber=["03"], discnumber=["junk"])

    assert (reader.read(id3).track_number, reader.read(id3).disc_number) == (3, 1)
    assert (reader.read(vorbis).track_number, reader.read(vorbis).disc_number) == (3, None)


@pytest.mark.parametrize(
    ("tagged", "expected"),
    [
        ("1975-10-31T00:00:00", "1975-10-31"),
        ("1975-10-31", "1975-10-31"),
        ("1975-10", "1975-10"),
        ("1975", "1975"),
        ("1975-02-30", "1975-02"),
        ("1975-13-01", "1975"),
        ("0000", None),
        ("Oct 3, 1995", None),
        ("garbage", None),
    ],
)
def test_dates_are_normalised(
    reader: MutagenTagReader, copy: Callable[..., Path], tagged: str, expected: str | None
) -> None:
    path = retag(copy("full.ogg"), date=[tagged], year=[])

    assert reader.read(path).date == expected


def test_id3_dates(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    v24 = id3_file(copy("empty.mp3", "v24.mp3"), TDRC(encoding=3, text=["1975-10-31T00:00:00"]))
    # ID3v2.3 splits a date: TYER holds the year, TDAT the day and month (DDMM).
    v23 = id3_file(
        copy("empty.mp3", "v23.mp3"),
        TYER(encoding=0, text=["1975"]),
        TDAT(encoding=0, text=["3110"]),
        version=3,
    )

    assert (reader.read(v24).date, reader.read(v23).date) == ("1975-10-31", "1975-10-31")


def test_genres_are_multi_valued(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    vorbis = retag(copy("full.ogg"), genre=["Rock", "Pop; Funk", "rock", "Hip-Hop/Rap"])
    id3 = id3_file(copy("empty.mp3"), TCON(encoding=3, text=["Rock", "(13)"]))

    assert reader.read(vorbis).genres == ("Rock", "Pop", "Funk", "Hip-Hop/Rap")
    assert reader.read(id3).genres == ("Rock", "Pop")


def test_musicbrainz_ids_are_validated(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    vorbis = retag(
        copy("full.ogg"),
        musicbrainz_trackid=[MB_RECORDING.upper()],
        musicbrainz_albumid=["not-a-uuid"],
        musicbrainz_artistid=[MB_ARTIST, "junk", OTHER_UUID],
    )
    id3 = id3_file(
        copy("empty.mp3"),
        UFID(owner="http://musicbrainz.org", data=MB_RECORDING.encode()),
        TXXX(encoding=3, desc="MusicBrainz Artist Id", text=[f"{MB_ARTIST}/{OTHER_UUID}"]),
        version=3,
    )

    tags = reader.read(vorbis)
    assert (tags.musicbrainz_track_id, tags.musicbrainz_album_id) == (MB_RECORDING, None)
    assert tags.musicbrainz_artist_ids == (MB_ARTIST, OTHER_UUID)
    tags = reader.read(id3)
    assert (tags.musicbrainz_track_id, tags.musicbrainz_artist_ids) == (
        MB_RECORDING,
        (MB_ARTIST, OTHER_UUID),
    )


def test_explicit_flags(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    def m4a(rating: int) -> Path:
        path = copy("full.m4a", f"rated-{rating}.m4a")
        file = MP4(path)
        file["rtng"] = [rating]
        file.save()
        return path

    assert [reader.read(m4a(rating)).explicit for rating in (1, 4, 2, 0)] == [
        True,
        True,
        False,
        None,
    ]
    assert reader.read(retag(copy("full.ogg", "a.ogg"), itunesadvisory=["1"])).explicit is True
    assert reader.read(retag(copy("full.ogg", "b.ogg"), explicit=["0"])).explicit is False
    id3 = id3_file(copy("empty.mp3"), TXXX(encoding=3, desc="ITUNESADVISORY", text=["2"]))
    assert reader.read(id3).explicit is False


def test_flac_pictures(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    path = copy("full.flac")
    file = FLAC(path)
    for kind, data, mime in ((8, jpeg(), "image/jpeg"), (3, jpeg()[:-2], "image/jpeg")):
        picture = Picture()
        picture.type, picture.data, picture.mime = kind, data, mime
        file.add_picture(picture)
    file.save()

    cover = reader.read(path).cover

    assert cover is not None
    assert (cover.mime_type, cover.data) == ("image/jpeg", jpeg()[:-2])  # the front one


def test_ogg_picture_blocks_prefer_the_front_cover(
    reader: MutagenTagReader, copy: Callable[..., Path]
) -> None:
    def block(kind: int, data: bytes, mime: str) -> str:
        picture = Picture()
        picture.type, picture.data, picture.mime = kind, data, mime
        return base64.b64encode(picture.write()).decode("ascii")

    png = ID3(FIXTURES / "image.mp3").getall("APIC")[0].data
    path = copy("full.opus")
    file = OggOpus(path)
    file["metadata_block_picture"] = [
        "%%% not base64 %%%",
        block(4, jpeg(), "image/jpeg"),
        block(3, png, "image/png"),
    ]
    file.save()

    cover = reader.read(path).cover

    assert cover is not None
    assert (cover.mime_type, cover.data) == ("image/png", png)


def test_mp4_cover(reader: MutagenTagReader, copy: Callable[..., Path]) -> None:
    from mutagen.mp4 import MP4Cover

    path = copy("full.m4a")
    file = MP4(path)
    file["covr"] = [MP4Cover(jpeg(), imageformat=MP4Cover.FORMAT_JPEG)]
    file.save()

    cover = reader.read(path).cover

    assert cover is not None
    assert (cover.mime_type, cover.data) == ("image/jpeg", jpeg())


def test_oversized_embedded_pictures_are_ignored(copy: Callable[..., Path], tmp_path: Path) -> None:
    path = copy("image.mp3")  # its pictures are of 155 and 628 bytes
    (tmp_path / "cover.jpg").write_bytes(jpeg())  # too big as well

    assert MutagenTagReader(max_cover_bytes=154).read(path).cover is None
    cover = MutagenTagReader(max_cover_bytes=155).read(path).cover
    assert cover is not None
    assert cover.mime_type == "image/png"


def test_a_picture_that_is_no_image_is_ignored(
    reader: MutagenTagReader, copy: Callable[..., Path]
) -> None:
    link = APIC(encoding=0, mime="-->", type=3, desc="", data=b"http://example.com/a.jpg")
    path = id3_file(copy("empty.mp3"), link)

    assert reader.read(path).cover is None


def test_cover_beside_the_file(
    reader: MutagenTagReader, copy: Callable[..., Path], tmp_path: Path
) -> None:
    path = copy("full.ogg")
    png = ID3(FIXTURES / "image.mp3").getall("APIC")[0].data

    assert reader.read(path).cover is None
    (tmp_path / "notes.txt").write_text("not a cover")
    (tmp_path / "Cover.JPG").write_bytes(b"not an image at all")  # ignored, and so falls back
    (tmp_path / "FOLDER.jpg").write_bytes(jpeg())
    cover = reader.read(path).cover
    assert cover is not None
    assert (cover.mime_type, cover.data) == ("image/jpeg", jpeg())

    (tmp_path / "Cover.JPG").write_bytes(png)  # replaced in place: the change is seen
    cover = reader.read(path).cover
    assert cover is not None
    assert (cover.mime_type, cover.data) == ("image/png", png)


def test_embedded_art_wins_over_a_cover_beside_the_file(
    reader: MutagenTagReader, copy: Callable[..., Path], tmp_path: Path
) -> None:
    path = copy("image.mp3")
    (tmp_path / "cover.jpg").write_bytes(jpeg())

    cover = reader.read(path).cover

    assert cover is not None
    assert cover.mime_type == "image/png"


def test_a_cover_beside_the_file_is_capped(copy: Callable[..., Path], tmp_path: Path) -> None:
    path = copy("full.ogg")
    (tmp_path / "cover.jpg").write_bytes(jpeg())

    assert MutagenTagReader(max_cover_bytes=len(jpeg()) - 1).read(path).cover is None
    assert MutagenTagReader(max_cover_bytes=len(jpeg())).read(path).cover is not None


def test_id3v1_only(reader: MutagenTagReader, tmp_path: Path) -> None:
    def field(text: bytes, size: int) -> bytes:
        return text.ljust(size, b"\x00")

    tag = b"".join(
        [
            b"TAG",
            field(b"Caf\xe9 Song", 30),  # ID3v1 is Latin-1
            field(b"The Artist", 30),
            field(b"The Album", 30),
            b"1999",
            field(b"comment", 28),
            b"\x00\x05",  # ID3v1.1: track 5
            bytes([17]),  # genre 17: Rock
        ]
    )
    path = tmp_path / "v1.mp3"
    path.write_bytes((FIXTURES / "empty.mp3").read_bytes() + tag)

    tags = reader.read(path)

    assert (tags.title, tags.artists, tags.album) == ("Café Song", ("The Artist",), "The Album")
    assert (tags.track_number, tags.date, tags.genres) == (5, "1999", ("Rock",))


def test_id3v22(reader: MutagenTagReader, tmp_path: Path) -> None:
    def frame(name: bytes, text: str) -> bytes:
        payload = b"\x00" + text.encode("latin-1")
        return name + len(payload).to_bytes(3, "big") + payload

    frames = frame(b"TT2", "Old Song") + frame(b"TP1", "Old Artist") + frame(b"TYE", "1998")
    size = len(frames).to_bytes(4, "big")  # < 128, so also a valid syncsafe integer
    path = tmp_path / "v22.mp3"
    path.write_bytes(b"ID3\x02\x00\x00" + size + frames + (FIXTURES / "empty.mp3").read_bytes())

    tags = reader.read(path)

    assert (tags.title, tags.artists, tags.date) == ("Old Song", ("Old Artist",), "1998")


# ----- the lossless containers, made with the ffmpeg that imageio-ffmpeg ships -----------


def test_wav(reader: MutagenTagReader, tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(bytes(48000 * 4 // 4))  # a quarter of a second

    tags = reader.read(path)

    assert (tags.title, tags.codec, tags.lossless, tags.bitrate_kbps) == ("tone", "pcm", True, None)
    assert (tags.duration_ms, tags.sample_rate, tags.channels) == (250, 48000, 2)


def ffmpeg(tmp_path: Path, name: str, *codec: str) -> Path:
    try:
        import imageio_ffmpeg

        executable = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as error:
        pytest.skip(f"no ffmpeg to make the file with: {error}")
    path = tmp_path / name
    subprocess.run(
        [executable, "-v", "error", "-f", "lavfi", "-i", "sine=d=0.5", *codec, str(path)],
        check=True,
        timeout=60,
    )
    return path


def test_alac(reader: MutagenTagReader, tmp_path: Path) -> None:
    tags = reader.read(ffmpeg(tmp_path, "tone.m4a", "-c:a", "alac"))

    assert (tags.codec, tags.lossless, tags.bitrate_kbps, tags.duration_ms) == (
        "alac",
        True,
        None,
        500,
    )


def test_aiff_with_id3_tags(reader: MutagenTagReader, tmp_path: Path) -> None:
    path = ffmpeg(tmp_path, "tone.aiff", "-c:a", "pcm_s16be")
    file: Any = mutagen.File(path)
    file.add_tags()
    file.tags.add(TIT2(encoding=3, text=["An AIFF"]))
    file.save()

    tags = reader.read(path)

    assert (tags.title, tags.codec, tags.lossless, tags.sample_rate) == (
        "An AIFF",
        "pcm",
        True,
        44100,
    )
