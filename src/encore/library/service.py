"""Playlists (shared ones too), liked tracks and follows.

Every change to a playlist takes the playlist's lock, so its writers take turns and positions stay
0..n-1; every change makes a new snapshot id. A writer that names the snapshot it read
(`if_match`) gets its edit merged over the changes made since when they do not overlap it, and a
`StaleSnapshot` (412) with the current state when they do.
"""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from encore.catalog.model import Ref, TrackDetail
from encore.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
)
from encore.ids import new_id
from encore.library.model import (
    DETAILS,
    MAX_TRACKS_PER_REQUEST,
    Change,
    Edit,
    Entry,
    FollowKind,
    Playlist,
    conflicts,
    cover_albums,
    insert,
    remove,
    remove_positions,
    reorder,
)
from encore.library.ports import LibraryUnitOfWork, TrackDetails
from encore.unit_of_work import UnitOfWorkFactory

COVER_FROM_FIRST = 50  # tracks looked at for a cover's albums
MAX_IDS = 50  # per like / follow request


@dataclass(frozen=True, slots=True)
class PlaylistView:
    playlist: Playlist
    entries: tuple[Entry, ...]  # the page asked for
    offset: int
    total: int
    followers: int
    collaborators: tuple[str, ...]
    tracks: dict[str, TrackDetail]  # details of the page's tracks
    cover_albums: tuple[str, ...]  # the albums whose art makes the cover, in mosaic order


@dataclass(frozen=True, slots=True)
class PlaylistNotice:
    """A playlist appeared, changed its name or visibility, or went (for the search index)."""

    playlist: Playlist
    deleted: bool = False


class StaleSnapshot(PreconditionFailed):
    """The write was made against a snapshot whose changes since overlap it."""

    def __init__(self, current: PlaylistView) -> None:
        super().__init__(
            "The playlist changed since the snapshot you sent, where your change applies: "
            "read it again and redo the change",
            snapshot_id=current.playlist.snapshot_id,
        )
        self.current = current


Listener = Callable[[PlaylistNotice], None]


class LibraryService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[LibraryUnitOfWork],
        track_details: TrackDetails,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._uow = uow
        self._details = track_details
        self._clock = clock
        self._listeners: list[Listener] = []

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # --- playlists -----------------------------------------------------------------------------

    def create(
        self,
        *,
        owner_id: str,
        name: str,
        description: str = "",
        public: bool = True,
        collaborative: bool = False,
    ) -> Playlist:
        _check_details(name=name, public=public, collaborative=collaborative)
        now = self._clock()
        playlist = Playlist(
            id=new_id(),
            owner_id=owner_id,
            name=name,
            description=description,
            public=public,
            collaborative=collaborative,
            snapshot_id=new_id(),
            version=0,
            created_at=now,
            updated_at=now,
        )
        with self._uow() as uow:
            uow.playlists.add(playlist)
            uow.playlists.record_change(
                playlist.id, Change(0, playlist.snapshot_id, None, frozenset(), now)
            )
            uow.commit()
        self._notify(PlaylistNotice(playlist))
        return playlist

    def get(
        self, *, viewer_id: str, playlist_id: str, limit: int = 100, offset: int = 0
    ) -> PlaylistView:
        with self._uow(readonly=True) as uow:
            playlist = _visible(uow, playlist_id, viewer_id)
            return self._view(uow, playlist, limit=limit, offset=offset)

    def update_details(
        self,
        *,
        user_id: str,
        playlist_id: str,
        if_match: str | None = None,
        name: str | None = None,
        description: str | None = None,
        public: bool | None = None,
        collaborative: bool | None = None,
    ) -> str:
        with self._uow() as uow:
            playlist = _owned(uow, playlist_id, user_id)
            updated = replace(
                playlist,
                name=playlist.name if name is None else name,
                description=playlist.description if description is None else description,
                public=playlist.public if public is None else public,
                collaborative=playlist.collaborative if collaborative is None else collaborative,
            )
            _check_details(
                name=updated.name, public=updated.public, collaborative=updated.collaborative
            )
            fields = frozenset(f for f in DETAILS if getattr(playlist, f) != getattr(updated, f))
            self._check_snapshot(uow, playlist, if_match, None, fields)
            updated = self._commit(uow, updated, touched_from=None, fields=fields)
        self._notify(PlaylistNotice(updated))
        return updated.snapshot_id

    def delete(self, *, user_id: str, playlist_id: str) -> None:
        with self._uow() as uow:
            playlist = _owned(uow, playlist_id, user_id)
            uow.playlists.delete(playlist_id)
            uow.commit()
        self._notify(PlaylistNotice(playlist, deleted=True))

    def add_tracks(
        self,
        *,
        user_id: str,
        playlist_id: str,
        track_ids: Sequence[str],
        position: int | None = None,
        if_match: str | None = None,
    ) -> str:
        _check_count(track_ids, MAX_TRACKS_PER_REQUEST, "tracks")
        now = self._clock()
        with self._uow() as uow:
            _require_tracks(uow, track_ids)
            new = [Entry(track_id, now, user_id) for track_id in track_ids]
            return self._edit(
                uow, user_id, playlist_id, if_match, lambda old: insert(old, new, position)
            )

    def remove_tracks(
        self,
        *,
        user_id: str,
        playlist_id: str,
        track_ids: Sequence[str],
        if_match: str | None = None,
    ) -> str:
        _check_count(track_ids, MAX_TRACKS_PER_REQUEST, "tracks")
        with self._uow() as uow:
            return self._edit(
                uow, user_id, playlist_id, if_match, lambda old: remove(old, track_ids)
            )

    def remove_at(
        self,
        *,
        user_id: str,
        playlist_id: str,
        positions: Sequence[int],
        if_match: str | None = None,
    ) -> str:
        """Remove the tracks at those positions (where `remove_tracks` removes a track
        wherever it is)."""
        _check_count(positions, MAX_TRACKS_PER_REQUEST, "positions")
        with self._uow() as uow:
            return self._edit(
                uow, user_id, playlist_id, if_match, lambda old: remove_positions(old, positions)
            )

    def reorder_tracks(
        self,
        *,
        user_id: str,
        playlist_id: str,
        range_start: int,
        insert_before: int,
        range_length: int = 1,
        if_match: str | None = None,
    ) -> str:
        def edit(old: Sequence[Entry]) -> Edit:
            return reorder(
                old,
                range_start=range_start,
                insert_before=insert_before,
                range_length=range_length,
            )

        with self._uow() as uow:
            return self._edit(uow, user_id, playlist_id, if_match, edit)

    def invite(self, *, owner_id: str, playlist_id: str, collaborator_id: str) -> None:
        """Let another listener edit a collaborative playlist's tracks."""
        with self._uow() as uow:
            playlist = _owned(uow, playlist_id, owner_id)
            if not playlist.collaborative:
                raise InvalidInput("Make the playlist collaborative before inviting anyone")
            if collaborator_id == owner_id:
                raise InvalidInput("The owner edits the playlist already")
            if uow.users.get(collaborator_id) is None:
                raise NotFound("No such user", user_id=collaborator_id)
            if collaborator_id not in uow.playlists.collaborators(playlist_id):
                uow.playlists.add_collaborator(playlist_id, collaborator_id, self._clock())
            uow.commit()

    def invite_by_name(self, *, owner_id: str, playlist_id: str, who: str) -> tuple[str, str]:
        """Invite the listener with this e-mail address (anything with an @) or display name;
        their id and display name. Only the owner of a collaborative playlist gets this far, so
        nobody else can use it to learn whether an address has an account."""
        with self._uow() as uow:
            playlist = _owned(uow, playlist_id, owner_id)
            if not playlist.collaborative:
                raise InvalidInput("Make the playlist collaborative before inviting anyone")
            who = who.strip()
            if "@" in who:
                found = uow.users.get_by_email(who.lower())
                if found is None:
                    raise NotFound("Nobody has an account with that e-mail address", field="user")
            else:
                named = uow.users.find_by_display_name(who, limit=2)
                if not named:
                    raise NotFound("Nobody goes by that name here", field="user")
                if len(named) > 1:
                    raise Conflict(
                        "Several listeners go by that name: invite them by e-mail", field="user"
                    )
                found = named[0]
            if found.id == owner_id:
                raise InvalidInput("The owner edits the playlist already", field="user")
            if found.id not in uow.playlists.collaborators(playlist_id):
                uow.playlists.add_collaborator(playlist_id, found.id, self._clock())
            uow.commit()
        return found.id, found.display_name

    def uninvite(self, *, owner_id: str, playlist_id: str, collaborator_id: str) -> None:
        with self._uow() as uow:
            _owned(uow, playlist_id, owner_id)
            uow.playlists.remove_collaborator(playlist_id, collaborator_id)
            uow.commit()

    def follow_playlist(self, *, user_id: str, playlist_id: str) -> None:
        with self._uow() as uow:
            _visible(uow, playlist_id, user_id)
            if not uow.follows.is_following(user_id, FollowKind.PLAYLIST, playlist_id):
                uow.follows.follow(user_id, FollowKind.PLAYLIST, [playlist_id], self._clock())
            uow.commit()

    def unfollow_playlist(self, *, user_id: str, playlist_id: str) -> None:
        with self._uow() as uow:
            uow.follows.unfollow(user_id, FollowKind.PLAYLIST, [playlist_id])
            uow.commit()

    def playlists_of(self, *, user_id: str, limit: int, offset: int) -> tuple[list[Playlist], int]:
        with self._uow(readonly=True) as uow:
            return uow.playlists.of_user(user_id, limit=limit, offset=offset)

    # --- liked tracks and followed artists -----------------------------------------------------

    def like(self, *, user_id: str, track_ids: Sequence[str]) -> None:
        _check_count(track_ids, MAX_IDS, "ids")
        with self._uow() as uow:
            _require_tracks(uow, track_ids)
            new = set(track_ids) - uow.likes.which_liked(user_id, track_ids)
            uow.likes.like(user_id, new, self._clock())
            uow.commit()

    def unlike(self, *, user_id: str, track_ids: Sequence[str]) -> None:
        _check_count(track_ids, MAX_IDS, "ids")
        with self._uow() as uow:
            uow.likes.unlike(user_id, set(track_ids))
            uow.commit()

    def liked(
        self, *, user_id: str, limit: int, offset: int
    ) -> tuple[list[tuple[TrackDetail, datetime]], int]:
        with self._uow(readonly=True) as uow:
            rows, total = uow.likes.liked(user_id, limit=limit, offset=offset)
        details = self._details([track_id for track_id, _ in rows])
        return [(details[t], at) for t, at in rows if t in details], total

    def are_liked(self, *, user_id: str, track_ids: Sequence[str]) -> list[bool]:
        _check_count(track_ids, MAX_IDS, "ids")
        with self._uow(readonly=True) as uow:
            liked = uow.likes.which_liked(user_id, track_ids)
        return [track_id in liked for track_id in track_ids]

    def follow_artists(self, *, user_id: str, artist_ids: Sequence[str]) -> None:
        _check_count(artist_ids, MAX_IDS, "ids")
        with self._uow() as uow:
            missing = set(artist_ids) - uow.artists.refs(artist_ids).keys()
            if missing:
                raise NotFound("No such artist", artist_ids=sorted(missing))
            new = [
                a
                for a in set(artist_ids)
                if not uow.follows.is_following(user_id, FollowKind.ARTIST, a)
            ]
            uow.follows.follow(user_id, FollowKind.ARTIST, new, self._clock())
            uow.commit()

    def unfollow_artists(self, *, user_id: str, artist_ids: Sequence[str]) -> None:
        _check_count(artist_ids, MAX_IDS, "ids")
        with self._uow() as uow:
            uow.follows.unfollow(user_id, FollowKind.ARTIST, set(artist_ids))
            uow.commit()

    def followed_artists(self, *, user_id: str, limit: int, offset: int) -> tuple[list[Ref], int]:
        with self._uow(readonly=True) as uow:
            ids, total = uow.follows.following(
                user_id, FollowKind.ARTIST, limit=limit, offset=offset
            )
            refs = uow.artists.refs(ids)
        return [refs[a] for a in ids if a in refs], total

    # --- internals -----------------------------------------------------------------------------

    def _edit(
        self,
        uow: LibraryUnitOfWork,
        user_id: str,
        playlist_id: str,
        if_match: str | None,
        edit_of: Callable[[Sequence[Entry]], Edit],
    ) -> str:
        playlist = uow.playlists.lock(playlist_id)
        if playlist is None or not _can_see(uow, playlist, user_id):
            raise NotFound("No such playlist", playlist_id=playlist_id)
        if not _can_edit_tracks(uow, playlist, user_id):
            raise PermissionDenied("Only the owner and invited collaborators edit this playlist")
        old = uow.playlists.entries(playlist_id)
        edit = edit_of(old)
        self._check_snapshot(uow, playlist, if_match, edit.depends_through, frozenset())
        if edit.touched_from is not None:
            uow.playlists.rewrite_from(
                playlist_id, edit.touched_from, edit.entries[edit.touched_from :]
            )
        return self._commit(
            uow, playlist, touched_from=edit.touched_from, fields=frozenset()
        ).snapshot_id

    def _check_snapshot(
        self,
        uow: LibraryUnitOfWork,
        playlist: Playlist,
        if_match: str | None,
        depends_through: int | None,
        fields: frozenset[str],
    ) -> None:
        if if_match is None or if_match in ("*", playlist.snapshot_id):
            return
        since = uow.playlists.changes_after(playlist.id, if_match)
        if since is None or conflicts(since, depends_through=depends_through, fields=fields):
            raise StaleSnapshot(self._view(uow, playlist, limit=100, offset=0))

    def _commit(
        self,
        uow: LibraryUnitOfWork,
        playlist: Playlist,
        *,
        touched_from: int | None,
        fields: frozenset[str],
    ) -> Playlist:
        now = self._clock()
        updated = replace(
            playlist, snapshot_id=new_id(), version=playlist.version + 1, updated_at=now
        )
        uow.playlists.update(updated)
        uow.playlists.record_change(
            playlist.id, Change(updated.version, updated.snapshot_id, touched_from, fields, now)
        )
        uow.commit()
        return updated

    def _view(
        self, uow: LibraryUnitOfWork, playlist: Playlist, *, limit: int, offset: int
    ) -> PlaylistView:
        if not 1 <= limit <= MAX_TRACKS_PER_REQUEST or offset < 0:
            raise InvalidInput(f"limit runs from 1 to {MAX_TRACKS_PER_REQUEST}; offset from 0")
        entries = uow.playlists.entries(playlist.id)
        page = entries[offset : offset + limit]
        first = [entry.track_id for entry in entries[:COVER_FROM_FIRST]]
        details = self._details(list(dict.fromkeys([*first, *(e.track_id for e in page)])))
        albums = [details[t].album.id for t in first if t in details]
        art = {details[t].album.id: details[t].cover_art_path for t in first if t in details}
        return PlaylistView(
            playlist=playlist,
            entries=tuple(page),
            offset=offset,
            total=len(entries),
            followers=uow.follows.followers(FollowKind.PLAYLIST, playlist.id),
            collaborators=tuple(uow.playlists.collaborators(playlist.id)),
            tracks={e.track_id: details[e.track_id] for e in page if e.track_id in details},
            cover_albums=tuple(a for a in cover_albums(albums) if art[a] is not None),
        )

    def _notify(self, notice: PlaylistNotice) -> None:
        for listener in self._listeners:
            listener(notice)


def _visible(uow: LibraryUnitOfWork, playlist_id: str, user_id: str) -> Playlist:
    playlist = uow.playlists.get(playlist_id)
    if playlist is None or not _can_see(uow, playlist, user_id):
        raise NotFound("No such playlist", playlist_id=playlist_id)
    return playlist


def _owned(uow: LibraryUnitOfWork, playlist_id: str, user_id: str) -> Playlist:
    playlist = uow.playlists.lock(playlist_id)
    if playlist is None or not _can_see(uow, playlist, user_id):
        raise NotFound("No such playlist", playlist_id=playlist_id)
    if playlist.owner_id != user_id:
        raise PermissionDenied("Only the playlist's owner may do this")
    return playlist


def _can_see(uow: LibraryUnitOfWork, playlist: Playlist, user_id: str) -> bool:
    return (
        playlist.public
        or playlist.owner_id == user_id
        or user_id in uow.playlists.collaborators(playlist.id)
    )


def _can_edit_tracks(uow: LibraryUnitOfWork, playlist: Playlist, user_id: str) -> bool:
    if playlist.owner_id == user_id:
        return True
    return playlist.collaborative and user_id in uow.playlists.collaborators(playlist.id)


def _check_details(*, name: str, public: bool, collaborative: bool) -> None:
    if not name.strip():
        raise InvalidInput("A playlist needs a name")
    if public and collaborative:
        raise InvalidInput("A collaborative playlist is private: send public: false with it")


def _check_count(ids: Collection[object], most: int, what: str) -> None:
    if not ids:
        raise InvalidInput(f"Name at least one of the {what}")
    if len(ids) > most:
        raise InvalidInput(f"At most {most} {what} per request", count=len(ids))


def _require_tracks(uow: LibraryUnitOfWork, track_ids: Sequence[str]) -> None:
    missing = set(track_ids) - uow.tracks.get_many(set(track_ids)).keys()
    if missing:
        raise NotFound("No such track", track_ids=sorted(missing))
