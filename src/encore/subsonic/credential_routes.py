"""`/api/v1/me/subsonic-credentials`: make, rotate, see and revoke a listener's Subsonic
password and API key. The password and key are in the answer to POST, and nowhere else."""

from datetime import datetime

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from encore.api.deps import CurrentPrincipal
from encore.bootstrap import Services
from encore.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["subsonic"])


class SubsonicCredentialIssued(BaseModel):
    username: str
    password: str
    api_key: str
    created_at: datetime


class SubsonicCredentialRead(BaseModel):
    username: str
    created_at: datetime


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@router.post("/me/subsonic-credentials", status_code=status.HTTP_201_CREATED)
async def issue(principal: CurrentPrincipal, request: Request) -> SubsonicCredentialIssued:
    """Creates the credential, or replaces it: the old password and key stop working."""
    issued = await run_in_threadpool(
        _services(request).subsonic_credentials.issue, principal.user_id
    )
    return SubsonicCredentialIssued(
        username=issued.username,
        password=issued.password,
        api_key=issued.api_key,
        created_at=issued.created_at,
    )


@router.get("/me/subsonic-credentials")
async def describe(principal: CurrentPrincipal, request: Request) -> SubsonicCredentialRead:
    found = await run_in_threadpool(
        _services(request).subsonic_credentials.describe, principal.user_id
    )
    if found is None:
        raise NotFound("You have no Subsonic password; POST here to make one")
    return SubsonicCredentialRead(username=found.username, created_at=found.created_at)


@router.delete("/me/subsonic-credentials", status_code=status.HTTP_204_NO_CONTENT)
async def revoke(principal: CurrentPrincipal, request: Request) -> Response:
    await run_in_threadpool(_services(request).subsonic_credentials.revoke, principal.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
