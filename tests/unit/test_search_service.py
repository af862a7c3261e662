"""The search service: what it accepts, how it follows catalog changes, reindexing, suggestions."""

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from encore.adapters.search.tantivy_index import TantivySearchIndex
from encore.catalog.model import Ref
from encore.catalog.service import CatalogChange
from encore.errors import InvalidInput
from encore.search.model import Kind, SearchDocument, SearchQuery, YearRange
from encore.search.service import SearchService, parse_kinds, parse_years


class FakeSource:
    """A catalog held in a dict: (kind, id) -> document."""

    def __init__(self, documents: Sequence[SearchDocument] = ()) -> None:
        self.documents_by_key = {(d.kind, d.id): d for d in documents}
        self.fail = False

    def documents(
        self, *, track_ids: Sequence[str], album_ids: Sequence[str], artist_ids: Sequence[str]
    ) -> list[SearchDocument]:
        if self.fail:
            raise OSError("database is gone")
        wanted = [
            *((Kind.TRACK, i) for i in track_ids),
            *((Kind.ALBUM, i) for i in album_ids),
            *((Kind.ARTIST, i) for i in artist_ids),
        ]
        return [self.documents_by_key[k] for k in wanted if k in self.documents_by_key]

    def playlist_documents(self, playlist_ids: Sequence[str]) -> list[SearchDocument]:
        keys = [(Kind.PLAYLIST, i) for i in playlist_ids]
        return [self.documents_by_key[k] for k in keys if k in self.documents_by_key]

    def total(self) -> int:
        return len(self.documents_by_key)

    def everything(self, *, batch: int) -> Iterator[list[SearchDocument]]:
        items = list(self.documents_by_key.values())
        for start in range(0, len(items), batch):
            yield items[start : start + batch]


def track(track_id: str, title: str, artist: str = "Queen") -> SearchDocument:
    return SearchDocument(
        Kind.TRACK, track_id, title, artists=(Ref("a", artist),), album=Ref("b", "Album")
    )


@pytest.fixture
def index(tmp_path: Path) -> TantivySearchIndex:
    return TantivySearchIndex(tmp_path / "index")


def names(service: SearchService, text: str, kind: Kind = Kind.TRACK) -> list[str]:
    found = service.search(SearchQuery(text=text, kinds=(kind,)))
    return [item.name for item in found.pages[kind].items]


def test_catalog_changes_are_indexed_and_what_is_gone_leaves(index: TantivySearchIndex) -> None:
    source = FakeSource([track("t1", "Radio Ga Ga"), track("t2", "Under Pressure")])
    service = SearchService(index=index, source=source)
    service.catalog_changed(CatalogChange(track_ids=("t1", "t2")))
    assert names(service, "radio") == ["Radio Ga Ga"]
    del source.documents_by_key[(Kind.TRACK, "t1")]
    service.catalog_changed(CatalogChange(track_ids=("t1",)))
    assert names(service, "radio") == []
    assert names(service, "pressure") == ["Under Pressure"]


def test_a_failed_update_is_logged_not_raised(
    index: TantivySearchIndex, caplog: pytest.LogCaptureFixture
) -> None:
    source = FakeSource([track("t1", "Radio Ga Ga")])
    source.fail = True
    service = SearchService(index=index, source=source)
    with caplog.at_level(logging.ERROR):
        service.catalog_changed(CatalogChange(track_ids=("t1",)))
    assert "reindex" in caplog.text


def test_reindex_reports_progress_and_rebuilds_playlists_too(index: TantivySearchIndex) -> None:
    playlist = SearchDocument(Kind.PLAYLIST, "p", "Songs", owner=Ref("u", "U"))
    documents = [*(track(f"t{n}", f"Song {n}") for n in range(5)), playlist]
    service = SearchService(index=index, source=FakeSource(documents))
    index.upsert([track("stale", "Stale Song")])
    service.upsert_playlists([SearchDocument(Kind.PLAYLIST, "gone", "Old Songs")])
    seen: list[int] = []
    assert service.reindex(started=seen.append, advanced=seen.append) == 6
    assert seen[0] == 6 and sum(seen[1:]) == 6
    assert "Stale Song" not in names(service, "song")
    assert names(service, "songs", Kind.PLAYLIST) == ["Songs"]  # from the source, not the index


def test_a_playlist_change_indexes_it_as_it_now_is(index: TantivySearchIndex) -> None:
    source = FakeSource([SearchDocument(Kind.PLAYLIST, "p", "Night Drive", owner=Ref("u", "U"))])
    service = SearchService(index=index, source=source)
    service.playlists_changed(["p"])
    assert names(service, "night drive", Kind.PLAYLIST) == ["Night Drive"]
    del source.documents_by_key[(Kind.PLAYLIST, "p")]
    service.playlists_changed(["p"])  # deleted, or no longer searchable
    assert names(service, "night drive", Kind.PLAYLIST) == []


def test_only_playlists_through_the_playlist_methods(index: TantivySearchIndex) -> None:
    service = SearchService(index=index, source=FakeSource())
    with pytest.raises(InvalidInput):
        service.upsert_playlists([track("t1", "Not a playlist")])


def test_suggestions_take_turns_across_kinds(index: TantivySearchIndex) -> None:
    index.upsert(
        [
            SearchDocument(Kind.ARTIST, "queen", "Queen", popularity=90),
            SearchDocument(Kind.ARTIST, "qotsa", "Queens of the Stone Age", popularity=70),
            track("t1", "Killer Queen"),
            track("t2", "Queen of Hearts"),
            SearchDocument(Kind.ALBUM, "al", "Queen II", artists=(Ref("queen", "Queen"),)),
        ]
    )
    service = SearchService(index=index, source=FakeSource())
    found = service.suggest("quee", limit=4)
    assert [(s.kind, s.text) for s in found] == [
        (Kind.ARTIST, "Queen"),
        (Kind.TRACK, "Killer Queen"),
        (Kind.ALBUM, "Queen II"),
        (Kind.ARTIST, "Queens of the Stone Age"),
    ]
    assert service.suggest("?!") == []
    with pytest.raises(InvalidInput):
        service.suggest("queen", limit=0)


def test_parsing_types_and_years() -> None:
    assert parse_kinds("track, Artist,track") == (Kind.TRACK, Kind.ARTIST)
    assert parse_years("1975") == YearRange(1975, 1975)
    assert parse_years("1970-1979") == YearRange(1970, 1979)
    for bad in ("", "song", ","):
        with pytest.raises(InvalidInput):
            parse_kinds(bad)
    for bad in ("0", "1980-1970", "x", "1970-", "-5"):
        with pytest.raises(InvalidInput):
            parse_years(bad)
