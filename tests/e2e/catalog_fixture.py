"""A few tracks in an e2e instance's catalog, for tests that play or collect them."""

from encore.bootstrap import Services
from tests.builders import make_album, make_artist, make_track


def add_tracks(services: Services, count: int, *, genre: str = "rock") -> list[str]:
    artist = services.catalog.add_artist(make_artist(name=f"Artist {genre}"))
    album = services.catalog.add_album(
        make_album(artist_ids=(artist.id,), cover_art_path="covers/ab/cover.jpg")
    )
    return [
        services.catalog.add_track(
            make_track(
                album_id=album.id,
                artist_ids=(artist.id,),
                title=f"Song {n}",
                genres=(genre,),
                duration_ms=200_000,
            )
        ).id
        for n in range(count)
    ]
