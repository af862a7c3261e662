"""The import's progress bar and end-of-run summary on the terminal."""

from types import TracebackType
from typing import Self

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from encore.catalog.import_summary import Outcome, Status, Summary


class _Bar:
    """A rich progress bar that shows while its `with` block runs, with time spent and left."""

    def __init__(self, console: Console, *columns: ProgressColumn) -> None:
        self._progress = Progress(
            *columns,
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()


class ImportProgressBar(_Bar):
    """Files and bytes done, with an ETA; implements the importer's `Progress`."""

    def __init__(self, console: Console) -> None:
        super().__init__(
            console,
            TextColumn("[bold]Importing[/bold] {task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
        )

    def started(self, *, files: int, total_bytes: int) -> None:
        # The bar moves by bytes (they say more about time left than file counts do).
        self._files = files
        self._done = 0
        self._task = self._progress.add_task(self._files_text(), total=max(total_bytes, 1))

    def advanced(self, outcome: Outcome) -> None:
        if self._task is None:
            return
        self._done += 1
        self._progress.update(
            self._task, advance=outcome.size_bytes, description=self._files_text()
        )

    def _files_text(self) -> str:
        return f"{self._done}/{self._files} files"


class FeedProgressBar(_Bar):
    """Rows of a catalog feed done, with an ETA; implements the feed importer's `FeedProgress`."""

    def __init__(self, console: Console, name: str) -> None:
        super().__init__(
            console,
            TextColumn(f"[bold]Importing[/bold] {escape(name)}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("rows"),
        )

    def started(self, *, rows: int) -> None:
        self._task = self._progress.add_task("", total=max(rows, 1))

    def advanced(self, *, rows: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, advance=rows)


def print_summary(console: Console, summary: Summary) -> None:
    counts = Table(title="Import summary", show_header=True)
    for status in Status:
        counts.add_column(status.value, justify="right")
    counts.add_row(*(str(summary.count(status)) for status in Status))
    console.print(counts)
    if summary.failures:
        failed = Table(title="Not imported", show_header=True, expand=True)
        failed.add_column("file", overflow="fold")
        failed.add_column("reason", overflow="fold")
        for outcome in summary.failures:
            # Paths and reasons quote what files hold: never read them as markup.
            failed.add_row(escape(outcome.path), escape(outcome.reason or ""))
        console.print(failed)
    for note in summary.notes:
        console.print(f"[yellow]Note:[/yellow] {escape(note)}")
