"""Wrapped: computed for everyone by a batch job over the lake, then served as stored."""

from encore.errors import InvalidInput, NotFound
from encore.unit_of_work import UnitOfWorkFactory
from encore.wrapped.model import wrapped
from encore.wrapped.ports import WrappedUnitOfWork, YearSource

FIRST_YEAR, LAST_YEAR = 2000, 2100


class WrappedService:
    def __init__(self, *, uow: UnitOfWorkFactory[WrappedUnitOfWork], source: YearSource) -> None:
        self._uow = uow
        self._source = source

    def compute(self, *, year: int) -> int:
        """Compute and store every listener's summary of `year`; how many listeners had one."""
        _check_year(year)
        users: list[str] = []
        summaries = []
        for stats in self._source.year(year):
            users.append(stats.user_id)
            summaries.append(wrapped(stats))
        with self._uow() as uow:
            stored = uow.wrapped.replace_year(year, summaries, users)
            uow.commit()
        return stored

    def get(self, *, user_id: str, year: int) -> bytes:
        _check_year(year)
        with self._uow(readonly=True) as uow:
            document = uow.wrapped.get(user_id, year)
        if document is None:
            raise NotFound(
                f"Your {year} Wrapped is not ready: it is computed once the year's listening is "
                f"in (`encore wrapped --year {year}`), and only for listeners who played music",
                year=year,
            )
        return document


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"year runs from {FIRST_YEAR} to {LAST_YEAR}", year=year)
