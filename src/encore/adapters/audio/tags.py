"""The `TagReader` port on mutagen: tags, cover art and stream facts, without decoding audio."""

import errno
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mutagen.aiff import AIFF
from mutagen.flac import FLAC
from mutagen.id3 import Frames, Frames_2_2
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from encore.adapters.audio.tag_fields import (
    MAX_COVER_BYTES,
    MAX_VALUES,
    TagFields,
    clean_text,
    image_cover,
)
from encore.catalog.audio import AudioTags, CoverArt, UnreadableAudio

__all__ = ["SIDECAR_COVERS", "MutagenTagReader"]

# The formats Encore imports; only these are scored, which also makes detection cheaper.
_FORMATS: list[type] = [MP3, FLAC, OggVorbis, OggOpus, MP4, WAVE, AIFF]
# Non-blocking, so that opening a FIFO cannot hang an import (it is then refused as irregular).
_OPEN_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_OPUS_SAMPLE_RATE = 48_000  # Opus always decodes at 48 kHz, whatever rate the input had
_WAVE_PCM = {1, 3, 0xFFFE}  # integer PCM, IEEE float, and WAVE_FORMAT_EXTENSIBLE
_NOT_AUDIO = "not a recognised audio format"
_MAGIC = (b"ID3", b"fLaC", b"OggS", b"RIFF", b"FORM")  # and MP4's "ftyp" and MPEG frame sync
_ID3_FORMATS = (MP3, WAVE, AIFF)
# The ID3 frames Encore reads; ID3v2.3 keeps dates in TYER, TDAT, TIME and TRDA (mutagen merges
# them into TDRC), and ID3v2.2 has three-letter names (mutagen renames them).
_ID3_TEXT_FRAMES = ("TIT2", "TPE1", "TPE2", "TALB", "TRCK", "TPOS", "TCON", "TSRC", "TXXX")
_ID3_DATE_FRAMES = ("TDRC", "TYER", "TDAT", "TIME", "TRDA")
_ID3_V22_FRAMES = ("TT2", "TP1", "TP2", "TAL", "TRK", "TPA", "TCO", "TRC", "TXX", "UFI", "PIC")
_ID3_V22_DATE_FRAMES = ("TYE", "TDA", "TIM", "TRD")
# Looked for beside the file when it embeds no picture, best first; names match in any case.
SIDECAR_COVERS = tuple(
    f"{stem}.{ext}" for stem in ("cover", "folder", "front") for ext in ("jpg", "jpeg", "png")
)


@dataclass(frozen=True, slots=True)
class _Stream:
    duration_ms: int
    codec: str
    bitrate_kbps: int | None
    sample_rate: int
    channels: int
    lossless: bool


class MutagenTagReader:
    """Reads MP3, FLAC, Ogg Vorbis, Opus, MP4/M4A (AAC, ALAC), WAV and AIFF files.

    Safe to share between threads. Every failure caused by the file is an `UnreadableAudio`
    whose `detail` says why, in words fit for an import summary.
    """

    def __init__(self, *, max_cover_bytes: int = MAX_COVER_BYTES) -> None:
        self._max_cover_bytes = max_cover_bytes
        self._sidecars = _SidecarCovers(max_cover_bytes)

    def read(self, path: Path) -> AudioTags:
        with _open_regular_file(path) as file:
            audio = _load(file, str(path))
        stream = _stream_facts(audio)
        try:
            fields = TagFields.of(audio, max_cover_bytes=self._max_cover_bytes)
        except Exception as error:  # mutagen accepted tags that no reader can make sense of
            raise UnreadableAudio(f"could not read tags: {_describe(error, str(path))}") from error
        return AudioTags(
            title=fields.title or clean_text(path.stem.replace("_", " ")) or clean_text(path.name),
            artists=fields.artists,
            album=fields.album,
            album_artists=fields.album_artists,
            track_number=fields.track_number,
            disc_number=fields.disc_number,
            date=fields.date,
            genres=fields.genres,
            isrc=fields.isrc,
            musicbrainz_track_id=fields.musicbrainz_track_id,
            musicbrainz_album_id=fields.musicbrainz_album_id,
            musicbrainz_artist_ids=fields.musicbrainz_artist_ids,
            explicit=fields.explicit,
            duration_ms=stream.duration_ms,
            codec=stream.codec,
            bitrate_kbps=stream.bitrate_kbps,
            sample_rate=stream.sample_rate,
            channels=stream.channels,
            lossless=stream.lossless,
            cover=fields.cover or self._sidecars.find(path.parent),
        )


def _open_regular_file(path: Path) -> BinaryIO:
    """`path` opened for reading, or the reason it cannot be: never blocks on a FIFO."""
    try:
        file = open(path, "rb", opener=lambda name, flags: os.open(name, flags | _OPEN_FLAGS))  # noqa: SIM115
    except FileNotFoundError:
        reason = "broken symbolic link" if os.path.islink(path) else "file not found"
        raise UnreadableAudio(reason) from None
    except PermissionError:
        raise UnreadableAudio("permission denied") from None
    except IsADirectoryError:
        raise UnreadableAudio("is a directory") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnreadableAudio("symbolic link loop") from None
        raise UnreadableAudio(f"cannot open: {error.strerror or error}") from None
    try:
        status = os.fstat(file.fileno())
    except OSError as error:
        file.close()
        raise UnreadableAudio(f"cannot open: {error.strerror or error}") from None
    if not stat.S_ISREG(status.st_mode):
        file.close()
        raise UnreadableAudio("not a regular file")
    if status.st_size == 0:
        file.close()
        raise UnreadableAudio("empty file")
    return file


def _load(file: BinaryIO, name: str) -> Any:
    """mutagen's view of the file: tags and stream info, with no audio decoded."""
    try:
        head = file.read(128)
        file.seek(0)
        audio = _parse(file, name, head)
    except OSError as error:
        raise UnreadableAudio(f"could not read: {_describe(error, name)}") from None
    except Exception as error:  # mutagen's parsers also let struct, index and value errors out
        cause = error.__cause__ or error.__context__
        if isinstance(cause, OSError):  # mutagen wraps read errors in its own
            raise UnreadableAudio(f"could not read: {_describe(cause, name)}") from None
        if not _looks_like_audio(head):  # chosen by its extension alone: some other file
            raise UnreadableAudio(_NOT_AUDIO) from None
        raise UnreadableAudio(f"could not parse: {_describe(error, name)}") from None
    if audio is None:
        raise UnreadableAudio(_NOT_AUDIO)
    if isinstance(audio, MP3) and getattr(audio.info, "sketchy", False):
        raise UnreadableAudio(f"{_NOT_AUDIO} (no consistent MPEG audio frames)")
    return audio


def _looks_like_audio(head: bytes) -> bool:
    """Whether the file starts as one of the formats Encore reads does."""
    mpeg_sync = len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
    return mpeg_sync or head.startswith(_MAGIC) or head[4:8] == b"ftyp"


def _parse(file: BinaryIO, name: str, head: bytes) -> Any:
    """As `mutagen.File` (the best-scoring format wins), but ID3 tags load only the frames Encore
    reads, each with no more values than it keeps: lyrics, comments, private data and the rest
    of a 30,000-value junk TXXX are never parsed."""
    formats: list[Any] = _FORMATS
    scores = [(kind.score(name, file, head), kind.__name__, kind) for kind in formats]
    score, _, kind = max(scores, key=lambda scored: scored[:2])
    file.seek(0)
    if score <= 0:
        return None
    if kind in _ID3_FORMATS:
        return kind(file, filename=name, known_frames=_ID3_KNOWN_FRAMES)
    return kind(file, filename=name)


def _capped_frame(frame_id: str) -> type:
    """A subclass of mutagen's `frame_id` class (same name, so the same FrameID) that parses
    no more values than Encore keeps."""
    base: Any = Frames[frame_id]

    def _readData(self: Any, id3: Any, data: bytes) -> Any:  # noqa: N802 (mutagen's name)
        return base._readData(self, id3, _first_values(data))

    return type(frame_id, (base,), {"_readData": _readData})


def _first_values(data: bytes) -> bytes:
    """A text frame's payload cut after its first `MAX_VALUES` + 1 strings (a TXXX frame's first
    is its description): mutagen parses each value in Python, so 30,000 of them take 50 ms."""
    if len(data) < 256:
        return data
    utf16 = data[0] in {1, 2}  # after the encoding byte come whole 2-byte code units
    terminator = b"\x00\x00" if utf16 else b"\x00"
    position, count = 1, 0
    while (found := data.find(terminator, position)) >= 0:
        if utf16 and found % 2 == 0:  # the zero bytes of two different code units
            position = found + 1
            continue
        position = found + len(terminator)
        count += 1
        if count > MAX_VALUES:
            return data[:position]
    return data


_ID3_KNOWN_FRAMES: dict[str, type] = {
    **{frame_id: _capped_frame(frame_id) for frame_id in _ID3_TEXT_FRAMES + _ID3_DATE_FRAMES},
    "UFID": Frames["UFID"],
    "APIC": Frames["APIC"],
    **{frame_id: Frames_2_2[frame_id] for frame_id in _ID3_V22_FRAMES + _ID3_V22_DATE_FRAMES},
}


def _describe(error: BaseException, name: str) -> str:
    """The error in one short line, without the file's full path (the caller knows it)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = " ".join(str(error).replace(name, os.path.basename(name)).split())[:200]
    return text or type(error).__name__


def _stream_facts(audio: Any) -> _Stream:
    info = audio.info
    codec, lossless = _codec(audio)
    length = float(getattr(info, "length", 0.0) or 0.0)
    duration_ms = round(length * 1000) if math.isfinite(length) else 0
    if duration_ms <= 0:
        raise UnreadableAudio("zero duration")
    sample_rate = _OPUS_SAMPLE_RATE if codec == "opus" else int(info.sample_rate or 0)
    channels = int(getattr(info, "channels", 0) or 0)
    if sample_rate <= 0 or channels <= 0:
        raise UnreadableAudio("no audio stream")
    bitrate = round(int(getattr(info, "bitrate", 0) or 0) / 1000)
    return _Stream(
        duration_ms=duration_ms,
        codec=codec,
        bitrate_kbps=None if lossless or bitrate <= 0 else bitrate,
        sample_rate=sample_rate,
        channels=channels,
        lossless=lossless,
    )


def _codec(audio: Any) -> tuple[str, bool]:
    """The codec's name and whether it is lossless."""
    info = audio.info
    if isinstance(audio, MP3):
        return ("mp3" if info.layer == 3 else f"mp{info.layer}"), False
    if isinstance(audio, OggOpus):
        return "opus", False
    if isinstance(audio, OggVorbis):
        return "vorbis", False
    if isinstance(audio, FLAC):
        return "flac", True
    if isinstance(audio, AIFF):
        return "pcm", True
    if isinstance(audio, WAVE):
        if info.audio_format not in _WAVE_PCM:
            raise UnreadableAudio(f"unsupported WAV codec (format tag {info.audio_format:#06x})")
        return "pcm", True
    codec = str(getattr(info, "codec", "")).lower()
    if codec == "alac":
        return "alac", True
    if codec.startswith("mp4a.40") or codec == "mp4a":
        return "aac", False
    if codec in {"mp4a.69", "mp4a.6b"}:
        return "mp3", False
    raise UnreadableAudio(f"unsupported codec: {codec or 'no audio track'}")


class _SidecarCovers:
    """Cover images beside audio files. Remembers the last folder, since an import walks one
    album folder at a time and would otherwise list and read it again for every track."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        # One entry each, replaced whole (so threads sharing the reader see a consistent one).
        self._listing: tuple[tuple[str, int], dict[str, str]] | None = None
        self._cover: tuple[tuple[object, ...], CoverArt | None] | None = None

    def find(self, folder: Path) -> CoverArt | None:
        try:
            names = self._names(folder)
        except OSError:
            return None
        found: list[tuple[Path, os.stat_result]] = []
        for wanted in SIDECAR_COVERS:
            if wanted in names:
                try:
                    found.append((folder / names[wanted], os.stat(folder / names[wanted])))
                except OSError:
                    continue
        if not found:
            return None
        key = tuple((str(path), s.st_mtime_ns, s.st_size) for path, s in found)
        cached = self._cover
        if cached is not None and cached[0] == key:
            return cached[1]
        cover = next(filter(None, (self._load(path, status) for path, status in found)), None)
        self._cover = (key, cover)
        return cover

    def _names(self, folder: Path) -> dict[str, str]:
        """The folder's entries by lower-cased name."""
        key = (str(folder), os.stat(folder).st_mtime_ns)
        cached = self._listing
        if cached is not None and cached[0] == key:
            return cached[1]
        names: dict[str, str] = {}
        for name in os.listdir(folder):
            names.setdefault(name.lower(), name)
        self._listing = (key, names)
        return names

    def _load(self, path: Path, status: os.stat_result) -> CoverArt | None:
        if not stat.S_ISREG(status.st_mode) or not 0 < status.st_size <= self._max_bytes:
            return None
        try:
            with open(path, "rb") as file:
                data = file.read(self._max_bytes + 1)
        except OSError:
            return None
        return image_cover(data, max_bytes=self._max_bytes)
