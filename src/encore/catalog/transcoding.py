"""Transcode jobs: what the importer asks of the workers, and what the queue gives back.

A job names a track, where its source sits in the media store and the rungs to make of it. It is
keyed by the track: running it again rewrites the same renditions under the same keys, so a job
delivered twice (a worker killed after its encodes, a resubmission) does no harm.
"""

from dataclasses import dataclass
from datetime import datetime

from encore.catalog.audio import LADDER, PREVIEW, RenditionSpec
from encore.catalog.model import Quality
from encore.errors import EncoreError

WORKER_STOPPED = "the worker stopped (killed, or silent past its lease)"
SPECS = {spec.quality: spec for spec in (*LADDER, PREVIEW)}


class QueueUnavailable(EncoreError):
    """The transcode queue could not take or give jobs (its server is down or unreachable)."""

    kind = "queue-unavailable"
    title = "The transcode queue is unavailable"


@dataclass(frozen=True, slots=True)
class Rung:
    """One rendition to make, and whether it claims more than the source holds."""

    quality: Quality
    upscaled: bool = False

    @property
    def spec(self) -> RenditionSpec:
        return SPECS[self.quality]


@dataclass(frozen=True, slots=True)
class TranscodeJob:
    track_id: str
    source_key: str  # the source audio, in the media store
    rungs: tuple[Rung, ...]
    submitter_id: str  # whose share of the per-user cap the job takes
    duration_ms: int  # for placing the preview

    @property
    def job_id(self) -> str:
        return self.track_id

    def to_json(self) -> dict[str, object]:
        return {
            "track_id": self.track_id,
            "source_key": self.source_key,
            "rungs": [[str(rung.quality), rung.upscaled] for rung in self.rungs],
            "submitter_id": self.submitter_id,
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "TranscodeJob":
        rungs = data["rungs"]
        assert isinstance(rungs, list)
        return cls(
            track_id=str(data["track_id"]),
            source_key=str(data["source_key"]),
            rungs=tuple(Rung(Quality(quality), bool(upscaled)) for quality, upscaled in rungs),
            submitter_id=str(data["submitter_id"]),
            duration_ms=int(str(data["duration_ms"])),
        )


@dataclass(frozen=True, slots=True)
class TakenJob:
    """A job a worker holds until it acks or fails it; `handle` is the queue's own."""

    job: TranscodeJob
    attempt: int  # 1 on the first delivery
    handle: object


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A job that failed on every attempt, with the last error."""

    job: TranscodeJob
    attempts: int
    error: str
    failed_at: datetime


@dataclass(frozen=True, slots=True)
class QueueDepth:
    waiting: int
    in_flight: int
    dead: int


def source_key(track_id: str, extension: str) -> str:
    """Where the importer puts a source for the workers; deleted once its job is done."""
    suffix = f".{extension.lower()}" if extension else ""
    return f"sources/{track_id[0:2]}/{track_id[2:4]}/{track_id}/source{suffix}"


def backoff_s(attempt: int, *, base_s: float) -> float:
    """How long a job that failed its `attempt`-th try waits before the next: doubling."""
    return base_s * float(2 ** max(0, attempt - 1))


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """How a transcode queue retries and caps; the same settings on every adapter."""

    max_attempts: int = 3
    per_user: int = 8  # jobs of one submitter held at once, fleet-wide
    total: int = 64  # jobs held at once, fleet-wide
    lease_s: float = 60.0  # a held job not heartbeaten for this long is delivered again
    backoff_base_s: float = 2.0  # wait before the second attempt; doubled for each further one
