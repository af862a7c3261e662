"""Streams on the wire: the seed's stream contract, plus what a fallback needs said."""

from typing import Self

import orjson
from pydantic import Field

from encore.api.schemas import ResponseBody
from encore.catalog.model import Quality
from encore.streaming.model import StreamGrant


class StreamRead(ResponseBody):
    track_id: str
    stream_url: str
    format: str = Field(description="'ogg' (Vorbis) or 'flac'")
    bitrate: int | None = Field(description="kbps; null for lossless FLAC, which has none")
    duration_ms: int
    expires_at: str = Field(description="When stream_url stops working (ISO 8601, UTC)")
    cdn_token: str = Field(
        description="The signed query alone (`exp=...&sig=...`): append it to the same path on "
        "another edge origin to fail over without asking again"
    )
    quality: Quality = Field(description="The quality delivered")
    requested_quality: Quality
    fallback: bool = Field(
        description="True when the track has no rendition at the requested quality and the "
        "nearest lower one is delivered instead"
    )
    upscaled: bool = Field(
        description="The rendition's bitrate is above what the (lossy) source carries"
    )

    @classmethod
    def of(cls, grant: StreamGrant) -> Self:
        return cls(
            track_id=grant.track_id,
            stream_url=grant.stream_url,
            format=grant.format,
            bitrate=grant.bitrate_kbps,
            duration_ms=grant.duration_ms,
            expires_at=grant.expires_at.isoformat().replace("+00:00", "Z"),
            cdn_token=grant.cdn_token,
            quality=grant.quality,
            requested_quality=grant.requested_quality,
            fallback=grant.fell_back,
            upscaled=grant.upscaled,
        )


def stream_json(grant: StreamGrant) -> bytes:
    """The body of a stream answer: `StreamRead` (which documents it) rendered without building
    the model, for this is the busiest answer Encore gives. A test holds the two equal."""
    return orjson.dumps(
        {
            "track_id": grant.track_id,
            "stream_url": grant.stream_url,
            "format": grant.format,
            "bitrate": grant.bitrate_kbps,
            "duration_ms": grant.duration_ms,
            "expires_at": grant.expires_at.isoformat().replace("+00:00", "Z"),
            "cdn_token": grant.cdn_token,
            "quality": grant.quality.value,
            "requested_quality": grant.requested_quality.value,
            "fallback": grant.fell_back,
            "upscaled": grant.upscaled,
        }
    )
