"""The library on the wire, in the shape of Spotify's Web API where it has one."""

from datetime import datetime
from typing import Self

from pydantic import Field

from encore.api.schemas import RequestBody, ResponseBody
from encore.catalog.model import Ref, TrackDetail
from encore.catalog.schemas import RefRead, SignMedia, TrackRead, album_cover_url
from encore.ids import ID_LENGTH
from encore.library.model import MAX_TRACKS_PER_REQUEST, Playlist
from encore.library.service import PlaylistView

TrackId = Field(min_length=ID_LENGTH, max_length=ID_LENGTH, pattern="^[0-9A-Za-z]+$")


class PlaylistCreate(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=1000)
    public: bool = True
    collaborative: bool = False


class PlaylistUpdate(RequestBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)
    public: bool | None = None
    collaborative: bool | None = None


class CollaboratorInvite(RequestBody):
    user: str = Field(
        min_length=1,
        max_length=320,
        description="The listener's e-mail address, or their display name if no one else shares it",
    )


class CollaboratorRead(ResponseBody):
    id: str
    display_name: str


class TracksAdd(RequestBody):
    track_ids: list[str] = Field(min_length=1, max_length=MAX_TRACKS_PER_REQUEST)
    position: int | None = Field(default=None, ge=0)


class TracksRemove(RequestBody):
    track_ids: list[str] = Field(min_length=1, max_length=MAX_TRACKS_PER_REQUEST)


class TracksReorder(RequestBody):
    range_start: int = Field(ge=0)
    insert_before: int = Field(ge=0)
    range_length: int = Field(default=1, ge=1)


class SnapshotRead(ResponseBody):
    snapshot_id: str


class OwnerRead(ResponseBody):
    id: str | None


class ImageRead(ResponseBody):
    url: str


class FollowersRead(ResponseBody):
    total: int


class PlaylistSummary(ResponseBody):
    id: str
    name: str
    description: str
    public: bool
    collaborative: bool
    owner: OwnerRead
    snapshot_id: str

    @classmethod
    def of(cls, playlist: Playlist) -> Self:
        return cls(
            id=playlist.id,
            name=playlist.name,
            description=playlist.description,
            public=playlist.public,
            collaborative=playlist.collaborative,
            owner=OwnerRead(id=playlist.owner_id),
            snapshot_id=playlist.snapshot_id,
        )


class PlaylistItemRead(ResponseBody):
    track: TrackRead
    added_at: datetime
    added_by: OwnerRead


class PlaylistTracksPage(ResponseBody):
    items: list[PlaylistItemRead]
    total: int
    limit: int
    offset: int


class PlaylistRead(PlaylistSummary):
    followers: FollowersRead
    collaborators: list[OwnerRead]
    images: list[ImageRead] = Field(
        description="Album art of the first tracks: four for a mosaic, or one (public URLs, "
        "as an <img> cannot send a token)"
    )
    tracks: PlaylistTracksPage

    @classmethod
    def of_view(cls, view: PlaylistView, sign: SignMedia, *, limit: int) -> Self:
        items = [
            PlaylistItemRead(
                track=TrackRead.of(view.tracks[entry.track_id], sign),
                added_at=entry.added_at,
                added_by=OwnerRead(id=entry.added_by),
            )
            for entry in view.entries
            if entry.track_id in view.tracks
        ]
        return cls(
            **PlaylistSummary.of(view.playlist).model_dump(),
            followers=FollowersRead(total=view.followers),
            collaborators=[OwnerRead(id=user_id) for user_id in view.collaborators],
            images=[ImageRead(url=album_cover_url(album_id)) for album_id in view.cover_albums],
            tracks=PlaylistTracksPage(
                items=items, total=view.total, limit=limit, offset=view.offset
            ),
        )


class PlaylistPage(ResponseBody):
    items: list[PlaylistSummary]
    total: int
    limit: int
    offset: int


class SavedTrackRead(ResponseBody):
    added_at: datetime
    track: TrackRead


class SavedTrackPage(ResponseBody):
    items: list[SavedTrackRead]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(
        cls,
        rows: list[tuple[TrackDetail, datetime]],
        total: int,
        sign: SignMedia,
        *,
        limit: int,
        offset: int,
    ) -> Self:
        return cls(
            items=[SavedTrackRead(added_at=at, track=TrackRead.of(d, sign)) for d, at in rows],
            total=total,
            limit=limit,
            offset=offset,
        )


class ArtistPage(ResponseBody):
    items: list[RefRead]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, refs: list[Ref], total: int, *, limit: int, offset: int) -> Self:
        return cls(items=[RefRead.of(r) for r in refs], total=total, limit=limit, offset=offset)


class FollowedArtistsRead(ResponseBody):
    artists: ArtistPage
