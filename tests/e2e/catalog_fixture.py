"""A few tracks in an e2e instance's catalog, for tests that play or collect them."""

from datetime import date

from encore.bootstrap import Services
from encore.catalog.model import Quality
from tests.builders import make_album, make_artist, make_rendition, make_track


def add_tracks(
    services: Services,
    count: int,
    *,
    genre: str = "rock",
    audio: bool = False,
    artist_name: str | None = None,
    released: date | None = None,
    countries: frozenset[str] | None = None,
) -> list[str]:
    """`count` tracks of one new artist's one new album. `audio`: each track gets a rendition
    row (no file behind it: for tests that recommend the tracks, which leave out tracks without
    audio, and do not stream them); `countries`: licensed only there."""
    artist = services.catalog.add_artist(make_artist(name=artist_name or f"Artist {genre}"))
    album = services.catalog.add_album(
        make_album(
            artist_ids=(artist.id,), cover_art_path="covers/ab/cover.jpg", release_date=released
        )
    )
    ids = [
        services.catalog.add_track(
            make_track(
                album_id=album.id,
                artist_ids=(artist.id,),
                title=f"Song {n}",
                genres=(genre,),
                duration_ms=200_000,
                available_countries=countries,
            )
        ).id
        for n in range(count)
    ]
    if audio:
        with services.uow() as uow:
            for track_id in ids:
                uow.renditions.put(make_rendition(track_id=track_id, quality=Quality.NORMAL))
            uow.commit()
    return ids
