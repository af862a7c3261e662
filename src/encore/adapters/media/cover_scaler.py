"""Cover art at a smaller size, with ffmpeg (the same build the importer uses): JPEG out,
aspect kept, never larger than the original."""

import subprocess

from encore.adapters.audio.ffmpeg import find_ffmpeg

TIMEOUT_S = 20


class UnscalableImage(ValueError):
    """ffmpeg could not read the image."""


class FfmpegCoverScaler:
    def scale(self, data: bytes, size: int) -> bytes:
        fit = f"scale='min({size},iw)':'min({size},ih)':force_original_aspect_ratio=decrease"
        completed = subprocess.run(  # noqa: S603  # our own ffmpeg, arguments we built
            [
                str(find_ffmpeg()),
                "-nostdin",
                "-v",
                "error",
                "-i",
                "pipe:0",
                "-vf",
                fit,
                "-frames:v",
                "1",
                "-f",
                "image2",
                "-c:v",
                "mjpeg",
                "-q:v",
                "3",
                "pipe:1",
            ],
            input=data,
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        if completed.returncode != 0 or not completed.stdout:
            raise UnscalableImage(completed.stderr.decode(errors="replace")[-300:])
        return completed.stdout
