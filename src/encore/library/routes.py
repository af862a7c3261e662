"""Playlists, liked tracks and followed artists over HTTP.

Every playlist write answers `{snapshot_id}` and honours `If-Match: <snapshot_id>`; a conflicting
write gets 412 with the playlist as it now is.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response, status

from encore.api import problems
from encore.api.deps import CurrentPrincipal, ServicesDep
from encore.catalog.routes import EntityId, media_signer
from encore.errors import InvalidInput
from encore.ids import is_valid_id
from encore.library.schemas import (
    ArtistPage,
    CollaboratorInvite,
    CollaboratorRead,
    FollowedArtistsRead,
    PlaylistCreate,
    PlaylistPage,
    PlaylistRead,
    PlaylistSummary,
    PlaylistUpdate,
    SavedTrackPage,
    SnapshotRead,
    TracksAdd,
    TracksRemove,
    TracksReorder,
)
from encore.library.service import StaleSnapshot

router = APIRouter(prefix="/api/v1", tags=["library"])

IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=100)]
Limit = Annotated[int, Query(ge=1, le=100)]
PageLimit = Annotated[int, Query(ge=1, le=50)]
Offset = Annotated[int, Query(ge=0, le=100_000)]
Ids = Annotated[str, Query(min_length=1, max_length=50 * 23, description="Comma-separated ids")]
# Spotify's `type` on /me/following; artists are what Encore follows there.
FollowType = Annotated[Literal["artist"], Query(alias="type")]
STALE: dict[int | str, dict[str, Any]] = {
    412: {"description": "The playlist changed where this write applies; it is included"}
}


def _snapshot(if_match: str | None) -> str | None:
    """`If-Match` as sent: a snapshot id, quoted as an entity tag or not, or `*`."""
    if if_match is None:
        return None
    value = if_match.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


def _ids(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    bad = [i for i in ids if not is_valid_id(i)]
    if bad or not ids:
        raise InvalidInput("ids is a comma-separated list of ids", invalid=bad[:10])
    return ids


def _stale(error: StaleSnapshot, services: ServicesDep, path: str) -> Response:
    current = PlaylistRead.of_view(error.current, media_signer(services), limit=100)
    return problems.problem(
        412,
        kind=error.kind,
        title=error.title,
        detail=error.detail,
        instance=path,
        headers={"ETag": f'"{current.snapshot_id}"'},
        snapshot_id=current.snapshot_id,
        playlist=current.model_dump(mode="json"),
    )


@router.post("/playlists", status_code=status.HTTP_201_CREATED)
def create_playlist(
    body: PlaylistCreate, principal: CurrentPrincipal, services: ServicesDep, response: Response
) -> PlaylistSummary:
    playlist = services.library.create(
        owner_id=principal.user_id,
        name=body.name,
        description=body.description,
        public=body.public,
        collaborative=body.collaborative,
    )
    response.headers["Location"] = f"/api/v1/playlists/{playlist.id}"
    return PlaylistSummary.of(playlist)


@router.get("/playlists/{playlist_id}")
def get_playlist(
    playlist_id: EntityId,
    principal: CurrentPrincipal,
    services: ServicesDep,
    response: Response,
    limit: Limit = 100,
    offset: Offset = 0,
) -> PlaylistRead:
    view = services.library.get(
        viewer_id=principal.user_id, playlist_id=playlist_id, limit=limit, offset=offset
    )
    response.headers["ETag"] = f'"{view.playlist.snapshot_id}"'
    return PlaylistRead.of_view(view, media_signer(services), limit=limit)


@router.patch("/playlists/{playlist_id}", responses=STALE, response_model=SnapshotRead)
def update_playlist(
    playlist_id: EntityId,
    body: PlaylistUpdate,
    principal: CurrentPrincipal,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> SnapshotRead | Response:
    try:
        snapshot = services.library.update_details(
            user_id=principal.user_id,
            playlist_id=playlist_id,
            if_match=_snapshot(if_match),
            name=body.name,
            description=body.description,
            public=body.public,
            collaborative=body.collaborative,
        )
    except StaleSnapshot as error:
        return _stale(error, services, f"/api/v1/playlists/{playlist_id}")
    return SnapshotRead(snapshot_id=snapshot)


@router.delete("/playlists/{playlist_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_playlist(
    playlist_id: EntityId, principal: CurrentPrincipal, services: ServicesDep
) -> None:
    services.library.delete(user_id=principal.user_id, playlist_id=playlist_id)


@router.post(
    "/playlists/{playlist_id}/tracks",
    status_code=status.HTTP_201_CREATED,
    responses=STALE,
    response_model=SnapshotRead,
)
def add_tracks(
    playlist_id: EntityId,
    body: TracksAdd,
    principal: CurrentPrincipal,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> SnapshotRead | Response:
    try:
        snapshot = services.library.add_tracks(
            user_id=principal.user_id,
            playlist_id=playlist_id,
            track_ids=body.track_ids,
            position=body.position,
            if_match=_snapshot(if_match),
        )
    except StaleSnapshot as error:
        return _stale(error, services, f"/api/v1/playlists/{playlist_id}/tracks")
    return SnapshotRead(snapshot_id=snapshot)


@router.put("/playlists/{playlist_id}/tracks", responses=STALE, response_model=SnapshotRead)
def reorder_tracks(
    playlist_id: EntityId,
    body: TracksReorder,
    principal: CurrentPrincipal,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> SnapshotRead | Response:
    try:
        snapshot = services.library.reorder_tracks(
            user_id=principal.user_id,
            playlist_id=playlist_id,
            range_start=body.range_start,
            insert_before=body.insert_before,
            range_length=body.range_length,
            if_match=_snapshot(if_match),
        )
    except StaleSnapshot as error:
        return _stale(error, services, f"/api/v1/playlists/{playlist_id}/tracks")
    return SnapshotRead(snapshot_id=snapshot)


@router.delete("/playlists/{playlist_id}/tracks", responses=STALE, response_model=SnapshotRead)
def remove_tracks(
    playlist_id: EntityId,
    body: TracksRemove,
    principal: CurrentPrincipal,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> SnapshotRead | Response:
    try:
        snapshot = services.library.remove_tracks(
            user_id=principal.user_id,
            playlist_id=playlist_id,
            track_ids=body.track_ids,
            if_match=_snapshot(if_match),
        )
    except StaleSnapshot as error:
        return _stale(error, services, f"/api/v1/playlists/{playlist_id}/tracks")
    return SnapshotRead(snapshot_id=snapshot)


@router.post("/playlists/{playlist_id}/collaborators", status_code=status.HTTP_201_CREATED)
def invite_collaborator_by_name(
    playlist_id: EntityId,
    body: CollaboratorInvite,
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> CollaboratorRead:
    """Invite by e-mail address or display name: for the playlist's owner only (anyone else is
    refused before the name is looked up)."""
    user_id, display_name = services.library.invite_by_name(
        owner_id=principal.user_id, playlist_id=playlist_id, who=body.user
    )
    return CollaboratorRead(id=user_id, display_name=display_name)


@router.put(
    "/playlists/{playlist_id}/collaborators/{user_id}", status_code=status.HTTP_204_NO_CONTENT
)
def invite_collaborator(
    playlist_id: EntityId, user_id: EntityId, principal: CurrentPrincipal, services: ServicesDep
) -> None:
    services.library.invite(
        owner_id=principal.user_id, playlist_id=playlist_id, collaborator_id=user_id
    )


@router.delete(
    "/playlists/{playlist_id}/collaborators/{user_id}", status_code=status.HTTP_204_NO_CONTENT
)
def remove_collaborator(
    playlist_id: EntityId, user_id: EntityId, principal: CurrentPrincipal, services: ServicesDep
) -> None:
    services.library.uninvite(
        owner_id=principal.user_id, playlist_id=playlist_id, collaborator_id=user_id
    )


@router.put("/playlists/{playlist_id}/followers", status_code=status.HTTP_204_NO_CONTENT)
def follow_playlist(
    playlist_id: EntityId, principal: CurrentPrincipal, services: ServicesDep
) -> None:
    services.library.follow_playlist(user_id=principal.user_id, playlist_id=playlist_id)


@router.delete("/playlists/{playlist_id}/followers", status_code=status.HTTP_204_NO_CONTENT)
def unfollow_playlist(
    playlist_id: EntityId, principal: CurrentPrincipal, services: ServicesDep
) -> None:
    services.library.unfollow_playlist(user_id=principal.user_id, playlist_id=playlist_id)


@router.get("/me/playlists")
def my_playlists(
    principal: CurrentPrincipal, services: ServicesDep, limit: PageLimit = 20, offset: Offset = 0
) -> PlaylistPage:
    found, total = services.library.playlists_of(
        user_id=principal.user_id, limit=limit, offset=offset
    )
    return PlaylistPage(
        items=[PlaylistSummary.of(p) for p in found], total=total, limit=limit, offset=offset
    )


@router.put("/me/tracks", status_code=status.HTTP_204_NO_CONTENT)
def like_tracks(ids: Ids, principal: CurrentPrincipal, services: ServicesDep) -> None:
    services.library.like(user_id=principal.user_id, track_ids=_ids(ids))


@router.delete("/me/tracks", status_code=status.HTTP_204_NO_CONTENT)
def unlike_tracks(ids: Ids, principal: CurrentPrincipal, services: ServicesDep) -> None:
    services.library.unlike(user_id=principal.user_id, track_ids=_ids(ids))


@router.get("/me/tracks")
def liked_tracks(
    principal: CurrentPrincipal, services: ServicesDep, limit: PageLimit = 20, offset: Offset = 0
) -> SavedTrackPage:
    rows, total = services.library.liked(user_id=principal.user_id, limit=limit, offset=offset)
    return SavedTrackPage.of(rows, total, media_signer(services), limit=limit, offset=offset)


@router.get("/me/tracks/contains")
def liked_contains(ids: Ids, principal: CurrentPrincipal, services: ServicesDep) -> list[bool]:
    return services.library.are_liked(user_id=principal.user_id, track_ids=_ids(ids))


@router.put("/me/following", status_code=status.HTTP_204_NO_CONTENT)
def follow_artists(
    ids: Ids, principal: CurrentPrincipal, services: ServicesDep, _type: FollowType = "artist"
) -> None:
    services.library.follow_artists(user_id=principal.user_id, artist_ids=_ids(ids))


@router.delete("/me/following", status_code=status.HTTP_204_NO_CONTENT)
def unfollow_artists(
    ids: Ids, principal: CurrentPrincipal, services: ServicesDep, _type: FollowType = "artist"
) -> None:
    services.library.unfollow_artists(user_id=principal.user_id, artist_ids=_ids(ids))


@router.get("/me/following")
def followed_artists(
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: PageLimit = 20,
    offset: Offset = 0,
    _type: FollowType = "artist",
) -> FollowedArtistsRead:
    refs, total = services.library.followed_artists(
        user_id=principal.user_id, limit=limit, offset=offset
    )
    return FollowedArtistsRead(artists=ArtistPage.of(refs, total, limit=limit, offset=offset))
