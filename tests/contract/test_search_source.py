"""Search documents read from the catalog's tables, on SQLite and PostgreSQL."""

from datetime import date

from sqlalchemy import Engine

from encore.adapters.sql.search_source import SqlDocumentSource
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.model import Ref
from encore.catalog.service import CatalogService
from encore.search.model import Kind, SearchDocument
from tests.builders import make_album, make_artist, make_track


def test_documents_of_tracks_albums_and_artists(engine: Engine) -> None:
    catalog = CatalogService(uow=SqlUnitOfWorkFactory(engine))
    queen = catalog.add_artist(make_artist(name="Queen"))
    bowie = catalog.add_artist(make_artist(name="David Bowie"))
    album = catalog.add_album(
        make_album(artist_ids=(queen.id,), name="Hot Space", release_date=date(1982, 5, 21))
    )
    tracks = [
        catalog.add_track(
            make_track(
                album_id=album.id,
                artist_ids=(queen.id, bowie.id),
                title="Under Pressure",
                popularity=80,
                genres=("rock", "glam rock"),
            )
        ),
        catalog.add_track(
            make_track(album_id=album.id, artist_ids=(queen.id,), title="Staying Power")
        ),
    ]
    source = SqlDocumentSource(engine)
    found = source.documents(
        track_ids=[tracks[0].id, "missing"], album_ids=[album.id], artist_ids=[bowie.id]
    )
    assert found == [
        SearchDocument(
            kind=Kind.TRACK,
            id=tracks[0].id,
            name="Under Pressure",
            popularity=80,
            artists=(Ref(queen.id, "Queen"), Ref(bowie.id, "David Bowie")),
            album=Ref(album.id, "Hot Space"),
            duration_ms=tracks[0].duration_ms,
            genres=("rock", "glam rock"),
            year=1982,
        ),
        SearchDocument(
            kind=Kind.ALBUM,
            id=album.id,
            name="Hot Space",
            popularity=80,
            artists=(Ref(queen.id, "Queen"),),
            year=1982,
        ),
        SearchDocument(kind=Kind.ARTIST, id=bowie.id, name="David Bowie", popularity=80),
    ]
    assert source.total() == 2 + 1 + 2


def test_everything_in_batches_most_popular_tracks_first(engine: Engine) -> None:
    catalog = CatalogService(uow=SqlUnitOfWorkFactory(engine))
    artist = catalog.add_artist(make_artist(name="Someone"))
    album = catalog.add_album(make_album(artist_ids=(artist.id,)))
    popularity = [5, 90, 5, 40, 0, 90, 70]
    for n, points in enumerate(popularity):
        catalog.add_track(
            make_track(album_id=album.id, artist_ids=(artist.id,), title=f"T{n}", popularity=points)
        )
    batches = list(SqlDocumentSource(engine).everything(batch=3))
    assert [len(b) for b in batches] == [3, 3, 1, 1, 1]
    tracks = [d for batch in batches for d in batch if d.kind is Kind.TRACK]
    assert [t.popularity for t in tracks] == sorted(popularity, reverse=True)
    assert len({t.id for t in tracks}) == len(popularity)
    assert [d.kind for d in batches[-2] + batches[-1]] == [Kind.ALBUM, Kind.ARTIST]
