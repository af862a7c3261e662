"""What operators see of the batch side: imports, the recommenders' runs and Wrapped's years,
read straight from their tables (a few aggregate queries, for the admin page)."""

from collections.abc import Sequence

from sqlalchemy import Engine, func, select

from encore.adapters.sql.tables import import_sources, recommend_runs, tracks, wrapped
from encore.admin.service import BatchRun, ImportStatus, WrappedYear


class SqlOperationsReport:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def imports(self) -> ImportStatus:
        with self._engine.connect() as c:
            files, last = c.execute(
                select(func.count(), func.max(import_sources.c.imported_at))
            ).one()
            catalog = c.execute(select(func.count()).select_from(tracks)).scalar_one()
        return ImportStatus(imported_files=int(files), last_import_at=last, catalog_tracks=catalog)

    def batch_runs(self, *, limit: int) -> Sequence[BatchRun]:
        query = (
            select(recommend_runs)
            .order_by(recommend_runs.c.started_at.desc(), recommend_runs.c.id)
            .limit(limit)
        )
        with self._engine.connect() as c:
            return [
                BatchRun(
                    runner=row.runner,
                    kinds=tuple(row.kinds.split(",")) if row.kinds else (),
                    status=row.status,
                    started_at=row.started_at,
                    finished_at=row.finished_at,
                    users=row.users,
                    playlists=row.playlists,
                    error=row.error,
                )
                for row in c.execute(query)
            ]

    def wrapped_years(self) -> Sequence[WrappedYear]:
        query = (
            select(wrapped.c.year, func.count(), func.max(wrapped.c.computed_at))
            .group_by(wrapped.c.year)
            .order_by(wrapped.c.year.desc())
        )
        with self._engine.connect() as c:
            return [WrappedYear(year, int(n), at) for year, n, at in c.execute(query)]
