"""What search needs: an index to query, and a source of documents built from the catalog."""

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from encore.search.model import Kind, Page, SearchDocument, SearchQuery


class SearchIndex(Protocol):
    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Add these documents, replacing any of the same kind and id; visible on return."""
        ...

    def delete(self, kind: Kind, ids: Sequence[str]) -> None: ...

    def rebuild(self, kinds: Sequence[Kind], batches: Iterable[Sequence[SearchDocument]]) -> None:
        """Replace every document of these kinds with those of `batches`, all at once. Documents
        given earlier win ties in ranking where an engine has no better way (most popular
        first is best)."""
        ...

    def search(self, query: SearchQuery, kind: Kind) -> Page:
        """The best matches of one kind, best first. `query.text` has at least one word."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


class DocumentSource(Protocol):
    """Builds documents from the catalog as it is now."""

    def documents(
        self, *, track_ids: Sequence[str], album_ids: Sequence[str], artist_ids: Sequence[str]
    ) -> list[SearchDocument]:
        """The documents of these entities that exist (a missing one is left out)."""
        ...

    def playlist_documents(self, playlist_ids: Sequence[str]) -> list[SearchDocument]:
        """The documents of these playlists that exist and are searchable (listeners' own)."""
        ...

    def total(self) -> int:
        """How many documents `everything` yields, for a progress bar."""
        ...

    def everything(self, *, batch: int) -> Iterator[list[SearchDocument]]:
        """Every document, playlists included; tracks come first, the most popular first."""
        ...
