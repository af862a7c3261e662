"""Account data on SQL: a listener's rows read in keyset-paged batches for their export, the
deletion of their account in the caller's transaction, and the tombstones of deleted listeners."""

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection

from encore.account_data.model import DELETED_USER, OwnedPlaylist, Tombstone
from encore.account_data.ports import Record
from encore.adapters.sql.tables import (
    albums,
    artists,
    deleted_users,
    follows,
    generated_playlists,
    liked_tracks,
    listening_history,
    plan_changes,
    plan_members,
    playlist_collaborators,
    playlist_tracks,
    playlists,
    ratings,
    refresh_tokens,
    starred_albums,
    subsonic_credentials,
    track_artists,
    tracks,
    users,
    wrapped,
)

_IDS_PER_STATEMENT = 500


def _first_artist(track_id: Any) -> Any:
    return (
        select(artists.c.name)
        .join(track_artists, track_artists.c.artist_id == artists.c.id)
        .where(track_artists.c.track_id == track_id, track_artists.c.position == 0)
        .limit(1)
        .scalar_subquery()
    )


def _playlists_of(user_id: str) -> ColumnElement[bool]:
    """The listener's own playlists and those they are invited to edit."""
    invited = select(playlist_collaborators.c.playlist_id).where(
        playlist_collaborators.c.user_id == user_id
    )
    return and_(
        playlists.c.kind == "user",
        or_(playlists.c.owner_id == user_id, playlists.c.id.in_(invited)),
    )


def _section(name: str, user_id: str) -> tuple[Any, list[Any]]:
    """A section's query and its keyset (columns that order its rows uniquely)."""
    if name == "plan_history":
        c = plan_changes.c
        query = select(
            c.changed_at, c.from_plan, c.to_plan, c.changed_by, c.reason, c.idempotency_key
        ).where(c.user_id == user_id)
        return query, [c.changed_at, c.id]
    if name == "family":
        c = plan_members.c
        query = select(c.owner_id, c.member_id, c.status, c.invited_at, c.joined_at).where(
            or_(c.owner_id == user_id, c.member_id == user_id)
        )
        return query, [c.owner_id, c.member_id]
    if name == "sessions":
        c = refresh_tokens.c
        query = select(c.issued_at, c.expires_at, c.used_at, c.revoked_at).where(
            c.user_id == user_id
        )
        return query, [c.issued_at, c.id]
    if name == "playlists":
        c = playlists.c
        role = case((c.owner_id == user_id, "owner"), else_="collaborator")
        query = select(
            c.id,
            role.label("role"),
            c.name,
            c.description,
            c.public,
            c.collaborative,
            c.owner_id,
            c.snapshot_id,
            c.created_at,
            c.updated_at,
        ).where(_playlists_of(user_id))
        return query, [c.id]
    if name == "playlist_tracks":
        c = playlist_tracks.c
        query = (
            select(c.playlist_id, *_entry_columns(user_id))
            .join(playlists, playlists.c.id == c.playlist_id)
            .outerjoin(tracks, tracks.c.id == c.track_id)
            .where(_playlists_of(user_id))
        )
        return query, [c.playlist_id, c.position]
    if name == "likes":
        c = liked_tracks.c
        query = (
            select(
                c.liked_at,
                c.track_id,
                tracks.c.title.label("track"),
                _first_artist(c.track_id).label("artists"),
            )
            .outerjoin(tracks, tracks.c.id == c.track_id)
            .where(c.user_id == user_id)
        )
        return query, [c.liked_at, c.track_id]
    if name == "follows":
        c = follows.c
        named = case(
            (c.target_type == "artist", artists.c.name),
            (c.target_type == "playlist", playlists.c.name),
            else_=None,
        )
        query = (
            select(c.followed_at, c.target_type, c.target_id, named.label("name"))
            .outerjoin(artists, and_(c.target_type == "artist", artists.c.id == c.target_id))
            .outerjoin(playlists, and_(c.target_type == "playlist", playlists.c.id == c.target_id))
            .where(c.user_id == user_id)
        )
        return query, [c.followed_at, c.target_type, c.target_id]
    if name == "starred_albums":
        c = starred_albums.c
        query = (
            select(c.starred_at, c.album_id, albums.c.name.label("album"))
            .outerjoin(albums, albums.c.id == c.album_id)
            .where(c.user_id == user_id)
        )
        return query, [c.starred_at, c.album_id]
    if name == "ratings":
        c = ratings.c
        query = select(c.rated_at, c.target_type, c.target_id, c.rating).where(c.user_id == user_id)
        return query, [c.rated_at, c.target_id]
    if name == "subsonic_credentials":
        c = subsonic_credentials.c
        return select(c.username, c.created_at).where(c.user_id == user_id), [c.user_id]
    if name == "recommendations":
        g = generated_playlists.c
        query = (
            select(
                g.playlist_id,
                g.kind,
                g.slot,
                playlists.c.name,
                g.source,
                g.period_start,
                g.generated_at,
            )
            .join(playlists, playlists.c.id == g.playlist_id)
            .where(g.made_for == user_id)
        )
        return query, [g.playlist_id]
    if name == "recommendation_tracks":
        c = playlist_tracks.c
        query = (
            select(c.playlist_id, c.position, c.track_id, tracks.c.title.label("track"))
            .join(generated_playlists, generated_playlists.c.playlist_id == c.playlist_id)
            .outerjoin(tracks, tracks.c.id == c.track_id)
            .where(generated_playlists.c.made_for == user_id)
        )
        return query, [c.playlist_id, c.position]
    if name == "history":
        c = listening_history.c
        query = (
            select(
                c.listened_at,
                c.track_id,
                tracks.c.title.label("track"),
                c.duration_played_ms,
                c.completed,
                c.skipped,
                c.context_type,
                c.context_id,
                c.device,
                c.received_at,
                c.event_id,
            )
            .outerjoin(tracks, tracks.c.id == c.track_id)
            .where(c.user_id == user_id)
        )
        return query, [c.listened_at, c.event_id]
    raise ValueError(f"unknown export section {name!r}")


def _entry_columns(user_id: str) -> list[Any]:
    """A playlist entry's columns, as `user_id` reads them."""
    c = playlist_tracks.c
    adder = case(
        (c.added_by.is_(None), literal(DELETED_USER)),
        (c.added_by == user_id, literal("you")),
        else_=literal(None),
    )
    return [
        c.position,
        c.track_id,
        tracks.c.title.label("track"),
        c.added_at,
        c.added_by,
        adder.label("added_by_name"),
    ]


def _after(keys: Sequence[Any], last: Sequence[Any]) -> ColumnElement[bool]:
    """Rows after `last` in the order of `keys`: (k1 > v1) or (k1 = v1 and k2 > v2) or ..."""
    clauses = []
    for i, key in enumerate(keys):
        equal = [keys[j] == last[j] for j in range(i)]
        clauses.append(and_(*equal, key > last[i]))
    return or_(*clauses)


class SqlExportSource:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def profile(self, user_id: str) -> Record | None:
        c = users.c
        with self._engine.connect() as connection:
            row = connection.execute(
                select(
                    c.id,
                    c.email,
                    c.display_name,
                    c.country,
                    c.plan,
                    c.is_admin,
                    c.time_zone,
                    c.created_at,
                ).where(c.id == user_id)
            ).first()
        return None if row is None else dict(row._mapping)

    def records(self, section: str, user_id: str, *, batch: int) -> Iterator[Sequence[Record]]:
        query, keys = _section(section, user_id)
        # The keys ride along (labelled apart) so that each page starts after the last row.
        labelled = [key.label(f"_key{i}") for i, key in enumerate(keys)]
        query = query.add_columns(*labelled).order_by(*keys).limit(batch)
        last: list[Any] | None = None
        while True:
            page = query if last is None else query.where(_after(keys, last))
            with self._engine.connect() as connection:
                rows = connection.execute(page).all()
            if not rows:
                return
            # The keys come last: zip stops at the names of the section's own columns.
            names = list(rows[0]._fields[: -len(labelled)])
            yield [dict(zip(names, row, strict=False)) for row in rows]
            if len(rows) < batch:
                return
            last = [getattr(rows[-1], label.name) for label in labelled]

    def playlist_tracks(self, playlist_id: str, user_id: str) -> Sequence[Record]:
        query = (
            select(*_entry_columns(user_id))
            .outerjoin(tracks, tracks.c.id == playlist_tracks.c.track_id)
            .where(playlist_tracks.c.playlist_id == playlist_id)
            .order_by(playlist_tracks.c.position)
        )
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def wrapped(self, user_id: str) -> Iterator[tuple[int, bytes]]:
        with self._engine.connect() as connection:
            years = connection.execute(
                select(wrapped.c.year).where(wrapped.c.user_id == user_id).order_by(wrapped.c.year)
            ).scalars()
            found = list(years)
        for year in found:
            with self._engine.connect() as connection:
                document = connection.execute(
                    select(wrapped.c.document).where(
                        wrapped.c.user_id == user_id, wrapped.c.year == year
                    )
                ).scalar()
            if document is not None:
                yield year, str(document).encode()


class SqlErasureRepository:
    """Runs on the unit of work's connection: nothing here commits."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def owned_playlists(self, user_id: str) -> Sequence[OwnedPlaylist]:
        owned = self._c.execute(
            select(playlists.c.id, playlists.c.public, playlists.c.collaborative)
            .where(playlists.c.owner_id == user_id, playlists.c.kind == "user")
            .order_by(playlists.c.id)
        ).all()
        found = []
        for row in owned:
            collaborators = self._c.execute(
                select(playlist_collaborators.c.user_id)
                .where(
                    playlist_collaborators.c.playlist_id == row.id,
                    playlist_collaborators.c.user_id != user_id,
                )
                .order_by(playlist_collaborators.c.added_at, playlist_collaborators.c.user_id)
            ).scalars()
            followers = self._c.execute(
                select(func.count()).where(
                    follows.c.target_type == "playlist",
                    follows.c.target_id == row.id,
                    follows.c.user_id != user_id,
                )
            ).scalar_one()
            found.append(
                OwnedPlaylist(
                    id=row.id,
                    public=row.public,
                    collaborative=row.collaborative,
                    collaborators=list(collaborators),
                    followers=int(followers),
                )
            )
        return found

    def transfer_playlist(self, playlist_id: str, new_owner: str) -> None:
        self._c.execute(
            update(playlists).where(playlists.c.id == playlist_id).values(owner_id=new_owner)
        )
        self._c.execute(
            delete(playlist_collaborators).where(
                playlist_collaborators.c.playlist_id == playlist_id,
                playlist_collaborators.c.user_id == new_owner,
            )
        )

    def orphan_playlist(self, playlist_id: str) -> None:
        self._c.execute(
            update(playlists).where(playlists.c.id == playlist_id).values(owner_id=None)
        )

    def delete_playlists(self, playlist_ids: Collection[str]) -> None:
        wanted = list(playlist_ids)
        for start in range(0, len(wanted), _IDS_PER_STATEMENT):
            chunk = wanted[start : start + _IDS_PER_STATEMENT]
            self._c.execute(
                delete(follows).where(
                    follows.c.target_type == "playlist", follows.c.target_id.in_(chunk)
                )
            )
            self._c.execute(delete(playlists).where(playlists.c.id.in_(chunk)))

    def erase_user(self, user_id: str) -> dict[str, int]:
        made_for = list(
            self._c.execute(
                select(generated_playlists.c.playlist_id).where(
                    generated_playlists.c.made_for == user_id
                )
            ).scalars()
        )
        self.delete_playlists(made_for)
        removed = {"generated_playlists": len(made_for)}
        # Explicit deletes rather than the foreign keys' cascades: the count of each is the
        # operator's report, and no table depends on a cascade being declared.
        by_user = [
            ("listening_history", listening_history.c.user_id),
            ("liked_tracks", liked_tracks.c.user_id),
            ("follows", follows.c.user_id),
            ("playlist_collaborators", playlist_collaborators.c.user_id),
            ("wrapped", wrapped.c.user_id),
            ("starred_albums", starred_albums.c.user_id),
            ("ratings", ratings.c.user_id),
            ("subsonic_credentials", subsonic_credentials.c.user_id),
            ("refresh_tokens", refresh_tokens.c.user_id),
            ("plan_changes", plan_changes.c.user_id),
        ]
        for name, column in by_user:
            removed[name] = self._c.execute(delete(column.table).where(column == user_id)).rowcount
        removed["followers"] = self._c.execute(
            delete(follows).where(follows.c.target_type == "user", follows.c.target_id == user_id)
        ).rowcount
        removed["plan_members"] = self._c.execute(
            delete(plan_members).where(
                or_(plan_members.c.owner_id == user_id, plan_members.c.member_id == user_id)
            )
        ).rowcount
        # Tracks they added to playlists that stay: kept, their adder unknown ("deleted user").
        removed["playlist_tracks_unattributed"] = self._c.execute(
            update(playlist_tracks)
            .where(playlist_tracks.c.added_by == user_id)
            .values(added_by=None)
        ).rowcount
        removed["users"] = self._c.execute(delete(users).where(users.c.id == user_id)).rowcount
        return removed

    def add_tombstone(self, user_id: str, at: datetime) -> None:
        self._c.execute(insert(deleted_users).values(user_id=user_id, deleted_at=at))

    def is_tombstoned(self, user_id: str) -> bool:
        found = self._c.execute(
            select(deleted_users.c.user_id).where(deleted_users.c.user_id == user_id)
        ).first()
        return found is not None


class SqlTombstones:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def pending(self) -> Sequence[Tombstone]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(deleted_users)
                .where(deleted_users.c.lake_forgotten_at.is_(None))
                .order_by(deleted_users.c.deleted_at)
            ).all()
        return [Tombstone(row.user_id, row.deleted_at, row.lake_forgotten_at) for row in rows]

    def mark_forgotten(self, user_ids: Collection[str], at: datetime) -> None:
        wanted = list(user_ids)
        with self._engine.begin() as connection:
            for start in range(0, len(wanted), _IDS_PER_STATEMENT):
                connection.execute(
                    update(deleted_users)
                    .where(deleted_users.c.user_id.in_(wanted[start : start + _IDS_PER_STATEMENT]))
                    .values(lake_forgotten_at=at)
                )

    def user_ids(self) -> frozenset[str]:
        """Every deleted listener: what reads the lake or the event log leaves out."""
        with self._engine.connect() as connection:
            return frozenset(connection.execute(select(deleted_users.c.user_id)).scalars())
