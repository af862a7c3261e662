"""The catalog: reading artists, albums and tracks, and adding them (import, feeds, tests)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from encore.catalog.model import (
    Album,
    AlbumDetail,
    Artist,
    ArtistDetail,
    Quality,
    Ref,
    Track,
    TrackDetail,
)
from encore.catalog.ports import CatalogUnitOfWork
from encore.countries import COUNTRIES
from encore.errors import InvalidInput, NotFound
from encore.unit_of_work import UnitOfWorkFactory

TOP_TRACKS = 10


@dataclass(frozen=True, slots=True)
class CatalogChange:
    """What changed, so that caches of rendered documents can drop their copies."""

    track_ids: tuple[str, ...] = ()
    album_ids: tuple[str, ...] = ()
    artist_ids: tuple[str, ...] = ()


ChangeListener = Callable[[CatalogChange], None]


class CatalogService:
    def __init__(self, *, uow: UnitOfWorkFactory[CatalogUnitOfWork]) -> None:
        self._uow = uow
        self._listeners: list[ChangeListener] = []

    def on_change(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def changed(self, change: CatalogChange) -> None:
        """Tell every listener of a change made elsewhere (an import)."""
        self._notify(change)

    # --- reads ---------------------------------------------------------------------------------

    def get_track(self, track_id: str) -> TrackDetail:
        with self._uow(readonly=True) as uow:
            track = uow.tracks.get(track_id)
            if track is None:
                raise NotFound("No such track", track_id=track_id)
            return _details(uow, [track])[0]

    def get_tracks(self, track_ids: Sequence[str]) -> dict[str, TrackDetail]:
        """Details of those of the tracks that exist, by id."""
        if not track_ids:
            return {}
        with self._uow(readonly=True) as uow:
            found = uow.tracks.get_many(set(track_ids))
            return {d.track.id: d for d in _details(uow, list(found.values()))}

    def get_album(self, album_id: str) -> AlbumDetail:
        with self._uow(readonly=True) as uow:
            album = uow.albums.get(album_id)
            if album is None:
                raise NotFound("No such album", album_id=album_id)
            tracks = uow.tracks.list_by_album(album_id)
            refs = uow.artists.refs(album.artist_ids)
            return AlbumDetail(
                album=album,
                artists=tuple(refs[a] for a in album.artist_ids if a in refs),
                tracks=tuple(_details(uow, tracks, albums={album.id: album})),
                genres=_genres_of(tracks),
            )

    def cover_key(self, album_id: str) -> str | None:
        """The media key of an album's cover art; None when it has none."""
        with self._uow(readonly=True) as uow:
            album = uow.albums.get(album_id)
            if album is None:
                raise NotFound("No such album", album_id=album_id)
            return album.cover_art_path

    def get_artist(self, artist_id: str) -> ArtistDetail:
        with self._uow(readonly=True) as uow:
            artist = uow.artists.get(artist_id)
            if artist is None:
                raise NotFound("No such artist", artist_id=artist_id)
            top = uow.tracks.top_by_artist(artist_id, limit=TOP_TRACKS)
            return ArtistDetail(
                artist=artist,
                albums=tuple(uow.albums.list_by_artist(artist_id)),
                top_tracks=tuple(_details(uow, top)),
                genres=_genres_of(top),
            )

    # --- writes --------------------------------------------------------------------------------

    def add_artist(self, artist: Artist) -> Artist:
        if not artist.name.strip():
            raise InvalidInput("An artist needs a name")
        with self._uow() as uow:
            uow.artists.add(artist)
            uow.commit()
        return artist

    def add_album(self, album: Album) -> Album:
        if not album.name.strip():
            raise InvalidInput("An album needs a name")
        with self._uow() as uow:
            _require_artists(uow, album.artist_ids)
            uow.albums.add(album)
            uow.commit()
        self._notify(CatalogChange(album_ids=(album.id,), artist_ids=album.artist_ids))
        return album

    def add_track(self, track: Track) -> Track:
        _check_track(track)
        with self._uow() as uow:
            if uow.albums.get(track.album_id) is None:
                raise NotFound("No such album", album_id=track.album_id)
            _require_artists(uow, track.artist_ids)
            uow.tracks.add(track)
            uow.commit()
        self._notify(
            CatalogChange(
                track_ids=(track.id,), album_ids=(track.album_id,), artist_ids=track.artist_ids
            )
        )
        return track

    def set_popularity(self, track_id: str, popularity: int) -> None:
        if not 0 <= popularity <= 100:
            raise InvalidInput("Popularity runs from 0 to 100")
        with self._uow() as uow:
            track = uow.tracks.get(track_id)
            if track is None:
                raise NotFound("No such track", track_id=track_id)
            uow.tracks.set_popularity(track_id, popularity)
            uow.commit()
        self._notify(
            CatalogChange(
                track_ids=(track_id,), album_ids=(track.album_id,), artist_ids=track.artist_ids
            )
        )

    def _notify(self, change: CatalogChange) -> None:
        for listener in self._listeners:
            listener(change)


def _details(
    uow: CatalogUnitOfWork, tracks: Sequence[Track], albums: dict[str, Album] | None = None
) -> list[TrackDetail]:
    albums = dict(albums or {})
    for album_id in {t.album_id for t in tracks} - albums.keys():
        album = uow.albums.get(album_id)
        if album is not None:
            albums[album_id] = album
    refs = uow.artists.refs([a for t in tracks for a in t.artist_ids])
    audio = uow.renditions.paths_by_track([t.id for t in tracks])
    details = []
    for track in tracks:
        album = albums[track.album_id]
        paths = audio.get(track.id, {})
        details.append(
            TrackDetail(
                track=track,
                artists=tuple(refs[a] for a in track.artist_ids if a in refs),
                album=Ref(album.id, album.name),
                cover_art_path=album.cover_art_path,
                qualities=tuple(q for q in Quality if q in paths and q is not Quality.PREVIEW),
                preview_path=paths.get(Quality.PREVIEW),
            )
        )
    return details


def _genres_of(tracks: Sequence[Track]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(genre for track in tracks for genre in track.genres))


def _require_artists(uow: CatalogUnitOfWork, artist_ids: Sequence[str]) -> None:
    if not artist_ids:
        raise InvalidInput("At least one artist is needed")
    missing = set(artist_ids) - uow.artists.refs(artist_ids).keys()
    if missing:
        raise NotFound("No such artist", artist_ids=sorted(missing))


def _check_track(track: Track) -> None:
    if not track.title.strip():
        raise InvalidInput("A track needs a title")
    if track.duration_ms < 0:
        raise InvalidInput("A duration is never negative")
    if not 0 <= track.popularity <= 100:
        raise InvalidInput("Popularity runs from 0 to 100")
    if track.available_countries is not None and not track.available_countries <= COUNTRIES:
        unknown = sorted(track.available_countries - COUNTRIES)
        raise InvalidInput("Unknown country codes in the licence", countries=unknown)
