"""Putting built domain objects into a SQL unit of work, for the repository contract tests."""

from encore.accounts.model import User
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.model import Album, Artist, Track
from tests.builders import make_album, make_artist


def add_users(uow: SqlUnitOfWorkFactory, *users: User) -> None:
    with uow() as unit:
        for user in users:
            unit.users.add(user)
        unit.commit()


def add_catalog(
    uow: SqlUnitOfWorkFactory,
    *,
    artists: tuple[Artist, ...] = (),
    albums: tuple[Album, ...] = (),
    tracks: tuple[Track, ...] = (),
) -> None:
    with uow() as unit:
        for artist in artists:
            unit.artists.add(artist)
        for album in albums:
            unit.albums.add(album)
        for track in tracks:
            unit.tracks.add(track)
        unit.commit()


def an_album(uow: SqlUnitOfWorkFactory) -> tuple[Artist, Album]:
    artist = make_artist()
    album = make_album(artist_ids=(artist.id,))
    add_catalog(uow, artists=(artist,), albums=(album,))
    return artist, album
