"""GET /api/v1/admin/users and /api/v1/admin/status: read-only, operators only (403 else)."""

from dataclasses import asdict
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from encore.accounts.schemas import UserRead
from encore.admin.service import AdminService, TranscodeStatus
from encore.api.deps import CurrentPrincipal, ServicesDep
from encore.api.schemas import ResponseBody
from encore.bootstrap import Services

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class UserPage(ResponseBody):
    items: list[UserRead]
    total: int
    limit: int
    offset: int


class ConsumerRead(ResponseBody):
    name: str
    lag: int = Field(description="Events logged that this consumer has still to apply")


class ImportRead(ResponseBody):
    imported_files: int = Field(description="Audio files the importer has taken in")
    last_import_at: datetime | None
    catalog_tracks: int = Field(description="Tracks with audio or known by metadata only")


class BatchRunRead(ResponseBody):
    runner: str
    kinds: list[str]
    status: str = Field(description="running, complete or failed")
    started_at: datetime
    finished_at: datetime | None
    users: int
    playlists: int
    error: str | None


class WrappedYearRead(ResponseBody):
    year: int
    listeners: int
    computed_at: datetime


class DeadLetterRead(ResponseBody):
    track_id: str
    submitter_id: str
    attempts: int
    error: str
    failed_at: datetime


class TranscodesRead(ResponseBody):
    waiting: int = Field(description="Jobs queued, not running")
    in_flight: int = Field(description="Jobs a worker is running")
    dead: int = Field(description="Jobs that failed every attempt")
    dead_letters: list[DeadLetterRead] = Field(description="The latest dead letters, newest first")


class StatusRead(ResponseBody):
    users: int
    playable_tracks: int = Field(description="Tracks with audio")
    consumers: list[ConsumerRead]
    failing_checks: list[str]
    imports: ImportRead
    batch_runs: list[BatchRunRead] = Field(description="The recommenders' latest runs")
    wrapped: list[WrappedYearRead] = Field(description="The years Wrapped was computed for")
    transcodes: TranscodesRead | None = Field(
        description="The transcode queue; null while it cannot be reached"
    )


def admin_service(services: Services) -> AdminService:
    return AdminService(
        accounts=services.accounts,
        uow=services.uow,
        consumer_lag=services.pipeline.lag,
        failing_checks=services.failing_checks,
        operations=services.operations,
        transcodes=services.transcode_queue,
    )


@router.get("/users")
async def users(
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> UserPage:
    found, total = await run_in_threadpool(
        admin_service(services).users, actor_id=principal.user_id, limit=limit, offset=offset
    )
    return UserPage(items=[UserRead.of(a) for a in found], total=total, limit=limit, offset=offset)


@router.get("/status")
async def status(principal: CurrentPrincipal, services: ServicesDep) -> StatusRead:
    found = await run_in_threadpool(admin_service(services).status, actor_id=principal.user_id)
    return StatusRead(
        users=found.users,
        playable_tracks=found.playable_tracks,
        consumers=[ConsumerRead(name=n, lag=lag) for n, lag in sorted(found.consumer_lag.items())],
        failing_checks=list(found.failing_checks),
        imports=ImportRead(**asdict(found.imports)),
        batch_runs=[
            BatchRunRead(**{**asdict(run), "kinds": list(run.kinds)}) for run in found.batch_runs
        ],
        wrapped=[WrappedYearRead(**asdict(year)) for year in found.wrapped_years],
        transcodes=_transcodes(found.transcodes),
    )


def _transcodes(found: TranscodeStatus | None) -> TranscodesRead | None:
    if found is None:
        return None
    return TranscodesRead(
        **asdict(found.depth),
        dead_letters=[
            DeadLetterRead(
                track_id=letter.job.track_id,
                submitter_id=letter.job.submitter_id,
                attempts=letter.attempts,
                error=letter.error,
                failed_at=letter.failed_at,
            )
            for letter in found.dead_letters
        ],
    )
