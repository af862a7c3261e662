"""The transaction boundary every domain's service works through."""

from types import TracebackType
from typing import Protocol, Self, TypeVar


class UnitOfWork(Protocol):
    """One transaction. Leaving the block without `commit()` rolls everything back."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


U_co = TypeVar("U_co", bound=UnitOfWork, covariant=True)


class UnitOfWorkFactory(Protocol[U_co]):
    def __call__(self, *, readonly: bool = False) -> U_co:
        """A new unit of work; `readonly` ones never take a write lock."""
        ...
