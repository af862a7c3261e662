"""One SQL transaction, with every domain's repositories bound to its connection.

A single class serves all domains: it satisfies `AccountsUnitOfWork`, `CatalogUnitOfWork` and the
rest structurally, so a service that spans domains still runs in one transaction.
"""

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from encore.adapters.sql.account_data import SqlErasureRepository
from encore.adapters.sql.accounts import (
    SqlMembershipRepository,
    SqlPlanChangeRepository,
    SqlRefreshTokenRepository,
    SqlUserRepository,
)
from encore.adapters.sql.catalog import (
    SqlAlbumRepository,
    SqlArtistRepository,
    SqlExternalIdRepository,
    SqlImportSourceRepository,
    SqlRenditionRepository,
    SqlTrackRepository,
)
from encore.adapters.sql.engine import READONLY
from encore.adapters.sql.history import SqlHistoryStore
from encore.adapters.sql.library import (
    SqlFollowRepository,
    SqlLikeRepository,
    SqlPlaylistRepository,
)
from encore.adapters.sql.read_routing import ReplicaReads
from encore.adapters.sql.stats import SqlConsumerOffsets, SqlListeningStats
from encore.adapters.sql.wrapped import SqlWrappedStore


class SqlUnitOfWork:
    users: SqlUserRepository
    plan_changes: SqlPlanChangeRepository
    memberships: SqlMembershipRepository
    refresh_tokens: SqlRefreshTokenRepository
    artists: SqlArtistRepository
    albums: SqlAlbumRepository
    tracks: SqlTrackRepository
    renditions: SqlRenditionRepository
    import_sources: SqlImportSourceRepository
    external_ids: SqlExternalIdRepository
    history: SqlHistoryStore
    stats: SqlListeningStats
    offsets: SqlConsumerOffsets
    wrapped: SqlWrappedStore
    playlists: SqlPlaylistRepository
    likes: SqlLikeRepository
    follows: SqlFollowRepository
    erasure: SqlErasureRepository

    def __init__(
        self, engine: Engine, *, readonly: bool = False, reads: ReplicaReads | None = None
    ) -> None:
        self._engine = engine
        self._readonly = readonly
        self._reads = reads
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        if self._readonly:
            reading = self._reads.connect() if self._reads else self._engine.connect()
            connection = reading.execution_options(**{READONLY: True})
        else:
            connection = self._engine.connect()
        connection.begin()
        self._connection = connection
        self.users = SqlUserRepository(connection)
        self.plan_changes = SqlPlanChangeRepository(connection)
        self.memberships = SqlMembershipRepository(connection)
        self.refresh_tokens = SqlRefreshTokenRepository(connection)
        self.artists = SqlArtistRepository(connection)
        self.albums = SqlAlbumRepository(connection)
        self.tracks = SqlTrackRepository(connection)
        self.renditions = SqlRenditionRepository(connection)
        self.import_sources = SqlImportSourceRepository(connection)
        self.external_ids = SqlExternalIdRepository(connection)
        self.history = SqlHistoryStore(connection)
        self.stats = SqlListeningStats(connection)
        self.offsets = SqlConsumerOffsets(connection)
        self.wrapped = SqlWrappedStore(connection)
        self.playlists = SqlPlaylistRepository(connection)
        self.likes = SqlLikeRepository(connection)
        self.follows = SqlFollowRepository(connection)
        self.erasure = SqlErasureRepository(connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._require()
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()
            self._connection = None

    def commit(self) -> None:
        self._require().commit()

    def rollback(self) -> None:
        self._require().rollback()

    def _require(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._connection


class SqlUnitOfWorkFactory:
    """Units of work on `engine`; with `reads`, the read-only ones read from a replica (for
    domains whose reads may lag their writes a little: the catalog, not a listener's own data)."""

    def __init__(self, engine: Engine, *, reads: ReplicaReads | None = None) -> None:
        self.engine = engine
        self.reads = reads

    def __call__(self, *, readonly: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, readonly=readonly, reads=self.reads)
