"""The catalog repositories' bulk methods (what a feed import uses) and the external ids, on
SQLite and PostgreSQL."""

from dataclasses import replace
from datetime import date, timedelta

from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.model import DatePrecision, ExternalKind, Quality
from encore.ids import new_id
from tests.builders import NOW, make_album, make_artist, make_rendition, make_track
from tests.contract.storing import add_catalog, an_album


def test_artists_in_bulk_and_by_name(uow: SqlUnitOfWorkFactory) -> None:
    older = make_artist(name="Low", created_at=NOW)
    newer = make_artist(name="Low", created_at=NOW + timedelta(days=1))
    many = [make_artist(name=f"Artist {n}") for n in range(1500)]
    with uow() as unit:
        unit.artists.add_many([newer, older, *many])
        unit.artists.add_many([])
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.artists.get(many[0].id) == many[0]
        # More names than one IN list takes.
        found = unit.artists.ids_by_name(["Low", "Nobody", *(a.name for a in many)])
        assert unit.artists.ids_by_name([]) == {}
    assert found["Low"] == older.id
    assert "Nobody" not in found
    assert len(found) == 1501


def test_albums_in_bulk(uow: SqlUnitOfWorkFactory) -> None:
    queen, bowie = make_artist(name="Queen"), make_artist(name="David Bowie")
    add_catalog(uow, artists=(queen, bowie))
    hot_space = make_album(name="Hot Space", artist_ids=(queen.id, bowie.id), created_at=NOW)
    reissue = make_album(
        name="Hot Space", artist_ids=(queen.id,), created_at=NOW + timedelta(days=1)
    )
    other = make_album(name="Innuendo", artist_ids=(queen.id,))
    with uow() as unit:
        unit.albums.add_many([reissue, hot_space, other])
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.albums.get_many([hot_space.id, other.id, new_id()]) == {
            hot_space.id: hot_space,
            other.id: other,
        }
        found = unit.albums.ids_by_name(
            [("Hot Space", queen.id), ("Hot Space", bowie.id), ("Innuendo", bowie.id)]
        )
    assert found == {("Hot Space", queen.id): hot_space.id, ("Hot Space", bowie.id): hot_space.id}


def test_album_details_and_track_counts(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    empty = make_album(artist_ids=(artist.id,), total_tracks=7)
    add_catalog(
        uow,
        albums=(empty,),
        tracks=tuple(make_track(album_id=album.id, artist_ids=(artist.id,)) for _ in range(3)),
    )
    with uow() as unit:
        unit.albums.set_details(
            album.id,
            name="Renamed",
            release_date=date(1999, 1, 1),
            release_date_precision=DatePrecision.YEAR,
        )
        unit.albums.recount_tracks([album.id, empty.id])
        unit.commit()
    with uow(readonly=True) as unit:
        changed = unit.albums.get(album.id)
        assert changed is not None
        assert (changed.name, changed.release_date_text, changed.total_tracks) == (
            "Renamed",
            "1999",
            3,
        )
        recounted = unit.albums.get(empty.id)
        assert recounted is not None and recounted.total_tracks == 0


def test_tracks_in_bulk(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    plain = make_track(album_id=album.id, artist_ids=(artist.id,), genres=("rock", "pop"))
    licensed = make_track(
        album_id=album.id, artist_ids=(artist.id,), available_countries=frozenset({"SE", "NO"})
    )
    with uow() as unit:
        unit.tracks.add_many([plain, licensed])
        unit.tracks.add_many([])
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.tracks.get_many([plain.id, licensed.id, new_id()]) == {
            plain.id: plain,
            licensed.id: licensed,
        }
        assert unit.tracks.get_many([]) == {}


def test_update_keeps_the_row_and_what_refers_to_it(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    other = make_artist()
    track = make_track(album_id=album.id, artist_ids=(artist.id,), genres=("rock",))
    add_catalog(uow, artists=(other,), tracks=(track,))
    with uow() as unit:
        unit.renditions.put(make_rendition(track_id=track.id, quality=Quality.LOW))
        unit.commit()
    changed = replace(
        track,
        title="New title",
        artist_ids=(other.id, artist.id),
        genres=("jazz",),
        popularity=90,
        available_countries=frozenset({"SE"}),
        created_at=NOW + timedelta(days=3),
    )
    with uow() as unit:
        unit.tracks.update(changed)
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.tracks.get(track.id) == replace(changed, created_at=track.created_at)
        assert len(unit.renditions.list_for_track(track.id)) == 1


def test_external_ids(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as unit:
        unit.external_ids.put_many("feed:a", ExternalKind.TRACK, {"x": "T1", "y": "T2"})
        unit.external_ids.put_many("feed:a", ExternalKind.ALBUM, {"x": "A1"})
        unit.external_ids.put_many("feed:b", ExternalKind.TRACK, {"x": "T3"})
        unit.external_ids.put_many("feed:a", ExternalKind.TRACK, {})
        unit.commit()
    with uow() as unit:
        # Mapping an id again replaces its entity.
        unit.external_ids.put_many("feed:a", ExternalKind.TRACK, {"y": "T4", "z": "T5"})
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.external_ids.in_namespace("feed:a", ExternalKind.TRACK) == {
            "x": "T1",
            "y": "T4",
            "z": "T5",
        }
        assert unit.external_ids.in_namespace("feed:a", ExternalKind.ALBUM) == {"x": "A1"}
        assert unit.external_ids.in_namespace("feed:b", ExternalKind.TRACK) == {"x": "T3"}
        assert unit.external_ids.in_namespace("feed:c", ExternalKind.ARTIST) == {}
