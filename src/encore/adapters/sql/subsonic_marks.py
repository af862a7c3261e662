"""Subsonic credentials, and a listener's stars and ratings, in SQL."""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from encore.adapters.sql.engine import READONLY
from encore.adapters.sql.tables import (
    follows,
    liked_tracks,
    ratings,
    starred_albums,
    subsonic_credentials,
)
from encore.subsonic.model import Credential, ItemKind

_CHUNK = 500


class SqlCredentialStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, user_id: str) -> Credential | None:
        return self._one(subsonic_credentials.c.user_id == user_id)

    def get_by_username(self, username: str) -> Credential | None:
        return self._one(subsonic_credentials.c.username == username)

    def get_by_api_key_hash(self, api_key_hash: str) -> Credential | None:
        return self._one(subsonic_credentials.c.api_key_hash == api_key_hash)

    def put(self, credential: Credential) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                delete(subsonic_credentials).where(
                    subsonic_credentials.c.user_id == credential.user_id
                )
            )
            connection.execute(
                insert(subsonic_credentials).values(
                    user_id=credential.user_id,
                    username=credential.username,
                    sealed_password=credential.sealed_password,
                    api_key_hash=credential.api_key_hash,
                    created_at=credential.created_at,
                )
            )

    def delete(self, user_id: str) -> Credential | None:
        with self._engine.begin() as connection:
            found = _credential(
                connection.execute(
                    select(subsonic_credentials).where(subsonic_credentials.c.user_id == user_id)
                ).first()
            )
            connection.execute(
                delete(subsonic_credentials).where(subsonic_credentials.c.user_id == user_id)
            )
        return found

    def _one(self, where: ColumnElement[bool]) -> Credential | None:
        with _reading(self._engine) as connection:
            return _credential(
                connection.execute(select(subsonic_credentials).where(where)).first()
            )


def _credential(row: Any) -> Credential | None:
    if row is None:
        return None
    return Credential(
        user_id=row.user_id,
        username=row.username,
        sealed_password=row.sealed_password,
        api_key_hash=row.api_key_hash,
        created_at=row.created_at,
    )


class SqlMarks:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def liked(self, user_id: str, track_ids: Collection[str] | None) -> dict[str, datetime]:
        return self._dates(liked_tracks, "track_id", "liked_at", user_id, track_ids)

    def followed_artists(
        self, user_id: str, artist_ids: Collection[str] | None
    ) -> dict[str, datetime]:
        return self._dates(
            follows,
            "target_id",
            "followed_at",
            user_id,
            artist_ids,
            follows.c.target_type == "artist",
        )

    def starred_albums(
        self, user_id: str, album_ids: Collection[str] | None
    ) -> dict[str, datetime]:
        return self._dates(starred_albums, "album_id", "starred_at", user_id, album_ids)

    def star_albums(self, user_id: str, album_ids: Collection[str], at: datetime) -> None:
        with self._engine.begin() as connection:
            have = set(
                connection.execute(
                    select(starred_albums.c.album_id).where(
                        starred_albums.c.user_id == user_id,
                        starred_albums.c.album_id.in_(list(album_ids)),
                    )
                ).scalars()
            )
            new = [a for a in dict.fromkeys(album_ids) if a not in have]
            if new:
                connection.execute(
                    insert(starred_albums),
                    [{"user_id": user_id, "album_id": a, "starred_at": at} for a in new],
                )

    def unstar_albums(self, user_id: str, album_ids: Collection[str]) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                delete(starred_albums).where(
                    starred_albums.c.user_id == user_id,
                    starred_albums.c.album_id.in_(list(album_ids)),
                )
            )

    def ratings(self, user_id: str, ids: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with _reading(self._engine) as connection:
            for part in _chunks(ids):
                rows = connection.execute(
                    select(ratings.c.target_id, ratings.c.rating).where(
                        ratings.c.user_id == user_id, ratings.c.target_id.in_(part)
                    )
                )
                found.update({row.target_id: row.rating for row in rows})
        return found

    def set_rating(
        self, user_id: str, kind: ItemKind, target_id: str, rating: int, at: datetime
    ) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                delete(ratings).where(
                    ratings.c.user_id == user_id, ratings.c.target_id == target_id
                )
            )
            if rating:
                connection.execute(
                    insert(ratings).values(
                        user_id=user_id,
                        target_id=target_id,
                        target_type=kind.value,
                        rating=rating,
                        rated_at=at,
                    )
                )

    def _dates(
        self,
        table: Any,
        id_column: str,
        at_column: str,
        user_id: str,
        ids: Collection[str] | None,
        *where: ColumnElement[bool],
    ) -> dict[str, datetime]:
        key, at = table.c[id_column], table.c[at_column]
        query = select(key, at).where(table.c.user_id == user_id, *where)
        with _reading(self._engine) as connection:
            if ids is None:
                rows = connection.execute(query.order_by(at.desc(), key)).all()
            else:
                rows = [
                    row
                    for part in _chunks(ids)
                    for row in connection.execute(query.where(key.in_(part)))
                ]
        return {row[0]: row[1] for row in rows}


def _reading(engine: Engine) -> Connection:
    return engine.connect().execution_options(**{READONLY: True})


def _chunks(ids: Collection[str]) -> list[list[str]]:
    listed = list(dict.fromkeys(ids))
    return [listed[start : start + _CHUNK] for start in range(0, len(listed), _CHUNK)]
