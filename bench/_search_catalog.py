"""The catalogs bench/search.py measures: the real one, imported through the metadata feed, and
one of a million tracks recombined from it."""

import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from encore.search.model import Kind, SearchDocument

SEED = 20260121


def import_real(data_dir: Path, feed: Path) -> None:
    """`encore import` of the feed, in process: the catalog, and the index its changes build."""
    from encore.bootstrap import bootstrap
    from encore.catalog.feed import FeedImporter
    from encore.config import load_settings

    services = bootstrap(load_settings(data_dir=data_dir))
    try:
        FeedImporter(uow=services.uow, on_change=services.catalog.changed).run(feed)
    finally:
        services.close()


def real_documents(data_dir: Path) -> list[SearchDocument]:
    from encore.adapters.sql.engine import make_engine
    from encore.adapters.sql.search_source import SqlDocumentSource

    engine = make_engine(f"sqlite:///{data_dir / 'encore.db'}")
    try:
        return [d for batch in SqlDocumentSource(engine).everything(batch=5_000) for d in batch]
    finally:
        engine.dispose()


def recombined(real: list[SearchDocument], total_tracks: int) -> list[SearchDocument]:
    """The real documents and tracks made of one real track's title, another's artists, a
    third's album (and a fourth's popularity and genres), `total_tracks` tracks in all; tracks
    first, the most popular first, as Encore's document source gives them."""
    tracks = [d for d in real if d.kind is Kind.TRACK]
    rng = random.Random(SEED)
    made = list(tracks)
    for n in range(total_tracks - len(tracks)):
        title, credit, album, other = (rng.choice(tracks) for _ in range(4))
        made.append(
            replace(
                title,
                id=f"gen{n:019d}",
                artists=credit.artists,
                album=album.album,
                popularity=other.popularity,
                genres=other.genres,
                year=album.year,
            )
        )
    made.sort(key=lambda d: -d.popularity)
    return made + [d for d in real if d.kind is not Kind.TRACK]


def batches(documents: list[SearchDocument], size: int = 10_000) -> Iterator[list[SearchDocument]]:
    for start in range(0, len(documents), size):
        yield documents[start : start + size]
