"""What playback needs to know of a track, and what a listener is handed to play it."""

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from encore.accounts.model import Plan
from encore.catalog.audio import LADDER
from encore.catalog.model import Quality, Rendition, Track

# The ladder from lowest to highest; a missing rung falls back down this order.
LADDER_ORDER = tuple(spec.quality for spec in LADDER)
# Qualities that come only with a paid plan.
PAID_QUALITIES = frozenset({Quality.VERY_HIGH, Quality.LOSSLESS})
# What a lossless rendition counts as against a bitrate ceiling (CD audio, uncompressed).
LOSSLESS_KBPS = 1411


def best_quality(plan: Plan, *, max_kbps: int | None, lossless: bool) -> Quality:
    """The highest rung the plan allows at or below `max_kbps` (None: no ceiling); lossless
    only when asked for. Under the lowest rung's bitrate, the lowest rung."""
    allowed = [
        spec
        for spec in LADDER
        if (plan.includes_high_quality or spec.quality not in PAID_QUALITIES)
        and (lossless or spec.bitrate_kbps is not None)
        and (max_kbps is None or (spec.bitrate_kbps or LOSSLESS_KBPS) <= max_kbps)
    ]
    return allowed[-1].quality if allowed else LADDER[0].quality


def served_quality(available: Collection[Quality], wanted: Quality) -> Quality | None:
    """The rung a request for `wanted` gets: `wanted`, else the nearest one below it that the
    track has; None when it has none."""
    if wanted not in LADDER_ORDER:
        return wanted if wanted in available else None
    rung = LADDER_ORDER.index(wanted)
    return next((q for q in reversed(LADDER_ORDER[: rung + 1]) if q in available), None)


@dataclass(frozen=True, slots=True)
class PlayableRendition:
    quality: Quality
    path: str  # media store key, e.g. audio/ab/cd/{id}/160.ogg
    format: str  # 'ogg' or 'flac'
    bitrate_kbps: int | None
    upscaled: bool


@dataclass(frozen=True, slots=True)
class Playable:
    """A track as playback sees it: small, cached, and enough to answer a stream request."""

    track_id: str
    duration_ms: int
    available_countries: frozenset[str] | None
    renditions: tuple[PlayableRendition, ...]
    # What `rendition_for` answers for each quality, worked out once: a playable is decoded once
    # and then answers many stream requests.
    _choices: dict[Quality, PlayableRendition | None] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        by_quality = {r.quality: r for r in self.renditions}
        choices: dict[Quality, PlayableRendition | None] = {
            Quality.PREVIEW: by_quality.get(Quality.PREVIEW)
        }
        for wanted in LADDER_ORDER:
            served = served_quality(by_quality.keys(), wanted)
            choices[wanted] = by_quality[served] if served else None
        object.__setattr__(self, "_choices", choices)

    @classmethod
    def of(cls, track: Track, renditions: "list[Rendition] | tuple[Rendition, ...]") -> "Playable":
        return cls(
            track_id=track.id,
            duration_ms=track.duration_ms,
            available_countries=track.available_countries,
            renditions=tuple(
                PlayableRendition(r.quality, r.path, r.format, r.bitrate_kbps, r.upscaled)
                for r in renditions
            ),
        )

    def is_available_in(self, country: str) -> bool:
        return self.available_countries is None or country in self.available_countries

    def rendition_for(self, wanted: Quality) -> PlayableRendition | None:
        """The rendition of `wanted`, else the nearest one below it; None when there is none."""
        return self._choices.get(wanted)

    def encode(self) -> bytes:
        return json.dumps(
            [
                self.track_id,
                self.duration_ms,
                sorted(self.available_countries) if self.available_countries is not None else None,
                [
                    [r.quality, r.path, r.format, r.bitrate_kbps, r.upscaled]
                    for r in self.renditions
                ],
            ],
            separators=(",", ":"),
        ).encode()

    @classmethod
    def decode(cls, data: bytes) -> "Playable":
        track_id, duration_ms, countries, renditions = json.loads(data)
        return cls(
            track_id=track_id,
            duration_ms=duration_ms,
            available_countries=frozenset(countries) if countries is not None else None,
            renditions=tuple(
                PlayableRendition(Quality(q), path, fmt, bitrate, upscaled)
                for q, path, fmt, bitrate, upscaled in renditions
            ),
        )


@dataclass(frozen=True, slots=True)
class StreamGrant:
    """A signed, expiring URL for one rendition of a track, handed to one listener."""

    track_id: str
    stream_url: str
    format: str
    bitrate_kbps: int | None
    duration_ms: int
    expires_at: datetime
    cdn_token: str  # the signed query alone, to retry the same path on another origin
    quality: Quality
    requested_quality: Quality
    upscaled: bool
    region: str

    @property
    def fell_back(self) -> bool:
        return self.quality is not self.requested_quality
