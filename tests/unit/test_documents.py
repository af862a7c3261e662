from encore.adapters.cache.memory import MemoryCache
from encore.catalog.documents import RenderedDocuments
from encore.catalog.service import CatalogChange


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_documents_cached_together_expire_spread_over_the_last_quarter_of_the_ttl() -> None:
    clock = Clock()
    documents = RenderedDocuments(MemoryCache(max_entries=1000, clock=clock), ttl_s=100)
    for n in range(200):
        documents.put("track", str(n), b"{}")
    clock.now = 74.9
    assert all(documents.get("track", str(n)) for n in range(200))
    clock.now = 90
    alive = sum(documents.get("track", str(n)) is not None for n in range(200))
    assert 0 < alive < 200
    clock.now = 100
    assert not any(documents.get("track", str(n)) for n in range(200))


def test_changes_drop_every_affected_document() -> None:
    documents = RenderedDocuments(MemoryCache(max_entries=100), ttl_s=60)
    for kind, entity in (("track", "t"), ("album", "a"), ("artist", "r"), ("track", "other")):
        documents.put(kind, entity, b"{}")
    documents.forget(CatalogChange(track_ids=("t",), album_ids=("a",), artist_ids=("r",)))
    assert documents.get("track", "t") is None
    assert documents.get("album", "a") is None
    assert documents.get("artist", "r") is None
    assert documents.get("track", "other") == b"{}"
