"""The Subsonic facade's SQL: lists over the catalog, marks and credentials, on SQLite and
PostgreSQL alike."""

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from encore.adapters.sql.browsing import SqlBrowsing, SqlSimilarTracks
from encore.adapters.sql.subsonic_marks import SqlCredentialStore, SqlMarks
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.model import DatePrecision
from encore.subsonic.model import AlbumOrder, Credential, ItemKind, YearSpan
from tests.builders import NOW, make_album, make_artist, make_listen, make_track, make_user


@pytest.fixture
def catalog(engine: Engine) -> dict[str, str]:
    uow = SqlUnitOfWorkFactory(engine)
    user = make_user()
    abba, beck = (
        make_artist(name="ABBA", sort_name="ABBA"),
        make_artist(name="Beck", sort_name="Beck"),
    )
    old = make_album(
        name="Arrival",
        artist_ids=(abba.id,),
        release_date=date(1976, 10, 11),
        release_date_precision=DatePrecision.DAY,
        created_at=NOW,
    )
    new = make_album(
        name="Odelay",
        artist_ids=(beck.id,),
        release_date=date(1996, 6, 18),
        release_date_precision=DatePrecision.DAY,
        created_at=NOW + timedelta(days=1),
    )
    dancing = make_track(
        album_id=old.id,
        artist_ids=(abba.id,),
        title="Dancing Queen",
        genres=("pop",),
        popularity=90,
    )
    money = make_track(
        album_id=old.id, artist_ids=(abba.id,), title="Money", genres=("pop",), popularity=40
    )
    loser = make_track(
        album_id=new.id,
        artist_ids=(beck.id,),
        title="Where It's At",
        genres=("pop", "rock"),
        popularity=70,
    )
    with uow() as work:
        work.users.add(user)
        for artist in (abba, beck):
            work.artists.add(artist)
        for album in (old, new):
            work.albums.add(album)
        for track in (dancing, money, loser):
            work.tracks.add(track)
        work.history.add([make_listen(user_id=user.id, track_id=loser.id, listened_at=NOW)])
        work.commit()
    return {
        "user": user.id,
        "abba": abba.id,
        "beck": beck.id,
        "old": old.id,
        "new": new.id,
        "dancing": dancing.id,
        "money": money.id,
        "loser": loser.id,
    }


def test_lists_over_the_catalog(engine: Engine, catalog: dict[str, str]) -> None:
    browsing = SqlBrowsing(engine)
    user = catalog["user"]
    assert [e.artist.name for e in browsing.artists(limit=10, offset=0)] == ["ABBA", "Beck"]
    assert [e.album_count for e in browsing.artists(limit=10, offset=1)] == [1]

    def listed(order: AlbumOrder, **extra: object) -> list[str]:
        found = browsing.album_list(order, limit=10, offset=0, user_id=user, **extra)  # type: ignore[arg-type]
        return [e.album.name for e in found]

    assert listed(AlbumOrder.BY_NAME) == ["Arrival", "Odelay"]
    assert listed(AlbumOrder.NEWEST) == ["Odelay", "Arrival"]
    assert listed(AlbumOrder.BY_ARTIST) == ["Arrival", "Odelay"]
    assert listed(AlbumOrder.BY_YEAR, years=YearSpan(2000, 1970)) == ["Odelay", "Arrival"]
    assert listed(AlbumOrder.BY_YEAR, years=YearSpan(1990, 1999)) == ["Odelay"]
    assert listed(AlbumOrder.BY_GENRE, genre="ROCK") == ["Odelay"]
    assert listed(AlbumOrder.RECENT) == ["Odelay"]
    assert listed(AlbumOrder.FREQUENT) == []
    assert sorted(listed(AlbumOrder.RANDOM)) == ["Arrival", "Odelay"]
    marks = SqlMarks(engine)
    marks.star_albums(user, [catalog["old"]], NOW)
    marks.star_albums(user, [catalog["old"]], NOW)
    assert listed(AlbumOrder.STARRED) == ["Arrival"]
    marks.set_rating(user, ItemKind.ALBUM, catalog["new"], 5, NOW)
    assert listed(AlbumOrder.HIGHEST) == ["Odelay"]
    entry = browsing.album_entries([catalog["old"]])[catalog["old"]]
    assert (entry.song_count, entry.genre, [a.name for a in entry.artists]) == (2, "pop", ["ABBA"])
    genres = {g.name: (g.song_count, g.album_count) for g in browsing.genres()}
    assert genres == {"pop": (3, 2), "rock": (1, 1)}
    assert len(browsing.track_ids(limit=10, offset=0, genre="pop")) == 3
    assert browsing.track_ids(limit=10, offset=0, years=YearSpan(1990, 1999)) == [catalog["loser"]]
    assert browsing.top_track_ids(catalog["abba"], limit=1) == [catalog["dancing"]]
    assert browsing.kinds([catalog["abba"], catalog["old"], catalog["money"], "nope"]) == {
        catalog["abba"]: ItemKind.ARTIST,
        catalog["old"]: ItemKind.ALBUM,
        catalog["money"]: ItemKind.TRACK,
    }
    assert browsing.artist_id_by_name("Beck") == catalog["beck"]
    similar = SqlSimilarTracks(engine)
    assert similar.similar_to_artist(catalog["abba"], limit=3)[0] == catalog["loser"]
    assert catalog["money"] not in similar.similar_to_track(catalog["money"], limit=5)


def test_marks_and_credentials(engine: Engine, catalog: dict[str, str]) -> None:
    marks = SqlMarks(engine)
    user = catalog["user"]
    marks.set_rating(user, ItemKind.TRACK, catalog["money"], 3, NOW)
    marks.set_rating(user, ItemKind.TRACK, catalog["money"], 4, NOW)
    assert marks.ratings(user, [catalog["money"], catalog["dancing"]]) == {catalog["money"]: 4}
    marks.set_rating(user, ItemKind.TRACK, catalog["money"], 0, NOW)
    assert marks.ratings(user, [catalog["money"]]) == {}
    marks.star_albums(user, [catalog["new"]], NOW)
    marks.unstar_albums(user, [catalog["new"]])
    assert marks.starred_albums(user, None) == {}
    store = SqlCredentialStore(engine)
    first = Credential(user, "ada@example.com", "sealed", "a" * 64, NOW)
    store.put(first)
    store.put(Credential(user, "ada@example.com", "sealed2", "b" * 64, NOW))
    assert store.get_by_api_key_hash("a" * 64) is None
    assert store.get_by_username("ada@example.com").sealed_password == "sealed2"  # type: ignore[union-attr]
    assert store.delete(user) is not None
    assert store.get(user) is None and store.delete(user) is None
