"""Catalog reads: GET /api/v1/tracks/{id}, /albums/{id}, /artists/{id}.

These are the busiest routes, so they answer with pre-rendered JSON bytes from the document cache
and touch the database (in a worker thread) only on a miss.
"""

import time
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, Path
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from encore.api.deps import CurrentPrincipal, ServicesDep
from encore.bootstrap import Services
from encore.catalog.covers import CoverArt
from encore.catalog.schemas import AlbumRead, ArtistRead, SignMedia, TrackRead
from encore.ids import ID_LENGTH

router = APIRouter(prefix="/api/v1", tags=["catalog"])

EntityId = Annotated[
    str, Path(min_length=ID_LENGTH, max_length=ID_LENGTH, pattern="^[0-9A-Za-z]+$")
]
JSON = "application/json"
Render = Callable[[], bytes]


def media_signer(services: Services) -> SignMedia:
    """Signs preview clips when a document is rendered; the document cache keeps documents for
    a minute or so, far less than a URL's hour."""
    now = time.time()
    return lambda key: services.url_signer.sign(f"/{key}", now).path_and_query


async def _document(services: Services, kind: str, entity_id: str, render: Render) -> Response:
    document = services.documents.get(kind, entity_id)
    if document is None:
        document = await run_in_threadpool(render)
        services.documents.put(kind, entity_id, document)
    return Response(document, media_type=JSON)


@router.get("/tracks/{track_id}", response_class=Response, responses={200: {"model": TrackRead}})
async def get_track(track_id: EntityId, _: CurrentPrincipal, services: ServicesDep) -> Response:
    def render() -> bytes:
        detail = services.catalog.get_track(track_id)
        return TrackRead.of(detail, media_signer(services)).model_dump_json().encode()

    return await _document(services, "track", track_id, render)


@router.get("/albums/{album_id}", response_class=Response, responses={200: {"model": AlbumRead}})
async def get_album(album_id: EntityId, _: CurrentPrincipal, services: ServicesDep) -> Response:
    def render() -> bytes:
        detail = services.catalog.get_album(album_id)
        return AlbumRead.of_detail(detail, media_signer(services)).model_dump_json().encode()

    return await _document(services, "album", album_id, render)


@router.get("/artists/{artist_id}", response_class=Response, responses={200: {"model": ArtistRead}})
async def get_artist(artist_id: EntityId, _: CurrentPrincipal, services: ServicesDep) -> Response:
    def render() -> bytes:
        detail = services.catalog.get_artist(artist_id)
        return ArtistRead.of(detail, media_signer(services)).model_dump_json().encode()

    return await _document(services, "artist", artist_id, render)


@router.get(
    "/albums/{album_id}/cover",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
)
async def get_album_cover(
    album_id: EntityId,
    services: ServicesDep,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=200)] = None,
) -> Response:
    """The album's cover art. Public, like the artwork of any music service: an `<img>` sends
    no bearer token."""
    covers = CoverArt(catalog=services.catalog, media=services.media)
    cover = await run_in_threadpool(covers.of_album, album_id)
    etag = f'"{cover.etag}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(cover.data, media_type=cover.content_type, headers=headers)
