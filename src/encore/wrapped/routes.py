"""GET /api/v1/me/wrapped: the stored summary, sent as it was stored."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from encore.api.deps import CurrentPrincipal, ServicesDep
from encore.wrapped.schemas import WrappedRead

router = APIRouter(prefix="/api/v1", tags=["wrapped"])


@router.get("/me/wrapped", response_class=Response, responses={200: {"model": WrappedRead}})
def get_wrapped(
    principal: CurrentPrincipal,
    services: ServicesDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> Response:
    document = services.wrapped.get(user_id=principal.user_id, year=year)
    return Response(document, media_type="application/json")
