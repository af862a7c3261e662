"""What an import reports: one outcome per file (or feed row), and the run's summary."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Status(StrEnum):
    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    path: str
    status: Status
    size_bytes: int
    track_id: str | None = None
    reason: str | None = None


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    # What the reader should know beyond the counts (e.g. a feed read as Windows-1252).
    notes: list[str] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(outcome.status is status for outcome in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.status is Status.FAILED]

    @property
    def succeeded(self) -> bool:
        """False only when files were found and not one of them could be imported."""
        return not self.outcomes or len(self.failures) < len(self.outcomes)


class Progress(Protocol):
    def started(self, *, files: int, total_bytes: int) -> None: ...
    def advanced(self, outcome: Outcome) -> None: ...
