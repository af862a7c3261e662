"""Recording a composed piece: ffmpeg plays the score into a FLAC file, mutagen tags it and
embeds its album's cover, the way a ripped or purchased file would arrive."""

import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

from mutagen.flac import FLAC, Picture

from encore.demo.music import SYNTH_RATE, Score, expression, filters
from encore.demo.repertoire import PieceSpec

_FRONT_COVER = 3
# A piece takes a few seconds of one core; this is only for an ffmpeg that hangs.
_TIMEOUT_S = 300


def file_name(piece: PieceSpec) -> str:
    return f"{piece.isrc}.flac"


def record(piece: PieceSpec, score: Score, cover: bytes, target: Path, ffmpeg: Path) -> None:
    """Write the tagged piece to `target`, which appears whole or not at all."""
    partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    source = f"aevalsrc=exprs='{expression(score)}':s={SYNTH_RATE}:d={score.duration_s:.3f}"
    try:
        _run(
            [
                str(ffmpeg),
                *("-nostdin", "-hide_banner", "-loglevel", "error", "-y"),
                *("-f", "lavfi", "-i", source, "-filter_complex", filters(score)),
                *("-map", "[out]", "-c:a", "flac", "-sample_fmt", "s16"),
                # The same score always gives the same bytes: no encoder name or version.
                *("-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", "flac"),
                f"file:{partial}",
            ],
            piece,
        )
        _tag(partial, piece, cover)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _run(args: list[str], piece: PieceSpec) -> None:
    try:
        done = subprocess.run(  # noqa: S603  # our executable and our own arguments
            args, stdin=subprocess.DEVNULL, capture_output=True, timeout=_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RuntimeError(f"ffmpeg could not record {piece.title!r}: {error}") from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"ffmpeg could not record {piece.title!r}: {message}")


def _tag(path: Path, piece: PieceSpec, cover: bytes) -> None:
    # mutagen's FLAC classes carry no type hints.
    audio: Any = FLAC(path)  # type: ignore[no-untyped-call]
    audio["title"] = piece.title
    audio["artist"] = " & ".join(piece.artists)
    audio["artists"] = list(piece.artists)
    audio["album"] = piece.album
    audio["albumartist"] = piece.album_artist
    audio["tracknumber"] = f"{piece.track_number}/{piece.track_total}"
    audio["date"] = piece.date
    audio["genre"] = piece.genre
    audio["isrc"] = piece.isrc
    picture: Any = Picture()  # type: ignore[no-untyped-call]
    picture.type = _FRONT_COVER
    picture.mime = "image/jpeg"
    picture.desc = "Front cover"
    picture.width = picture.height = 600
    picture.depth = 24
    picture.data = cover
    audio.add_picture(picture)
    audio.save()
