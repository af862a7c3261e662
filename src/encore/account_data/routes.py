"""A listener's own data: download all of it, or delete the account."""

from datetime import UTC, datetime

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse

from encore.account_data.schemas import AccountDelete
from encore.api.deps import CurrentPrincipal, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["account data"])


@router.get(
    "/me/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "A zip archive"}},
)
def export(principal: CurrentPrincipal, services: ServicesDep) -> StreamingResponse:
    """Everything Encore holds about you, as a zip of JSON and CSV files with a README. The
    archive is produced while it downloads, however long your history."""
    chunks = services.account_data.export(principal.user_id)
    day = datetime.now(UTC).date().isoformat()
    return StreamingResponse(
        chunks,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="encore-export-{day}.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT)
def delete_account(body: AccountDelete, principal: CurrentPrincipal, services: ServicesDep) -> None:
    """Delete your account and your personal data, confirmed with your password. Collaborative
    playlists you own pass to the collaborator you invited first; tracks you added to others'
    playlists stay, added by "deleted user". Every token of yours stops working at once."""
    services.account_data.delete_own_account(user_id=principal.user_id, password=body.password)
