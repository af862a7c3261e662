"""The `Transcoder` port on the ffmpeg command-line tool: the bitrate ladder, previews, probes.

Each call runs its own ffmpeg process and shares no mutable state, so the importer can call one
`FfmpegTranscoder` from many threads. ffmpeg runs single-threaded (`-threads 1`), so N parallel
encodes use about N cores.
"""

import functools
import math
import operator
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import mutagen

from encore.catalog.audio import PREVIEW, RenditionSpec, UnreadableAudio

__all__ = ["FfmpegTranscoder", "Probe", "find_ffmpeg"]

_BASE = ("-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-filter_threads", "1")
# Only the first audio stream; no cover picture, subtitles, tags or chapters (Encore serves tags
# from its catalog); bit-exact muxing so that the same input always gives the same bytes.
_STREAM_ONLY = (
    *("-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"),
    *("-fflags", "+bitexact", "-flags:a", "+bitexact", "-metadata:s:a:0", "encoder="),
)
# Timestamps rebuilt from the sample count: resampling an Ogg source can otherwise leave a few
# non-monotonic granule positions in the output.
_RETIME = "asetpts=N/SR/TB"
_MUXERS = {"vorbis": "ogg", "flac": "flac"}
_FLAC_LEVEL = "8"  # the smallest standard preset; FLAC decoding costs the same at any level
# Below this, libvorbis cannot encode 44.1 kHz stereo at all (its lowest stereo mode is ~45 kbps),
# so the low rungs are mono at 22.05 kHz, where the managed mode lands on the target.
_STEREO_FROM_KBPS = 48
_FADE_S = 0.5  # previews fade in and out so they neither start nor stop with a click
# Timeouts: a fixed allowance plus one second per second of audio; ffmpeg runs 50-300x real time
# on one core, so only a hung or pathological decode reaches it.
_TIMEOUT_FLOOR_S = 60.0
_TIMEOUT_PER_AUDIO_S = 1.0
_UNKNOWN_DURATION_KBPS = 32  # a file mutagen cannot time is assumed this dense, for its timeout
# representative_start_ms: analysis format and frame size.
_ANALYSIS_RATE = 8_000
_FRAME_BYTES = _ANALYSIS_RATE * 2  # one second of 16-bit mono
_SILENCE_DB = -60.0  # quieter seconds count as this, so one silent second cannot dominate
_EDGE_FRACTION = 0.05  # intros and outros are left out of the search when the track is long enough
_REASON_CHARS = 300
# ffmpeg's bookkeeping lines, and the output side's complaints when the input gave no audio:
# neither says anything about the file.
_NOISE = re.compile(
    "Task finished with error code|Terminating thread with return code|^Conversion failed"
    "|Could not open encoder before EOF|Error sending frames to consumers"
)
_NO_AUDIO = re.compile("Nothing was written into output file|Empty output stream")
_CONTEXT = re.compile(r"^(?:\[[^\]]* @ 0x[0-9a-f]+\] )+")


@dataclass(frozen=True, slots=True)
class Probe:
    """What a fully decoded audio file turned out to be; the bitrate is the file's average."""

    codec: str  # 'vorbis', 'flac', 'mp3', 'opus', 'aac', ...
    bitrate_kbps: float
    duration_ms: int
    sample_rate: int
    channels: int


@functools.cache
def find_ffmpeg() -> Path:
    """The system `ffmpeg` when it is on PATH and can encode Vorbis, else imageio-ffmpeg's build.

    The imageio-ffmpeg build has libvorbis and FLAC but no ffprobe. The answer is cached.
    """
    system = shutil.which("ffmpeg")
    if system is not None and _has_libvorbis(Path(system)):
        return Path(system)
    import imageio_ffmpeg  # type: ignore[import-untyped]  # a plain module without type hints

    return Path(imageio_ffmpeg.get_ffmpeg_exe())


def _has_libvorbis(ffmpeg: Path) -> bool:
    try:
        listing = subprocess.run(  # noqa: S603  # a path found by shutil.which
            [str(ffmpeg), "-hide_banner", "-encoders"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return any(line.split()[1:2] == ["libvorbis"] for line in listing.splitlines())


class FfmpegTranscoder:
    """Encodes renditions with ffmpeg. Safe to share between threads.

    Every failure caused by the source is an `UnreadableAudio` whose `detail` is ffmpeg's own
    last words about it. Targets appear whole or not at all: ffmpeg writes a hidden
    `.{name}.{random}.part` beside the target, which is renamed onto it on success and deleted on
    failure. Only if this process is killed outright can such a `.part` file remain (the target
    never half-exists); they are safe to delete.
    """

    def __init__(self, ffmpeg: Path | None = None) -> None:
        self._ffmpeg = str(ffmpeg or find_ffmpeg())

    def encode(self, source: Path, target: Path, spec: RenditionSpec) -> None:
        duration_s = _duration_s(source)
        args = [*_input(source), *_STREAM_ONLY, "-af", _RETIME, *_codec_args(spec)]
        self._write(target, spec, args, duration_s)

    def preview(self, source: Path, target: Path, *, start_ms: int, length_ms: int) -> None:
        """The clip `[start_ms, start_ms + length_ms)`, or up to the end, with short fades."""
        if start_ms < 0 or length_ms <= 0:
            raise ValueError(f"not a clip: start {start_ms} ms, length {length_ms} ms")
        duration_s = _duration_s(source)
        length_s = length_ms / 1000
        if duration_s is not None:
            length_s = min(length_s, duration_s - start_ms / 1000)
            if length_s <= 0:
                raise ValueError(f"the clip starts at {start_ms} ms, after the recording ends")
        fade = min(_FADE_S, length_s / 4)
        fades = f"afade=t=in:d={fade:.3f},afade=t=out:st={length_s - fade:.3f}:d={fade:.3f}"
        filters = f"{_RETIME},{fades}"
        clip = ("-ss", f"{start_ms / 1000:.3f}", "-t", f"{length_s:.3f}")
        args = [*clip, *_input(source), *_STREAM_ONLY, "-af", filters, *_codec_args(PREVIEW)]
        self._write(target, PREVIEW, args, length_s)

    def representative_start_ms(self, source: Path, *, duration_ms: int, length_ms: int) -> int:
        """Where the loudest sustained `length_ms` of the recording begins (0 if it is shorter).

        The heuristic: the loudest sustained stretch of a song is usually its chorus or main
        theme, which is what a listener recognises, and rarely the intro. The audio is decoded
        once to 8 kHz mono; each whole second gets its RMS level in dB (floored at -60 dB), and
        the window of `length_ms` with the highest mean level wins. Averaging decibels rather
        than energy means a single crash or click cannot outweigh a loud stretch, and a window
        containing silence ranks low. Windows start on whole seconds; the first and last 5 % of
        the track are left out when the track is long enough to still hold the window; ties go
        to the earlier window. The result always leaves room for the whole clip.
        """
        if duration_ms <= length_ms:
            return 0
        levels = self._second_levels(source, duration_ms / 1000)
        margin_ms = duration_ms * _EDGE_FRACTION if duration_ms * 0.9 >= length_ms else 0.0
        window = math.ceil(length_ms / 1000)
        first = math.ceil(margin_ms / 1000)
        last = min(math.floor((duration_ms - margin_ms - length_ms) / 1000), len(levels) - window)
        best = _loudest_window(levels, window, first, last) if first <= last else first
        return max(0, min(best * 1000, duration_ms - length_ms))

    def probe(self, path: Path) -> Probe:
        """Decode all of `path`, failing on any decoding error, and say what it is.

        Slow (a full decode); meant for checking renditions, not for every import.
        """
        duration_s = _duration_s(path)
        args = [*_input(path), "-map", "0:a:0", "-f", "null", "-"]
        stderr = self._run(args, _timeout_s(path, duration_s))
        if stderr.strip():
            raise UnreadableAudio(f"decoding failed: {_reason(stderr, args)}")
        try:
            audio = mutagen.File(path)
        except Exception as error:  # mutagen raises many unrelated types for damaged files
            raise UnreadableAudio(f"unrecognised file: {error}") from error
        if audio is None or not audio.info.length:
            raise UnreadableAudio("unrecognised file")
        info = audio.info
        codec = str(getattr(info, "codec", "") or type(audio).__name__).lower()
        return Probe(
            codec=_CODECS.get(codec, codec),
            bitrate_kbps=path.stat().st_size * 8 / info.length / 1000,
            duration_ms=round(info.length * 1000),
            sample_rate=int(getattr(info, "sample_rate", 0) or 0),
            channels=int(getattr(info, "channels", 0) or 0),
        )

    def _write(
        self, target: Path, spec: RenditionSpec, args: list[str], duration_s: float | None
    ) -> None:
        """Run ffmpeg with `args` into a temporary file beside `target`, then rename it there."""
        if not target.parent.is_dir():
            raise FileNotFoundError(f"no directory for {target}")
        partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        muxer = ("-abort_on", "empty_output_stream", "-f", _MUXERS[spec.codec])
        try:
            self._run([*args, *muxer, _file_url(partial)], _timeout_s(target, duration_s))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def _run(self, args: Sequence[str], timeout_s: float) -> str:
        """Run ffmpeg and return its stderr; a failure raises `UnreadableAudio`."""
        try:
            done = subprocess.run(  # noqa: S603  # the executable and every argument are ours
                [self._ffmpeg, *_BASE, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise UnreadableAudio(f"ffmpeg gave up after {timeout_s:.0f} s") from error
        stderr = done.stderr.decode("utf-8", "replace")
        if done.returncode != 0:
            raise UnreadableAudio(_reason(stderr, args))
        return stderr

    def _second_levels(self, source: Path, duration_s: float) -> list[float]:
        """The RMS level, in dB below full scale, of each whole second of `source`."""
        args = [*_input(source), "-map", "0:a:0", "-ac", "1", "-ar", str(_ANALYSIS_RATE)]
        command = [self._ffmpeg, *_BASE, *args, "-f", "s16le", "pipe:1"]
        timeout_s = _timeout_s(source, duration_s)
        timed_out = threading.Event()
        # stderr goes to a file: a pipe nobody reads could fill up and stall ffmpeg.
        with tempfile.TemporaryFile() as stderr:
            process = subprocess.Popen(  # noqa: S603  # the executable and every argument are ours
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
            )

            def give_up() -> None:
                timed_out.set()
                process.kill()

            timer = threading.Timer(timeout_s, give_up)
            timer.start()
            try:
                assert process.stdout is not None  # Popen was given stdout=PIPE
                levels = _read_levels(process.stdout)
                returncode = process.wait()
            finally:
                timer.cancel()
                process.kill()
                process.wait()
                if process.stdout is not None:
                    process.stdout.close()
            stderr.seek(0)
            message = stderr.read().decode("utf-8", "replace")
        if timed_out.is_set():
            raise UnreadableAudio(f"ffmpeg gave up after {timeout_s:.0f} s")
        if returncode != 0:
            raise UnreadableAudio(_reason(message, args))
        return levels


_CODECS = {
    "oggvorbis": "vorbis",
    "flac": "flac",
    "oggflac": "flac",
    "mp3": "mp3",
    "oggopus": "opus",
    "wave": "pcm",
    "aiff": "pcm",
    "mp4a.40.2": "aac",
}


def _input(path: Path) -> list[str]:
    return ["-threads", "1", "-i", _file_url(path)]


def _file_url(path: Path) -> str:
    # The `file:` prefix keeps ffmpeg from reading a name like `a:b.flac` as a protocol.
    return f"file:{path.absolute()}"


def _codec_args(spec: RenditionSpec) -> list[str]:
    if spec.codec == "flac":
        # ffmpeg keeps the source's rate, channels and bit depth (capped at 24 bits).
        return ["-c:a", "flac", "-compression_level", _FLAC_LEVEL, "-threads", "1"]
    if spec.codec == "vorbis" and spec.bitrate_kbps is not None:
        kbps = spec.bitrate_kbps
        channels, rate = ("2", "44100") if kbps >= _STEREO_FROM_KBPS else ("1", "22050")
        # A maximum rate keeps libvorbis's bitrate management on, so the file's average lands on
        # the target; with `-b:a` alone it only picks a quality, whose rate varies with the music
        # (35 % short on sparse recordings). Managed mode costs about 3x the CPU time.
        bitrate = ["-b:a", f"{kbps}k", "-maxrate", f"{2 * kbps}k"]
        return ["-c:a", "libvorbis", *bitrate, "-ac", channels, "-ar", rate, "-threads", "1"]
    raise ValueError(f"no encoder for {spec}")


def _duration_s(path: Path) -> float | None:
    """The length mutagen reads from the headers; `UnreadableAudio` if the file is missing."""
    if not path.is_file():
        raise UnreadableAudio(f"no such file: {path.name}")
    try:
        audio = mutagen.File(path)
    except Exception:  # ffmpeg may still read what mutagen cannot
        return None
    length = getattr(getattr(audio, "info", None), "length", None)
    return float(length) if length else None


def _timeout_s(path: Path, duration_s: float | None) -> float:
    if duration_s is None:
        try:
            duration_s = path.stat().st_size * 8 / (_UNKNOWN_DURATION_KBPS * 1000)
        except OSError:
            duration_s = 0.0
    return _TIMEOUT_FLOOR_S + duration_s * _TIMEOUT_PER_AUDIO_S


def _reason(stderr: str, args: Sequence[str]) -> str:
    """ffmpeg's last two lines about the input, without `[component @ 0x…]` prefixes and with
    file names rather than full paths."""
    for arg in args:
        if arg.startswith("file:"):
            stderr = stderr.replace(arg, Path(arg.removeprefix("file:")).name)
    lines: list[str] = []
    no_audio = False
    for raw in stderr.splitlines():
        line = _CONTEXT.sub("", raw.strip()).strip()
        if _NO_AUDIO.search(line):
            no_audio = True
        elif line and not _NOISE.search(line) and line not in lines:
            lines.append(line)
    reason = "; ".join(lines[-2:])
    if no_audio:
        reason = f"no audio could be decoded: {reason}" if reason else "no audio could be decoded"
    return (reason or "ffmpeg failed without saying why")[:_REASON_CHARS]


def _read_levels(pcm: IO[bytes]) -> list[float]:
    levels: list[float] = []
    while len(chunk := pcm.read(_FRAME_BYTES)) == _FRAME_BYTES:
        samples = array("h", chunk)
        if sys.byteorder == "big":
            samples.byteswap()
        mean_square = sum(map(operator.mul, samples, samples)) / len(samples)
        db = 10 * math.log10(mean_square / 32768**2) if mean_square else _SILENCE_DB
        levels.append(max(db, _SILENCE_DB))
    return levels


def _loudest_window(levels: Sequence[float], window: int, first: int, last: int) -> int:
    """The start in `[first, last]` of the `window` consecutive levels with the highest sum."""
    total = sum(levels[first : first + window])
    best, best_total = first, total
    for start in range(first + 1, last + 1):
        total += levels[start + window - 1] - levels[start - 1]
        if total > best_total:
            best, best_total = start, total
    return best
