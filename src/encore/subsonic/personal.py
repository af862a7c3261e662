"""A listener's own methods: stars, ratings, playlists, scrobbles, now playing, their user."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from encore.catalog.audio import LADDER
from encore.catalog.model import TrackDetail
from encore.errors import NotFound
from encore.history.model import EventType, PlayerEvent
from encore.library.model import MAX_TRACKS, MAX_TRACKS_PER_REQUEST
from encore.library.service import MAX_IDS, PlaylistView
from encore.streaming.model import best_quality
from encore.subsonic import views
from encore.subsonic.browse import MUSIC_FOLDER_ID, Method
from encore.subsonic.facade import Caller, Subsonic
from encore.subsonic.model import ItemKind
from encore.subsonic.protocol import ErrorCode, Node, Params, SubsonicError, node, not_found

# Listeners `getNowPlaying` shows at most.
NOW_PLAYING_ENTRIES = 100

_RATINGS = range(0, 6)
PAGE = 100  # tracks per read of a playlist


def _chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    listed = list(dict.fromkeys(ids))
    return [listed[start : start + size] for start in range(0, len(listed), size)]


def _targets(s: Subsonic, params: Params) -> dict[ItemKind, list[str]]:
    """`id` (any kind, as older clients send), `albumId` and `artistId`, checked to exist."""
    kinds = s.kinds_of(params.all("id"))
    by_kind: dict[ItemKind, list[str]] = {kind: [] for kind in ItemKind}
    for item_id in params.all("id"):
        by_kind[kinds[item_id]].append(item_id)
    for name, kind in (("albumId", ItemKind.ALBUM), ("artistId", ItemKind.ARTIST)):
        named = params.all(name)
        found = s.kinds_of(named)
        if any(found[i] is not kind for i in named):
            raise not_found(kind.value.capitalize())
        by_kind[kind].extend(named)
    if not any(by_kind.values()):
        raise SubsonicError(ErrorCode.MISSING_PARAMETER, "Required parameter 'id' is missing")
    return by_kind


def star(s: Subsonic, caller: Caller, params: Params) -> None:
    targets = _targets(s, params)
    for part in _chunks(targets[ItemKind.TRACK], MAX_IDS):
        s.library.like(user_id=caller.user_id, track_ids=part)
    for part in _chunks(targets[ItemKind.ARTIST], MAX_IDS):
        s.library.follow_artists(user_id=caller.user_id, artist_ids=part)
    if targets[ItemKind.ALBUM]:
        s.marks.star_albums(caller.user_id, targets[ItemKind.ALBUM], s.clock())


def unstar(s: Subsonic, caller: Caller, params: Params) -> None:
    targets = _targets(s, params)
    for part in _chunks(targets[ItemKind.TRACK], MAX_IDS):
        s.library.unlike(user_id=caller.user_id, track_ids=part)
    for part in _chunks(targets[ItemKind.ARTIST], MAX_IDS):
        s.library.unfollow_artists(user_id=caller.user_id, artist_ids=part)
    if targets[ItemKind.ALBUM]:
        s.marks.unstar_albums(caller.user_id, targets[ItemKind.ALBUM])


def set_rating(s: Subsonic, caller: Caller, params: Params) -> None:
    target = params.required("id")
    rating = params.required_integer("rating", most=99)
    if rating not in _RATINGS:
        raise SubsonicError(ErrorCode.GENERIC, "A rating runs from 0 (none) to 5")
    kind = s.kinds_of([target])[target]
    s.marks.set_rating(caller.user_id, kind, target, rating, s.clock())


def get_starred2(s: Subsonic, caller: Caller, params: Params) -> Node:
    answer = node("starred2")
    artists = s.marks.followed_artists(caller.user_id, None)
    albums = s.marks.starred_albums(caller.user_id, None)
    tracks = s.marks.liked(caller.user_id, None)
    answer.many("artist", s.artist_ids(caller, list(artists)))
    answer.many("album", s.album_ids(caller, list(albums)))
    answer.many("song", s.songs(caller, list(tracks)))
    return answer


# --- playlists ---------------------------------------------------------------------------------


def _whole(s: Subsonic, caller: Caller, playlist_id: str) -> tuple[PlaylistView, list[TrackDetail]]:
    """The playlist and all its tracks, read a page at a time as the library hands them out."""
    view = s.library.get(viewer_id=caller.user_id, playlist_id=playlist_id, limit=PAGE)
    details = [view.tracks[e.track_id] for e in view.entries if e.track_id in view.tracks]
    for offset in range(PAGE, view.total, PAGE):
        page = s.library.get(
            viewer_id=caller.user_id, playlist_id=playlist_id, limit=PAGE, offset=offset
        )
        details += [page.tracks[e.track_id] for e in page.entries if e.track_id in page.tracks]
    return view, details


def _playlist(s: Subsonic, caller: Caller, playlist_id: str, *, with_entries: bool) -> Node:
    view, details = _whole(s, caller, playlist_id)
    owner_id = view.playlist.owner_id
    if owner_id == caller.user_id:
        owner = caller.username
    elif owner_id is None:
        owner = "Encore"
    else:
        owner = s.accounts.get_account(owner_id).user.display_name
    cover = details[0].track.album_id if details and details[0].cover_art_path else None
    element = views.playlist(
        view.playlist, owner=owner, tracks=details, total=view.total, cover=cover
    )
    if with_entries:
        element.many("entry", s.song_nodes(caller, details, name="entry"))
    return element


def get_playlists(s: Subsonic, caller: Caller, params: Params) -> Node:
    asked = params.get("username")
    if asked and asked.lower() != caller.username.lower():
        raise SubsonicError(ErrorCode.NOT_AUTHORIZED, "Only your own playlists are listed")
    playlists, _ = s.library.playlists_of(user_id=caller.user_id, limit=1000, offset=0)
    answer = node("playlists")
    answer.many("playlist", [_playlist(s, caller, p.id, with_entries=False) for p in playlists])
    return answer


def get_playlist(s: Subsonic, caller: Caller, params: Params) -> Node:
    return _playlist(s, caller, params.required("id"), with_entries=True)


def create_playlist(s: Subsonic, caller: Caller, params: Params) -> Node:
    """With `playlistId`, replaces that playlist's songs; otherwise makes one named `name`."""
    songs = params.all("songId")
    playlist_id = params.get("playlistId")
    if playlist_id:
        _, details = _whole(s, caller, playlist_id)
        present = [detail.track.id for detail in details]
        for part in _chunks(present, MAX_TRACKS_PER_REQUEST):
            s.library.remove_tracks(user_id=caller.user_id, playlist_id=playlist_id, track_ids=part)
    else:
        name = params.required("name")
        playlist_id = s.library.create(owner_id=caller.user_id, name=name, public=False).id
    _add(s, caller, playlist_id, songs)
    return _playlist(s, caller, playlist_id, with_entries=True)


def _add(s: Subsonic, caller: Caller, playlist_id: str, songs: Sequence[str]) -> None:
    for start in range(0, len(songs), MAX_TRACKS_PER_REQUEST):
        part = list(songs[start : start + MAX_TRACKS_PER_REQUEST])
        s.library.add_tracks(user_id=caller.user_id, playlist_id=playlist_id, track_ids=part)


def update_playlist(s: Subsonic, caller: Caller, params: Params) -> None:
    playlist_id = params.required("playlistId")
    name, comment = params.get("name"), params.get("comment")
    public = params.boolean("public", False) if "public" in params else None
    if name is not None or comment is not None or public is not None:
        s.library.update_details(
            user_id=caller.user_id,
            playlist_id=playlist_id,
            name=name,
            description=comment,
            public=public,
        )
    positions = params.integers("songIndexToRemove", most=MAX_TRACKS)
    for start in range(0, len(positions), MAX_TRACKS_PER_REQUEST):
        # Later positions first, so that each batch leaves the earlier ones where they were.
        part = sorted(set(positions), reverse=True)[start : start + MAX_TRACKS_PER_REQUEST]
        s.library.remove_at(user_id=caller.user_id, playlist_id=playlist_id, positions=part)
    _add(s, caller, playlist_id, params.all("songIdToAdd"))


def delete_playlist(s: Subsonic, caller: Caller, params: Params) -> None:
    s.library.delete(user_id=caller.user_id, playlist_id=params.required("id"))


# --- listening ---------------------------------------------------------------------------------


def scrobble(s: Subsonic, caller: Caller, params: Params) -> None:
    """`submission=false` says what is playing now; otherwise each `id` (at its `time`, in ms
    since the epoch, when given) was played to its end. A scrobble sent twice counts once."""
    ids = params.all("id")
    if not ids:
        raise SubsonicError(ErrorCode.MISSING_PARAMETER, "Required parameter 'id' is missing")
    submission = params.boolean("submission", True)
    times = params.integers("time", most=2**53)
    if times and len(times) != len(ids):
        raise SubsonicError(ErrorCode.GENERIC, "Give one 'time' for each 'id', or none")
    details = s.catalog.get_tracks(ids)
    unknown = [i for i in ids if i not in details]
    if unknown:
        raise not_found(f"Song {unknown[0]!r}")
    if not submission:
        s.listening.set_now_playing(user_id=caller.user_id, track_id=ids[-1], device=caller.client)
        return
    now = s.clock()
    events = []
    for position, track_id in enumerate(ids):
        started = (
            datetime.fromtimestamp(times[position] / 1000, UTC)
            if times
            else now - timedelta(milliseconds=details[track_id].track.duration_ms)
        )
        length = details[track_id].track.duration_ms
        events.append(
            PlayerEvent(
                client_id=f"subsonic:{track_id}:{int(started.timestamp() * 1000)}",
                type=EventType.PLAY_ENDED,
                track_id=track_id,
                # Clients send when the play began, or when they scrobble: a play does not end
                # in the future either way.
                timestamp=min(started + timedelta(milliseconds=length), now),
                duration_played_ms=length,
                completed=True,
                device=caller.client[:100] or None,
            )
        )
    statuses = s.listening.record(user_id=caller.user_id, events=events)
    refused = [status for status in statuses if status.status.value == "rejected"]
    if refused:
        raise SubsonicError(ErrorCode.GENERIC, f"Scrobble refused: {refused[0].reason}")


def get_now_playing(s: Subsonic, caller: Caller, params: Params) -> Node:
    """What the server's listeners play now, latest first, as Subsonic servers show it; named by
    their display names, never by the e-mail addresses they sign in with. An operator who would
    rather keep listening private sets `subsonic_now_playing = "own"`: each sees only their own."""
    answer = node("nowPlaying")
    if s.now_playing_everyone:
        playing = s.listening.playing_now(limit=NOW_PLAYING_ENTRIES)
    else:
        own = s.listening.now_playing(user_id=caller.user_id)
        playing = [] if own is None else [(caller.user_id, own)]
    details = s.track_details([p.track_id for _, p in playing])
    shown = [(user_id, p) for user_id, p in playing if p.track_id in details]
    songs = s.song_nodes(caller, [details[p.track_id] for _, p in shown], name="entry")
    now = s.clock()
    for (user_id, p), entry in zip(shown, songs, strict=True):
        entry.attrs.update(
            username=_listener_name(s, caller, user_id),
            minutesAgo=max(0, int((now - p.updated_at).total_seconds() // 60)),
            playerId=0,
            playerName=p.device or "",
        )
    answer.many("entry", songs)
    return answer


def _listener_name(s: Subsonic, caller: Caller, user_id: str) -> str:
    if user_id == caller.user_id:
        return caller.username
    try:
        return s.accounts.get_account(user_id).user.display_name
    except NotFound:  # the account went since it played
        return ""


# --- the listener and the server ---------------------------------------------------------------


def get_user(s: Subsonic, caller: Caller, params: Params) -> Node:
    asked = params.required("username")
    account = s.accounts.get_account(caller.user_id)
    if asked.lower() != caller.username.lower():
        raise SubsonicError(ErrorCode.NOT_AUTHORIZED, "You can only see your own user")
    best = best_quality(account.effective_plan, max_kbps=None, lossless=False)
    ceiling = next(spec.bitrate_kbps for spec in LADDER if spec.quality is best)
    user = node(
        "user",
        username=caller.username,
        email=account.user.email,
        scrobblingEnabled=True,
        maxBitRate=ceiling,
        adminRole=account.user.is_admin,
        settingsRole=False,
        downloadRole=True,
        uploadRole=False,
        playlistRole=True,
        coverArtRole=False,
        commentRole=False,
        podcastRole=False,
        streamRole=True,
        jukeboxRole=False,
        shareRole=False,
        videoConversionRole=False,
    )
    user.values("folder", [MUSIC_FOLDER_ID])
    return user


def get_lyrics_by_song_id(s: Subsonic, caller: Caller, params: Params) -> Node:
    """Encore keeps no lyrics yet: a known song answers an empty list, as the extension says."""
    song_id = params.required("id")
    if not s.catalog.get_tracks([song_id]):
        raise not_found("Song")
    return node("lyricsList")


def get_lyrics(s: Subsonic, caller: Caller, params: Params) -> Node:
    return node("lyrics")


def ping(s: Subsonic, caller: Caller, params: Params) -> None:
    return None


def get_license(s: Subsonic, caller: Caller, params: Params) -> Node:
    return node("license", valid=True)


METHODS: dict[str, Method] = {
    "star": star,
    "unstar": unstar,
    "setRating": set_rating,
    "getStarred2": get_starred2,
    "getPlaylists": get_playlists,
    "getPlaylist": get_playlist,
    "createPlaylist": create_playlist,
    "updatePlaylist": update_playlist,
    "deletePlaylist": delete_playlist,
    "scrobble": scrobble,
    "getNowPlaying": get_now_playing,
    "getUser": get_user,
    "getLyricsBySongId": get_lyrics_by_song_id,
    "getLyrics": get_lyrics,
    "ping": ping,
    "getLicense": get_license,
}
