"""The library's repositories on SQL: playlists with their tracks and changes, likes, follows."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, union, update
from sqlalchemy.engine import Connection

from encore.adapters.sql.tables import (
    follows,
    liked_tracks,
    playlist_changes,
    playlist_collaborators,
    playlist_tracks,
    playlists,
)
from encore.library.model import Change, Entry, FollowKind, Playlist

_COLUMNS = (
    "id",
    "owner_id",
    "name",
    "description",
    "public",
    "collaborative",
    "snapshot_id",
    "version",
    "created_at",
    "updated_at",
    "kind",
)


def _playlist(row: Any) -> Playlist:
    return Playlist(**{name: getattr(row, name) for name in _COLUMNS})


def _values(playlist: Playlist) -> dict[str, Any]:
    return {name: getattr(playlist, name) for name in _COLUMNS}


class SqlPlaylistRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add(self, playlist: Playlist) -> None:
        self._c.execute(playlists.insert().values(**_values(playlist)))

    def get(self, playlist_id: str) -> Playlist | None:
        row = self._c.execute(select(playlists).where(playlists.c.id == playlist_id)).first()
        return _playlist(row) if row else None

    def lock(self, playlist_id: str) -> Playlist | None:
        # SQLite's writers hold the database lock from BEGIN IMMEDIATE on; FOR UPDATE is
        # PostgreSQL's row lock, and SQLAlchemy leaves it out on SQLite.
        query = select(playlists).where(playlists.c.id == playlist_id).with_for_update()
        row = self._c.execute(query).first()
        return _playlist(row) if row else None

    def update(self, playlist: Playlist) -> None:
        values = _values(playlist)
        del values["id"], values["created_at"]
        self._c.execute(update(playlists).where(playlists.c.id == playlist.id).values(**values))

    def delete(self, playlist_id: str) -> None:
        self._c.execute(
            delete(follows).where(
                follows.c.target_type == FollowKind.PLAYLIST.value,
                follows.c.target_id == playlist_id,
            )
        )
        self._c.execute(delete(playlists).where(playlists.c.id == playlist_id))

    def entries(self, playlist_id: str) -> list[Entry]:
        query = (
            select(
                playlist_tracks.c.track_id, playlist_tracks.c.added_at, playlist_tracks.c.added_by
            )
            .where(playlist_tracks.c.playlist_id == playlist_id)
            .order_by(playlist_tracks.c.position)
        )
        return [Entry(row.track_id, row.added_at, row.added_by) for row in self._c.execute(query)]

    def rewrite_from(self, playlist_id: str, position: int, entries: Sequence[Entry]) -> None:
        self._c.execute(
            delete(playlist_tracks).where(
                playlist_tracks.c.playlist_id == playlist_id,
                playlist_tracks.c.position >= position,
            )
        )
        if entries:
            self._c.execute(
                playlist_tracks.insert(),
                [
                    {
                        "playlist_id": playlist_id,
                        "position": position + offset,
                        "track_id": entry.track_id,
                        "added_at": entry.added_at,
                        "added_by": entry.added_by,
                    }
                    for offset, entry in enumerate(entries)
                ],
            )

    def record_change(self, playlist_id: str, change: Change) -> None:
        self._c.execute(
            playlist_changes.insert().values(
                playlist_id=playlist_id,
                version=change.version,
                snapshot_id=change.snapshot_id,
                touched_from=change.touched_from,
                fields=",".join(sorted(change.fields)),
                changed_at=change.changed_at,
            )
        )

    def changes_after(self, playlist_id: str, snapshot_id: str) -> Sequence[Change] | None:
        version = self._c.execute(
            select(playlist_changes.c.version).where(
                playlist_changes.c.playlist_id == playlist_id,
                playlist_changes.c.snapshot_id == snapshot_id,
            )
        ).scalar()
        if version is None:
            return None
        query = (
            select(playlist_changes)
            .where(
                playlist_changes.c.playlist_id == playlist_id,
                playlist_changes.c.version > version,
            )
            .order_by(playlist_changes.c.version)
        )
        return [
            Change(
                row.version,
                row.snapshot_id,
                row.touched_from,
                frozenset(filter(None, row.fields.split(","))),
                row.changed_at,
            )
            for row in self._c.execute(query)
        ]

    def collaborators(self, playlist_id: str) -> list[str]:
        query = (
            select(playlist_collaborators.c.user_id)
            .where(playlist_collaborators.c.playlist_id == playlist_id)
            .order_by(playlist_collaborators.c.added_at, playlist_collaborators.c.user_id)
        )
        return list(self._c.execute(query).scalars())

    def add_collaborator(self, playlist_id: str, user_id: str, at: datetime) -> None:
        self._c.execute(
            playlist_collaborators.insert().values(
                playlist_id=playlist_id, user_id=user_id, added_at=at
            )
        )

    def remove_collaborator(self, playlist_id: str, user_id: str) -> None:
        self._c.execute(
            delete(playlist_collaborators).where(
                playlist_collaborators.c.playlist_id == playlist_id,
                playlist_collaborators.c.user_id == user_id,
            )
        )

    def of_user(self, user_id: str, *, limit: int, offset: int) -> tuple[list[Playlist], int]:
        mine = union(
            select(playlists.c.id).where(playlists.c.owner_id == user_id),
            select(playlist_collaborators.c.playlist_id).where(
                playlist_collaborators.c.user_id == user_id
            ),
            select(follows.c.target_id).where(
                follows.c.user_id == user_id,
                follows.c.target_type == FollowKind.PLAYLIST.value,
            ),
        ).subquery()
        chosen = select(playlists).join(mine, mine.c.id == playlists.c.id)
        total = self._c.execute(select(func.count()).select_from(chosen.subquery())).scalar_one()
        rows = self._c.execute(
            chosen.order_by(playlists.c.created_at.desc(), playlists.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_playlist(row) for row in rows], int(total)


class SqlLikeRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def like(self, user_id: str, track_ids: Collection[str], at: datetime) -> None:
        if track_ids:
            self._c.execute(
                liked_tracks.insert(),
                [{"user_id": user_id, "track_id": t, "liked_at": at} for t in track_ids],
            )

    def unlike(self, user_id: str, track_ids: Collection[str]) -> None:
        self._c.execute(
            delete(liked_tracks).where(
                liked_tracks.c.user_id == user_id, liked_tracks.c.track_id.in_(list(track_ids))
            )
        )

    def liked(
        self, user_id: str, *, limit: int, offset: int
    ) -> tuple[list[tuple[str, datetime]], int]:
        mine = liked_tracks.c.user_id == user_id
        total = self._c.execute(select(func.count()).where(mine)).scalar_one()
        rows = self._c.execute(
            select(liked_tracks.c.track_id, liked_tracks.c.liked_at)
            .where(mine)
            .order_by(liked_tracks.c.liked_at.desc(), liked_tracks.c.track_id)
            .limit(limit)
            .offset(offset)
        )
        return [(row.track_id, row.liked_at) for row in rows], int(total)

    def which_liked(self, user_id: str, track_ids: Collection[str]) -> set[str]:
        query = select(liked_tracks.c.track_id).where(
            liked_tracks.c.user_id == user_id, liked_tracks.c.track_id.in_(list(track_ids))
        )
        return set(self._c.execute(query).scalars())


class SqlFollowRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def follow(self, user_id: str, kind: FollowKind, ids: Collection[str], at: datetime) -> None:
        if ids:
            self._c.execute(
                follows.insert(),
                [
                    {
                        "user_id": user_id,
                        "target_type": kind.value,
                        "target_id": i,
                        "followed_at": at,
                    }
                    for i in ids
                ],
            )

    def unfollow(self, user_id: str, kind: FollowKind, ids: Collection[str]) -> None:
        self._c.execute(
            delete(follows).where(
                follows.c.user_id == user_id,
                follows.c.target_type == kind.value,
                follows.c.target_id.in_(list(ids)),
            )
        )

    def following(
        self, user_id: str, kind: FollowKind, *, limit: int, offset: int
    ) -> tuple[list[str], int]:
        mine = (follows.c.user_id == user_id) & (follows.c.target_type == kind.value)
        total = self._c.execute(select(func.count()).where(mine)).scalar_one()
        rows = self._c.execute(
            select(follows.c.target_id)
            .where(mine)
            .order_by(follows.c.followed_at.desc(), follows.c.target_id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows.scalars()), int(total)

    def followers(self, kind: FollowKind, target_id: str) -> int:
        query = select(func.count()).where(
            follows.c.target_type == kind.value, follows.c.target_id == target_id
        )
        return int(self._c.execute(query).scalar_one())

    def is_following(self, user_id: str, kind: FollowKind, target_id: str) -> bool:
        query = select(follows.c.user_id).where(
            follows.c.user_id == user_id,
            follows.c.target_type == kind.value,
            follows.c.target_id == target_id,
        )
        return self._c.execute(query).first() is not None
