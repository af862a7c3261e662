"""Search: checks what is asked, asks the index once per kind, keeps it up to date."""

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from encore.catalog.service import CatalogChange
from encore.errors import InvalidInput
from encore.search.model import (
    Kind,
    Page,
    SearchDocument,
    SearchQuery,
    SearchResults,
    Suggestion,
    YearRange,
)
from encore.search.ports import DocumentSource, SearchIndex
from encore.search.text import fold, query_terms

MAX_QUERY_CHARS = 500
MAX_LIMIT = 50
MAX_OFFSET = 1_000
MAX_SUGGESTIONS = 10
REINDEX_BATCH = 2_000
# The order suggestions of each kind take turns in.
CATALOG_KINDS = (Kind.TRACK, Kind.ALBUM, Kind.ARTIST)
SUGGEST_ORDER = (Kind.ARTIST, Kind.TRACK, Kind.ALBUM, Kind.PLAYLIST)

_YEARS = re.compile(r"(\d{1,4})(?:-(\d{1,4}))?")
log = logging.getLogger(__name__)
Progress = Callable[[int], None]


def parse_kinds(text: str) -> tuple[Kind, ...]:
    """`track,artist` -> the kinds, in the order given, each once."""
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    known = {kind.value for kind in Kind}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise InvalidInput(
            f"type takes a comma-separated list of {', '.join(sorted(known))}",
            unknown=unknown,
        )
    return tuple(dict.fromkeys(Kind(name) for name in names))


def parse_years(text: str) -> YearRange:
    """`1975` or `1970-1979`."""
    found = _YEARS.fullmatch(text.strip())
    if found is None:
        raise InvalidInput("year takes a year (1975) or a range (1970-1979)")
    years = YearRange(int(found[1]), int(found[2] or found[1]))
    if not 0 < years.first <= years.last:
        raise InvalidInput("year takes a year (1975) or a range (1970-1979), earliest first")
    return years


class SearchService:
    def __init__(self, *, index: SearchIndex, source: DocumentSource) -> None:
        self._index = index
        self._source = source

    def search(self, query: SearchQuery) -> SearchResults:
        _check(query)
        if not query_terms(query.text):
            # Only punctuation or symbols: nothing can match, and that is no error.
            return SearchResults({kind: Page() for kind in query.kinds})
        if query.genre is not None:
            query = _with_genre(query, fold(query.genre).strip())
        return SearchResults({kind: self._index.search(query, kind) for kind in query.kinds})

    def suggest(
        self, text: str, *, limit: int = MAX_SUGGESTIONS, viewer_id: str | None = None
    ) -> list[Suggestion]:
        """Completions across kinds while typing: each kind's best in turn."""
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise InvalidInput(f"limit runs from 1 to {MAX_SUGGESTIONS}")
        if len(text) > MAX_QUERY_CHARS:
            raise InvalidInput(f"A query is at most {MAX_QUERY_CHARS} characters")
        if not query_terms(text):
            return []
        query = SearchQuery(text=text, kinds=SUGGEST_ORDER, limit=limit, viewer_id=viewer_id)
        ranked = [self._index.search(query, kind).items for kind in SUGGEST_ORDER]
        suggestions: list[Suggestion] = []
        seen: set[tuple[Kind, str]] = set()
        for rank in range(limit):
            for items in ranked:
                if rank < len(items) and len(suggestions) < limit:
                    item = items[rank]
                    key = (item.kind, fold(item.name))
                    if key not in seen:
                        seen.add(key)
                        suggestions.append(Suggestion(item.name, item.kind, item.id))
        return suggestions

    # --- keeping the index up to date ----------------------------------------------------------

    def catalog_changed(self, change: CatalogChange) -> None:
        """Re-index what changed; what no longer exists leaves the index. A failure is logged and
        left for `encore search reindex`: the catalog's write has happened and stands."""
        try:
            self._refresh(change)
        except Exception:
            log.exception("search index not updated for a catalog change; run a reindex")

    def _refresh(self, change: CatalogChange) -> None:
        documents = self._source.documents(
            track_ids=change.track_ids, album_ids=change.album_ids, artist_ids=change.artist_ids
        )
        self._index.upsert(documents)
        found = {(d.kind, d.id) for d in documents}
        for kind, ids in (
            (Kind.TRACK, change.track_ids),
            (Kind.ALBUM, change.album_ids),
            (Kind.ARTIST, change.artist_ids),
        ):
            gone = [i for i in ids if (kind, i) not in found]
            if gone:
                self._index.delete(kind, gone)

    def upsert_playlists(self, playlists: Sequence[SearchDocument]) -> None:
        if any(p.kind is not Kind.PLAYLIST for p in playlists):
            raise InvalidInput("Only playlist documents here")
        self._index.upsert(playlists)

    def delete_playlists(self, playlist_ids: Sequence[str]) -> None:
        self._index.delete(Kind.PLAYLIST, playlist_ids)

    def playlists_changed(self, playlist_ids: Sequence[str]) -> None:
        """Index the playlists as they are now; those gone (or not searchable) leave the index.
        As for the catalog, a failure is logged and the playlist's own write stands."""
        try:
            found = self._source.playlist_documents(playlist_ids)
            if found:
                self._index.upsert(found)
            gone = set(playlist_ids) - {document.id for document in found}
            if gone:
                self._index.delete(Kind.PLAYLIST, sorted(gone))
        except Exception:
            log.exception("search index not updated for a playlist change; run a reindex")

    def reindex(
        self, *, started: Progress = lambda total: None, advanced: Progress = lambda n: None
    ) -> int:
        """Rebuild every document from scratch, playlists included; returns how many."""
        started(self._source.total())
        written = 0

        def batches() -> Iterator[list[SearchDocument]]:
            nonlocal written
            for batch in self._source.everything(batch=REINDEX_BATCH):
                yield batch
                written += len(batch)
                advanced(len(batch))

        self._index.rebuild(tuple(Kind), batches())
        return written


def _check(query: SearchQuery) -> None:
    if not query.text.strip():
        raise InvalidInput("Type something to search for: q is empty")
    if len(query.text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"A query is at most {MAX_QUERY_CHARS} characters")
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit runs from 1 to {MAX_LIMIT}")
    if not 0 <= query.offset <= MAX_OFFSET:
        raise InvalidInput(f"offset runs from 0 to {MAX_OFFSET}")
    if not query.kinds:
        raise InvalidInput("Ask for at least one type")


def _with_genre(query: SearchQuery, genre: str) -> SearchQuery:
    if not genre:
        raise InvalidInput("genre is empty")
    return replace(query, genre=genre)
