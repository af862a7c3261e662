"""The catalog repositories, on SQLite and PostgreSQL."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.model import AlbumType, DatePrecision, Quality, Ref, Track
from encore.ids import new_id
from tests.builders import (
    NOW,
    make_album,
    make_artist,
    make_rendition,
    make_track,
)
from tests.contract.storing import add_catalog, an_album

CEST = timezone(timedelta(hours=2))

# --- artists ----------------------------------------------------------------------------------


def test_artist_round_trips(uow: SqlUnitOfWorkFactory) -> None:
    full = make_artist(
        name="Sigur Rós",
        sort_name="Sigur Rós",
        musicbrainz_id="f6f2a2a4-6b05-4a06-9b4e-1b1a3c0b0c6f",
        image_path="images/ab/cd/artist.jpg",
    )
    bare = make_artist(created_at=None)
    before = datetime.now(UTC)
    add_catalog(uow, artists=(full, bare))
    with uow(readonly=True) as unit:
        assert unit.artists.get(full.id) == full
        stamped = unit.artists.get(bare.id)
        assert unit.artists.get(new_id()) is None
    assert stamped is not None
    assert stamped.created_at is not None
    assert stamped.created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stamped.created_at <= datetime.now(UTC)


def test_get_by_name_prefers_the_oldest(uow: SqlUnitOfWorkFactory) -> None:
    newer = make_artist(name="Low", created_at=NOW + timedelta(days=1))
    older = make_artist(name="Low", created_at=NOW)
    add_catalog(uow, artists=(newer, older, make_artist(name="Lower")))
    with uow(readonly=True) as unit:
        assert unit.artists.get_by_name("Low") == older
        assert unit.artists.get_by_name("low") in (None, older)  # collation-dependent
        assert unit.artists.get_by_name("Nobody") is None


def test_refs(uow: SqlUnitOfWorkFactory) -> None:
    first, second = make_artist(name="First"), make_artist(name="Second")
    add_catalog(uow, artists=(first, second, make_artist()))
    with uow(readonly=True) as unit:
        assert unit.artists.refs([]) == {}
        assert unit.artists.refs([second.id, first.id, second.id, new_id()]) == {
            first.id: Ref(first.id, "First"),
            second.id: Ref(second.id, "Second"),
        }


# --- albums -----------------------------------------------------------------------------------


def test_album_round_trips(uow: SqlUnitOfWorkFactory) -> None:
    # Ids sorted backwards, so that only the stored position can give this order back.
    lead, guest = sorted((make_artist(), make_artist()), key=lambda a: a.id, reverse=True)
    full = make_album(
        artist_ids=(lead.id, guest.id),
        name="Ágætis byrjun",
        album_type=AlbumType.COMPILATION,
        release_date=date(1999, 6, 1),
        release_date_precision=DatePrecision.MONTH,
        total_tracks=10,
        label="Smekkleysa",
        upc="0724352573827",
        musicbrainz_id="0b8a4f6e-6d2d-4d3f-9a7a-2f6e9b5c1d11",
        cover_art_path="covers/ab/cd/front.jpg",
        created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=CEST),
    )
    bare = make_album(artist_ids=(), created_at=None)
    add_catalog(uow, artists=(lead, guest), albums=(full, bare))
    with uow(readonly=True) as unit:
        found = unit.albums.get(full.id)
        stamped = unit.albums.get(bare.id)
        assert unit.albums.get(new_id()) is None
    assert found == full
    assert found.artist_ids == (lead.id, guest.id)
    assert found.release_date_text == "1999-06"
    assert stamped is not None
    assert stamped.created_at is not None
    assert stamped.release_date is None
    assert stamped.release_date_precision is None
    assert stamped.artist_ids == ()


def test_list_by_artist_newest_first_undated_last(uow: SqlUnitOfWorkFactory) -> None:
    artist, other = make_artist(), make_artist()
    old = make_album(artist_ids=(artist.id,), name="Old", release_date=date(1990, 1, 1))
    new_b = make_album(artist_ids=(artist.id,), name="B", release_date=date(2020, 1, 1))
    new_a = make_album(artist_ids=(other.id, artist.id), name="A", release_date=date(2020, 1, 1))
    undated = make_album(artist_ids=(artist.id,), name="Undated")
    not_theirs = make_album(artist_ids=(other.id,), release_date=date(2021, 1, 1))
    add_catalog(uow, artists=(artist, other), albums=(undated, old, not_theirs, new_b, new_a))
    with uow(readonly=True) as unit:
        assert list(unit.albums.list_by_artist(artist.id)) == [new_a, new_b, old, undated]
        assert list(unit.albums.list_by_artist(new_id())) == []


def test_album_needs_existing_artists(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as unit, pytest.raises(IntegrityError):
        unit.albums.add(make_album(artist_ids=(new_id(),)))


# --- tracks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "countries",
    [None, frozenset({"SE", "NO", "IS"}), frozenset()],
    ids=["everywhere", "some-countries", "nowhere"],
)
def test_track_round_trips(uow: SqlUnitOfWorkFactory, countries: frozenset[str] | None) -> None:
    _, album = an_album(uow)
    lead, feat, third = sorted((make_artist() for _ in range(3)), key=lambda a: a.id, reverse=True)
    track = make_track(
        album_id=album.id,
        artist_ids=(lead.id, feat.id, third.id),
        title="Svefn-g-englar",
        duration_ms=604_000,
        disc_number=2,
        track_number=3,
        isrc="ISL019900301",
        explicit=True,
        popularity=87,
        genres=("post-rock", "ambient", "dream pop"),
        available_countries=countries,
        musicbrainz_id="5a1b3c4d-0000-4000-8000-000000000001",
        content_hash="f" * 64,
        created_at=datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=CEST),
    )
    add_catalog(uow, artists=(lead, feat, third), tracks=(track,))
    with uow(readonly=True) as unit:
        found = unit.tracks.get(track.id)
        assert unit.tracks.get(new_id()) is None
    assert found == track
    assert found.artist_ids == (lead.id, feat.id, third.id)
    assert found.genres == ("post-rock", "ambient", "dream pop")
    assert found.available_countries == countries
    assert found.created_at is not None
    assert found.created_at.utcoffset() == timedelta(0)


def test_genres_are_shared_between_tracks(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    one = make_track(album_id=album.id, artist_ids=(artist.id,), title="1", genres=("jazz", "soul"))
    two = make_track(
        album_id=album.id, artist_ids=(artist.id,), title="2", genres=("soul", "funk", "jazz")
    )
    add_catalog(uow, tracks=(one,))
    add_catalog(uow, tracks=(two,))  # reuses two genres, adds one
    with uow(readonly=True) as unit:
        assert list(unit.tracks.list_by_album(album.id)) == [one, two]


def test_list_by_album_in_disc_then_track_order(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    _, other_album = an_album(uow)

    def track(disc: int, number: int | None, title: str, album_id: str = album.id) -> Track:
        return make_track(
            album_id=album_id,
            artist_ids=(artist.id,),
            disc_number=disc,
            track_number=number,
            title=title,
        )

    expected = [
        track(1, 1, "One"),
        track(1, 2, "Alpha"),
        track(1, 2, "Beta"),
        track(1, None, "Hidden track"),  # unnumbered ones close their disc
        track(2, 1, "Z"),
    ]
    elsewhere = track(1, 1, "Elsewhere", other_album.id)
    add_catalog(uow, tracks=(elsewhere, *reversed(expected)))
    with uow(readonly=True) as unit:
        assert list(unit.tracks.list_by_album(album.id)) == expected
        assert list(unit.tracks.list_by_album(new_id())) == []


def test_top_by_artist_by_popularity(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    guest = make_artist()
    add_catalog(uow, artists=(guest,))

    def track(title: str, popularity: int, *artist_ids: str) -> Track:
        return make_track(
            album_id=album.id, artist_ids=artist_ids, title=title, popularity=popularity
        )

    hit = track("Hit", 90, artist.id)
    feature = track("Feature", 70, guest.id, artist.id)
    tie_a, tie_b = track("A side", 40, artist.id), track("B side", 40, artist.id)
    deep_cut = track("Deep cut", 5, artist.id)
    guest_only = track("Guest only", 100, guest.id)
    add_catalog(uow, tracks=(deep_cut, tie_b, guest_only, hit, tie_a, feature))
    with uow(readonly=True) as unit:
        assert list(unit.tracks.top_by_artist(artist.id, limit=10)) == [
            hit,
            feature,
            tie_a,
            tie_b,
            deep_cut,
        ]
        assert list(unit.tracks.top_by_artist(artist.id, limit=2)) == [hit, feature]
        assert list(unit.tracks.top_by_artist(guest.id, limit=10)) == [guest_only, feature]
        assert list(unit.tracks.top_by_artist(new_id(), limit=10)) == []


def test_set_popularity(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    track, other = (make_track(album_id=album.id, artist_ids=(artist.id,)) for _ in range(2))
    add_catalog(uow, tracks=(track, other))
    with uow() as unit:
        unit.tracks.set_popularity(track.id, 73)
        unit.commit()
    with uow(readonly=True) as unit:
        found = unit.tracks.get(track.id)
        assert found is not None
        assert found.popularity == 73
        assert unit.tracks.get(other.id) == other


def test_track_needs_an_existing_album(uow: SqlUnitOfWorkFactory) -> None:
    artist, _ = an_album(uow)
    with uow() as unit, pytest.raises(IntegrityError):
        unit.tracks.add(make_track(album_id=new_id(), artist_ids=(artist.id,)))


def test_track_needs_existing_artists(uow: SqlUnitOfWorkFactory) -> None:
    _, album = an_album(uow)
    with uow() as unit, pytest.raises(IntegrityError):
        unit.tracks.add(make_track(album_id=album.id, artist_ids=(new_id(),)))


def test_content_hash_is_unique(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    first = make_track(album_id=album.id, artist_ids=(artist.id,), content_hash="a" * 64)
    add_catalog(uow, tracks=(first,))
    with uow() as unit, pytest.raises(IntegrityError):
        unit.tracks.add(make_track(album_id=album.id, artist_ids=(), content_hash="a" * 64))


# --- renditions -------------------------------------------------------------------------------


def test_renditions_list_in_ladder_order(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    track, other = (make_track(album_id=album.id, artist_ids=(artist.id,)) for _ in range(2))
    add_catalog(uow, tracks=(track, other))
    shuffled = [Quality.LOSSLESS, Quality.PREVIEW, Quality.LOW, Quality.VERY_HIGH, Quality.NORMAL]
    with uow() as unit:
        for quality in shuffled:
            unit.renditions.put(make_rendition(track_id=track.id, quality=quality))
        unit.renditions.put(make_rendition(track_id=other.id, quality=Quality.HIGH))
        unit.commit()
    with uow(readonly=True) as unit:
        found = unit.renditions.list_for_track(track.id)
        assert list(unit.renditions.list_for_track(new_id())) == []
    assert [rendition.quality for rendition in found] == [
        Quality.LOW,
        Quality.NORMAL,
        Quality.VERY_HIGH,
        Quality.LOSSLESS,
        Quality.PREVIEW,
    ]
    lossless = found[3]
    assert lossless.bitrate_kbps is None
    assert lossless.format == "flac"
    assert all(rendition.created_at == NOW for rendition in found)


def test_put_replaces_the_same_quality(uow: SqlUnitOfWorkFactory) -> None:
    artist, album = an_album(uow)
    track = make_track(album_id=album.id, artist_ids=(artist.id,))
    add_catalog(uow, tracks=(track,))
    first = make_rendition(track_id=track.id, quality=Quality.HIGH)
    keep = make_rendition(track_id=track.id, quality=Quality.LOW)
    second = make_rendition(
        track_id=track.id, quality=Quality.HIGH, bitrate_kbps=192, size_bytes=5_000_000
    )
    unstamped = make_rendition(track_id=track.id, quality=Quality.PREVIEW, created_at=None)
    with uow() as unit:
        unit.renditions.put(first)
        unit.renditions.put(keep)
        unit.commit()
    with uow() as unit:
        unit.renditions.put(second)
        unit.renditions.put(unstamped)
        unit.commit()
    with uow(readonly=True) as unit:
        found = list(unit.renditions.list_for_track(track.id))
    assert found[:2] == [keep, second]
    assert found[2].quality is Quality.PREVIEW
    assert found[2].created_at is not None


def test_rendition_needs_an_existing_track(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as unit, pytest.raises(IntegrityError):
        unit.renditions.put(make_rendition(track_id=new_id(), quality=Quality.LOW))
