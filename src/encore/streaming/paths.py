"""The public path of an audio file, and the strict parse of one that the edge receives.

`/audio/{id[0:2]}/{id[2:4]}/{id}/{file}` is the media store key with a leading slash, so the
edge maps a URL to a file without any lookup. The parse works on the raw request path: a URL
that needs percent-decoding, `..`, `//` or anything else outside the layout names no file.
"""

import re
from dataclasses import dataclass

from encore.catalog.audio import audio_key

# Every file name the ladder and the preview can produce (`RenditionSpec.file_name`).
AUDIO_FILES: dict[str, str] = {
    "24.ogg": "audio/ogg",
    "96.ogg": "audio/ogg",
    "160.ogg": "audio/ogg",
    "320.ogg": "audio/ogg",
    "preview.ogg": "audio/ogg",
    "lossless.flac": "audio/flac",
}
_AUDIO_PATH = re.compile(
    rb"/audio/([0-9A-Za-z]{2})/([0-9A-Za-z]{2})/(([0-9A-Za-z]{2})([0-9A-Za-z]{2})[0-9A-Za-z]{18})/"
    rb"(24\.ogg|96\.ogg|160\.ogg|320\.ogg|preview\.ogg|lossless\.flac)"
)


@dataclass(frozen=True, slots=True)
class AudioPath:
    """A request path that names one audio file of the layout."""

    path: str  # as signed: `/audio/...`
    key: str  # the media store key: the path without its leading slash
    track_id: str
    file_name: str
    content_type: str


def audio_path(track_id: str, file_name: str) -> str:
    """The URL path of a track's audio file, the one that a signed URL signs."""
    return f"/{audio_key(track_id, file_name)}"


def parse_audio_path(raw_path: bytes) -> AudioPath | None:
    """The audio file that `raw_path` (undecoded, without the query) names, or None."""
    match = _AUDIO_PATH.fullmatch(raw_path)
    if match is None:
        return None
    first, second, track_id, head, next_two, file_name = match.groups()
    if first != head or second != next_two:
        return None
    path = raw_path.decode("ascii")
    name = file_name.decode("ascii")
    return AudioPath(
        path=path,
        key=path[1:],
        track_id=track_id.decode("ascii"),
        file_name=name,
        content_type=AUDIO_FILES[name],
    )
