"""Where Wrapped's measurements come from, and where the results are kept."""

from collections.abc import Iterable, Iterator
from typing import Protocol

from encore.unit_of_work import UnitOfWork
from encore.wrapped.model import Wrapped, YearStats


class YearSource(Protocol):
    def year(self, year: int) -> Iterator[YearStats]:
        """Every listener's measurements for the year, from the lake."""
        ...


class WrappedStore(Protocol):
    def replace_year(self, year: int, summaries: Iterable[Wrapped], user_ids: Iterable[str]) -> int:
        """Store the year's summaries (zipped with their users), replacing the year's old ones;
        how many were stored."""
        ...

    def get(self, user_id: str, year: int) -> bytes | None:
        """The stored summary as JSON, ready to send."""
        ...


class WrappedUnitOfWork(UnitOfWork, Protocol):
    @property
    def wrapped(self) -> WrappedStore: ...
