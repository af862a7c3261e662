"""Browsing methods: folders, indexes, artists, albums, songs, genres, lists, search, similar."""

import unicodedata
from collections.abc import Callable
from itertools import groupby

from encore.search.model import Kind, SearchQuery
from encore.search.service import MAX_LIMIT, MAX_OFFSET
from encore.subsonic.facade import Caller, Subsonic
from encore.subsonic.model import AlbumOrder, ItemKind, YearSpan
from encore.subsonic.protocol import (
    MAX_INT,
    ErrorCode,
    Node,
    Params,
    SubsonicError,
    missing,
    node,
    not_found,
)

Method = Callable[[Subsonic, Caller, Params], Node | None]
MUSIC_FOLDER_ID = 1
MAX_LIST = 500  # most items of a list per request, as the reference server
IGNORED_ARTICLES = "The El La Los Las Le Les"
_EVERYTHING = ("", '""', "*")


def get_music_folders(s: Subsonic, caller: Caller, params: Params) -> Node:
    folders = node("musicFolders")
    folders.many("musicFolder", [node("musicFolder", id=MUSIC_FOLDER_ID, name="Encore")])
    return folders


def _indexed(s: Subsonic, caller: Caller, name: str) -> Node:
    entries = s.browsing.artists(limit=MAX_INT, offset=0)
    answer = node(name, ignoredArticles=IGNORED_ARTICLES, lastModified=0)
    artists = s.artists(caller, entries)
    keyed = sorted(
        zip(entries, artists, strict=True), key=lambda pair: _index_key(pair[0].artist.sort_name)
    )
    answer.many(
        "index",
        (
            _index(letter, [artist for _, artist in group])
            for letter, group in groupby(
                keyed, key=lambda pair: _index_key(pair[0].artist.sort_name)
            )
        ),
    )
    return answer


def _index(letter: str, artists: list[Node]) -> Node:
    element = node("index", name=letter)
    element.many("artist", artists)
    return element


def _index_key(sort_name: str) -> str:
    first = unicodedata.normalize("NFKD", sort_name.strip()[:1]).upper()[:1]
    return first if first.isalpha() else "#"


def get_artists(s: Subsonic, caller: Caller, params: Params) -> Node:
    return _indexed(s, caller, "artists")


def get_indexes(s: Subsonic, caller: Caller, params: Params) -> Node:
    return _indexed(s, caller, "indexes")


def get_artist(s: Subsonic, caller: Caller, params: Params) -> Node:
    artist_id = params.required("id")
    found = s.artist_ids(caller, [artist_id])
    if not found:
        raise not_found("Artist")
    element = found[0]
    element.many("album", s.albums(caller, s.browsing.albums_by_artist(artist_id)))
    return element


def get_artist_info2(s: Subsonic, caller: Caller, params: Params) -> Node:
    artist_id = params.required("id")
    count = params.integer("count", 20, most=MAX_LIST)
    entries = s.browsing.artist_entries([artist_id])
    if artist_id not in entries:
        raise not_found("Artist")
    info = node("artistInfo2", musicBrainzId=entries[artist_id].artist.musicbrainz_id)
    similar_tracks = s.similar.similar_to_artist(artist_id, limit=count * 3)
    details = s.track_details(similar_tracks)
    others = dict.fromkeys(
        ref.id
        for track_id in similar_tracks
        if track_id in details
        for ref in details[track_id].artists
        if ref.id != artist_id
    )
    similar = s.artist_ids(caller, list(others)[:count])
    for element in similar:
        element.name = "similarArtist"
    info.many("similarArtist", similar)
    return info


def get_album(s: Subsonic, caller: Caller, params: Params) -> Node:
    album_id = params.required("id")
    found = s.album_ids(caller, [album_id])
    if not found:
        raise not_found("Album")
    element = found[0]
    element.many("song", s.song_nodes(caller, s.catalog.get_album(album_id).tracks))
    return element


def get_album_info2(s: Subsonic, caller: Caller, params: Params) -> Node:
    album_id = params.required("id")
    entries = s.browsing.album_entries([album_id])
    if album_id not in entries:
        raise not_found("Album")
    return node("albumInfo", musicBrainzId=entries[album_id].album.musicbrainz_id)


def get_song(s: Subsonic, caller: Caller, params: Params) -> Node:
    found = s.songs(caller, [params.required("id")])
    if not found:
        raise not_found("Song")
    return found[0]


def get_genres(s: Subsonic, caller: Caller, params: Params) -> Node:
    answer = node("genres")
    genres = []
    for genre in s.browsing.genres():
        element = node("genre", songCount=genre.song_count, albumCount=genre.album_count)
        element.value = genre.name
        genres.append(element)
    answer.many("genre", genres)
    return answer


def get_songs_by_genre(s: Subsonic, caller: Caller, params: Params) -> Node:
    genre = params.required("genre")
    count = params.integer("count", 10, most=MAX_LIST)
    offset = params.integer("offset", 0)
    ids = s.browsing.track_ids(limit=count, offset=offset, genre=genre)
    answer = node("songsByGenre")
    answer.many("song", s.songs(caller, ids))
    return answer


def get_random_songs(s: Subsonic, caller: Caller, params: Params) -> Node:
    size = params.integer("size", 10, most=MAX_LIST)
    ids = s.browsing.track_ids(
        limit=size, offset=0, genre=params.get("genre") or None, years=_years(params), random=True
    )
    answer = node("randomSongs")
    answer.many("song", s.songs(caller, ids))
    return answer


def _years(params: Params, *, required: bool = False) -> YearSpan | None:
    if "fromYear" not in params and "toYear" not in params and not required:
        return None
    if required and "fromYear" not in params:
        raise missing("fromYear")
    if required and "toYear" not in params:
        raise missing("toYear")
    first = params.integer("fromYear", 1, least=1, most=9999)
    last = params.integer("toYear", 9999, least=1, most=9999)
    return YearSpan(first, last)


def get_album_list2(s: Subsonic, caller: Caller, params: Params) -> Node:
    kind = params.required("type")
    try:
        order = AlbumOrder(kind)
    except ValueError:
        raise SubsonicError(ErrorCode.GENERIC, f"Unknown album list type {kind[:40]!r}") from None
    genre = params.required("genre") if order is AlbumOrder.BY_GENRE else None
    years = _years(params, required=True) if order is AlbumOrder.BY_YEAR else None
    entries = s.browsing.album_list(
        order,
        limit=params.integer("size", 10, most=MAX_LIST),
        offset=params.integer("offset", 0),
        user_id=caller.user_id,
        genre=genre,
        years=years,
    )
    answer = node("albumList2")
    answer.many("album", s.albums(caller, entries))
    return answer


def search3(s: Subsonic, caller: Caller, params: Params) -> Node:
    """An empty query lists everything, page by page: that is how clients sync a library."""
    text = params.get("query") or ""
    pages = {
        kind: (
            params.integer(f"{name}Count", 20, most=MAX_LIST),
            params.integer(f"{name}Offset", 0),
        )
        for kind, name in ((Kind.ARTIST, "artist"), (Kind.ALBUM, "album"), (Kind.TRACK, "song"))
    }
    answer = node("searchResult3")
    if text.strip() in _EVERYTHING:
        (artists, artist_from), (albums, album_from), (songs, song_from) = pages.values()
        artist_entries = s.browsing.artists(limit=artists, offset=artist_from) if artists else []
        album_entries = s.browsing.album_page(limit=albums, offset=album_from) if albums else []
        track_ids = s.browsing.track_ids(limit=songs, offset=song_from, keyed=True) if songs else []
        answer.many("artist", s.artists(caller, artist_entries))
        answer.many("album", s.albums(caller, album_entries))
        answer.many("song", s.songs(caller, track_ids))
        return answer
    found = {kind: _search(s, caller, text, kind, *page) for kind, page in pages.items()}
    answer.many("artist", s.artist_ids(caller, found[Kind.ARTIST]))
    answer.many("album", s.album_ids(caller, found[Kind.ALBUM]))
    answer.many("song", s.songs(caller, found[Kind.TRACK]))
    return answer


def _search(
    s: Subsonic, caller: Caller, text: str, kind: Kind, count: int, offset: int
) -> list[str]:
    # The search service answers at most MAX_LIMIT a page, up to MAX_OFFSET deep: a client
    # paging further gets fewer, then none, which ends its paging as the protocol expects.
    if count == 0 or offset > MAX_OFFSET:
        return []
    query = SearchQuery(
        text=text[:500],
        kinds=(kind,),
        limit=min(count, MAX_LIMIT),
        offset=offset,
        viewer_id=caller.user_id,
    )
    page = s.search.search(query).pages.get(kind)
    return [item.id for item in page.items] if page else []


def get_top_songs(s: Subsonic, caller: Caller, params: Params) -> Node:
    artist_id = s.browsing.artist_id_by_name(params.required("artist"))
    count = params.integer("count", 50, most=MAX_LIST)
    answer = node("topSongs")
    if artist_id is not None:
        answer.many("song", s.songs(caller, s.browsing.top_track_ids(artist_id, limit=count)))
    return answer


def get_similar_songs2(s: Subsonic, caller: Caller, params: Params) -> Node:
    seed = params.required("id")
    count = params.integer("count", 50, most=MAX_LIST)
    kind = s.kinds_of([seed])[seed]
    if kind is ItemKind.ARTIST:
        ids = s.similar.similar_to_artist(seed, limit=count)
    elif kind is ItemKind.TRACK:
        ids = s.similar.similar_to_track(seed, limit=count)
    else:
        raise not_found("Artist")
    answer = node("similarSongs2")
    answer.many("song", s.songs(caller, list(ids)))
    return answer


METHODS: dict[str, Method] = {
    "getMusicFolders": get_music_folders,
    "getIndexes": get_indexes,
    "getArtists": get_artists,
    "getArtist": get_artist,
    "getArtistInfo2": get_artist_info2,
    "getAlbum": get_album,
    "getAlbumInfo2": get_album_info2,
    "getSong": get_song,
    "getGenres": get_genres,
    "getSongsByGenre": get_songs_by_genre,
    "getRandomSongs": get_random_songs,
    "getAlbumList2": get_album_list2,
    "search3": search3,
    "getTopSongs": get_top_songs,
    "getSimilarSongs2": get_similar_songs2,
}
