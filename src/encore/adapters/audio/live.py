"""Audio made while it is sent, with ffmpeg: from a point on (Subsonic's `timeOffset`), copied
without re-encoding, or in another codec for players that cannot play Ogg Vorbis (`format=mp3`).
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from encore.adapters.audio.ffmpeg import find_ffmpeg

CHUNK = 64 * 1024
# What each target is encoded with, and in which container.
_ENCODERS = {
    "mp3": (["-c:a", "libmp3lame"], "mp3"),
    "opus": (["-c:a", "libopus"], "ogg"),
    "aac": (["-c:a", "aac"], "adts"),
}
_COPY_CONTAINERS = {"ogg": "ogg", "flac": "flac"}
MIN_KBPS = {"mp3": 32, "opus": 16, "aac": 32}
MAX_KBPS = {"mp3": 320, "opus": 256, "aac": 320}


class FfmpegLiveAudio:
    async def stream(
        self, source: Path, *, offset_s: int, target: str | None, bitrate_kbps: int | None
    ) -> AsyncIterator[bytes]:
        if target is None:
            codec = ["-c", "copy"]
            container = _COPY_CONTAINERS.get(source.suffix.lstrip("."), "ogg")
        else:
            encoder, container = _ENCODERS[target]
            kbps = min(max(bitrate_kbps or 160, MIN_KBPS[target]), MAX_KBPS[target])
            codec = [*encoder, "-b:a", f"{kbps}k"]
        process = await asyncio.create_subprocess_exec(
            str(find_ffmpeg()),
            "-nostdin",
            "-v",
            "error",
            *(["-ss", str(offset_s)] if offset_s else []),
            "-i",
            str(source),
            "-map",
            "0:a:0",
            *codec,
            "-f",
            container,
            "pipe:1",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert process.stdout is not None
        try:
            while chunk := await process.stdout.read(CHUNK):
                yield chunk
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
