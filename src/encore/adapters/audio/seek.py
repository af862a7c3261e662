"""Audio from a point on (Subsonic's `timeOffset`): ffmpeg copies the stream from the nearest
page or frame at or before the offset into a new container, without re-encoding."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from encore.adapters.audio.ffmpeg import find_ffmpeg

CHUNK = 64 * 1024
_CONTAINERS = {"ogg": "ogg", "flac": "flac"}


class FfmpegSeeker:
    async def from_offset(
        self, source: Path, offset_s: int, extension: str
    ) -> AsyncIterator[bytes]:
        process = await asyncio.create_subprocess_exec(
            str(find_ffmpeg()),
            "-nostdin",
            "-v",
            "error",
            "-ss",
            str(offset_s),
            "-i",
            str(source),
            "-map",
            "0:a:0",
            "-c",
            "copy",
            "-f",
            _CONTAINERS.get(extension, extension),
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
