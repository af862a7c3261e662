"""GET /api/v1/search and /api/v1/search/suggest."""

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from encore.api.deps import CurrentPrincipal, ServicesDep
from encore.search.model import SearchQuery
from encore.search.schemas import SearchRead, SuggestionRead, SuggestRead, render
from encore.search.service import MAX_SUGGESTIONS, parse_kinds, parse_years

router = APIRouter(prefix="/api/v1", tags=["search"])
JSON = "application/json"


@router.get("/search", response_class=Response, responses={200: {"model": SearchRead}})
async def search(
    principal: CurrentPrincipal,
    services: ServicesDep,
    q: Annotated[str, Query(description="What to look for; words in any order")] = "",
    type: Annotated[
        str, Query(description="Comma-separated: track, artist, album, playlist")
    ] = "track,artist,album,playlist",
    limit: Annotated[int, Query(description="Items per type, 1 to 50")] = 20,
    offset: Annotated[int, Query(description="Items skipped per type, 0 to 1000")] = 0,
    genre: Annotated[str | None, Query(description="Only tracks of this genre")] = None,
    year: Annotated[
        str | None, Query(description="Released in this year (1975) or range (1970-1979)")
    ] = None,
) -> Response:
    query = SearchQuery(
        text=q,
        kinds=parse_kinds(type),
        limit=limit,
        offset=offset,
        genre=genre,
        years=parse_years(year) if year is not None else None,
        viewer_id=principal.user_id,
    )
    results = await run_in_threadpool(services.search.search, query)
    return Response(render(results), media_type=JSON)


@router.get("/search/suggest", response_class=Response, responses={200: {"model": SuggestRead}})
async def suggest(
    principal: CurrentPrincipal,
    services: ServicesDep,
    q: Annotated[str, Query(description="What has been typed so far")] = "",
    limit: Annotated[int, Query(description=f"1 to {MAX_SUGGESTIONS}")] = 8,
) -> Response:
    found = await run_in_threadpool(
        services.search.suggest, q, limit=limit, viewer_id=principal.user_id
    )
    body = SuggestRead(suggestions=[SuggestionRead.of(s) for s in found])
    return Response(body.model_dump_json(), media_type=JSON)
