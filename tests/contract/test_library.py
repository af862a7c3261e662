"""The library service on SQLite and PostgreSQL: playlists, snapshots, concurrent writers, likes
and follows."""

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from encore.adapters.sql.tables import playlist_tracks
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.service import CatalogService
from encore.errors import InvalidInput, NotFound, PermissionDenied
from encore.library.service import LibraryService, PlaylistNotice, StaleSnapshot
from tests.builders import make_album, make_artist, make_track, make_user
from tests.contract.storing import add_catalog, add_users


@pytest.fixture
def library(uow: SqlUnitOfWorkFactory) -> LibraryService:
    return LibraryService(uow=uow, track_details=CatalogService(uow=uow).get_tracks)


@pytest.fixture
def users(uow: SqlUnitOfWorkFactory) -> list[str]:
    made = [make_user() for _ in range(3)]
    add_users(uow, *made)
    return [user.id for user in made]


@pytest.fixture
def tracks(uow: SqlUnitOfWorkFactory) -> list[str]:
    """Twelve tracks over six albums, two per album, the albums with cover art."""
    artist = make_artist()
    albums = tuple(
        make_album(artist_ids=(artist.id,), cover_art_path=f"covers/{n}.jpg") for n in range(6)
    )
    made = tuple(
        make_track(album_id=albums[n // 2].id, artist_ids=(artist.id,), title=f"T{n}")
        for n in range(12)
    )
    add_catalog(uow, artists=(artist,), albums=albums, tracks=made)
    return [track.id for track in made]


def order(library: LibraryService, owner: str, playlist_id: str) -> list[str]:
    view = library.get(viewer_id=owner, playlist_id=playlist_id)
    return [entry.track_id for entry in view.entries]


def test_a_playlist_is_created_filled_reordered_and_emptied(
    library: LibraryService, users: list[str], tracks: list[str]
) -> None:
    owner = users[0]
    playlist = library.create(owner_id=owner, name="Road trip", description="Long drives")
    first = library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=tracks[:4])
    assert first != playlist.snapshot_id
    library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=[tracks[4]], position=1)
    assert order(library, owner, playlist.id) == [tracks[i] for i in (0, 4, 1, 2, 3)]
    library.reorder_tracks(
        user_id=owner, playlist_id=playlist.id, range_start=0, insert_before=5, range_length=2
    )
    assert order(library, owner, playlist.id) == [tracks[i] for i in (1, 2, 3, 0, 4)]
    library.remove_tracks(user_id=owner, playlist_id=playlist.id, track_ids=[tracks[2]])
    view = library.get(viewer_id=owner, playlist_id=playlist.id, limit=2, offset=1)
    assert [e.track_id for e in view.entries] == [tracks[3], tracks[0]]
    assert view.total == 4
    assert all(e.added_by == owner for e in view.entries)
    # The cover: the first track's album alone (fewer than four albums among the tracks).
    whole = library.get(viewer_id=owner, playlist_id=playlist.id)
    assert view.cover_albums == (whole.tracks[tracks[1]].album.id,)
    library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=tracks[6:12])
    assert len(library.get(viewer_id=owner, playlist_id=playlist.id).cover_albums) == 4


def test_details_change_and_only_the_owner_changes_them(
    library: LibraryService, users: list[str]
) -> None:
    owner, other, _ = users
    notices: list[PlaylistNotice] = []
    library.on_change(notices.append)
    playlist = library.create(owner_id=owner, name="Mine")
    library.update_details(user_id=owner, playlist_id=playlist.id, name="Ours", public=False)
    view = library.get(viewer_id=owner, playlist_id=playlist.id)
    assert (view.playlist.name, view.playlist.public) == ("Ours", False)
    with pytest.raises(NotFound):  # private: others do not even see it
        library.get(viewer_id=other, playlist_id=playlist.id)
    with pytest.raises(NotFound):
        library.update_details(user_id=other, playlist_id=playlist.id, name="Theirs")
    with pytest.raises(InvalidInput, match="private"):
        library.update_details(
            user_id=owner, playlist_id=playlist.id, public=True, collaborative=True
        )
    library.delete(user_id=owner, playlist_id=playlist.id)
    with pytest.raises(NotFound):
        library.get(viewer_id=owner, playlist_id=playlist.id)
    assert [(n.playlist.name, n.playlist.public, n.deleted) for n in notices] == [
        ("Mine", True, False),
        ("Ours", False, False),
        ("Ours", False, True),
    ]


def test_collaborators_add_tracks_that_say_who_added_them(
    library: LibraryService, users: list[str], tracks: list[str]
) -> None:
    owner, friend, stranger = users
    playlist = library.create(owner_id=owner, name="Party", public=False, collaborative=True)
    with pytest.raises(NotFound):
        library.add_tracks(user_id=friend, playlist_id=playlist.id, track_ids=[tracks[0]])
    library.invite(owner_id=owner, playlist_id=playlist.id, collaborator_id=friend)
    with pytest.raises(PermissionDenied):
        library.invite(owner_id=friend, playlist_id=playlist.id, collaborator_id=stranger)
    library.add_tracks(user_id=friend, playlist_id=playlist.id, track_ids=[tracks[0]])
    library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=[tracks[1]])
    view = library.get(viewer_id=friend, playlist_id=playlist.id)
    assert [e.added_by for e in view.entries] == [friend, owner]
    assert view.collaborators == (friend,)
    with pytest.raises(PermissionDenied):  # collaborators edit tracks, not the details
        library.update_details(user_id=friend, playlist_id=playlist.id, name="Mine now")
    library.uninvite(owner_id=owner, playlist_id=playlist.id, collaborator_id=friend)
    with pytest.raises(NotFound):
        library.add_tracks(user_id=friend, playlist_id=playlist.id, track_ids=[tracks[2]])
    with pytest.raises(NotFound):
        library.invite(owner_id=owner, playlist_id=playlist.id, collaborator_id="x" * 22)
    public = library.create(owner_id=owner, name="Open")
    with pytest.raises(PermissionDenied):  # visible, but not shared for editing
        library.add_tracks(user_id=stranger, playlist_id=public.id, track_ids=[tracks[0]])


def test_edits_against_an_old_snapshot_merge_unless_they_overlap(
    library: LibraryService, users: list[str], tracks: list[str]
) -> None:
    owner = users[0]
    playlist = library.create(owner_id=owner, name="Shared")
    read = library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=tracks[:4])
    # Someone else appends and renames; an edit of the first tracks made against `read` merges.
    library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=[tracks[4]])
    library.update_details(user_id=owner, playlist_id=playlist.id, name="Renamed")
    library.reorder_tracks(
        user_id=owner, playlist_id=playlist.id, range_start=0, insert_before=2, if_match=read
    )
    library.add_tracks(
        user_id=owner, playlist_id=playlist.id, track_ids=[tracks[5]], position=0, if_match=read
    )
    library.remove_tracks(
        user_id=owner, playlist_id=playlist.id, track_ids=[tracks[4]], if_match=read
    )
    library.update_details(user_id=owner, playlist_id=playlist.id, description="d", if_match=read)
    assert order(library, owner, playlist.id) == [tracks[i] for i in (5, 1, 0, 2, 3)]
    # Moving the last track of `read` collides with the tracks moved since: 412, current state.
    with pytest.raises(StaleSnapshot) as stale:
        library.reorder_tracks(
            user_id=owner, playlist_id=playlist.id, range_start=3, insert_before=0, if_match=read
        )
    current = stale.value.current
    assert [e.track_id for e in current.entries] == [tracks[i] for i in (5, 1, 0, 2, 3)]
    with pytest.raises(StaleSnapshot):  # the name changed since too
        library.update_details(user_id=owner, playlist_id=playlist.id, name="X", if_match=read)
    with pytest.raises(StaleSnapshot):
        library.add_tracks(
            user_id=owner, playlist_id=playlist.id, track_ids=[tracks[6]], if_match="unknown"
        )
    library.add_tracks(
        user_id=owner,
        playlist_id=playlist.id,
        track_ids=[tracks[6]],
        position=5,
        if_match=current.playlist.snapshot_id,
    )
    assert order(library, owner, playlist.id)[-1] == tracks[6]


def test_bad_track_lists_are_refused(
    library: LibraryService, users: list[str], tracks: list[str]
) -> None:
    owner = users[0]
    playlist = library.create(owner_id=owner, name="P")
    with pytest.raises(NotFound, match="track"):
        library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=["n" * 22])
    with pytest.raises(InvalidInput, match="position"):
        library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=tracks[:1], position=3)
    with pytest.raises(InvalidInput, match="within"):
        library.reorder_tracks(
            user_id=owner, playlist_id=playlist.id, range_start=0, insert_before=0
        )
    with pytest.raises(InvalidInput, match="at least one"):
        library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=[])
    assert order(library, owner, playlist.id) == []


@pytest.mark.slow
def test_many_concurrent_writers_keep_positions_dense_and_lose_nothing(
    library: LibraryService, users: list[str], tracks: list[str], uow: SqlUnitOfWorkFactory
) -> None:
    owner = users[0]
    playlist = library.create(owner_id=owner, name="Busy")
    library.add_tracks(user_id=owner, playlist_id=playlist.id, track_ids=tracks[:2])
    writers, rounds = 8, 12
    errors: list[BaseException] = []

    def work(writer: int) -> None:
        try:
            for n in range(rounds):
                track = tracks[2 + (writer + n) % 10]
                library.add_tracks(
                    user_id=owner, playlist_id=playlist.id, track_ids=[track], position=n % 3
                )
                library.reorder_tracks(
                    user_id=owner, playlist_id=playlist.id, range_start=0, insert_before=2
                )
        except BaseException as error:
            errors.append(error)

    run_all([lambda w=w: work(w) for w in range(writers)])
    assert errors == []
    with uow.engine.connect() as connection:
        positions = sorted(
            connection.execute(
                select(playlist_tracks.c.position).where(
                    playlist_tracks.c.playlist_id == playlist.id
                )
            ).scalars()
        )
    with uow(readonly=True) as unit:
        versions = unit.playlists.get(playlist.id)
    assert positions == list(range(2 + writers * rounds))
    assert versions is not None and versions.version == 1 + 2 * writers * rounds


def run_all(jobs: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_following_counts_followers_and_lists_my_playlists(
    library: LibraryService, users: list[str]
) -> None:
    owner, fan, _ = users
    mine = library.create(owner_id=owner, name="Owned")
    private = library.create(owner_id=owner, name="Hidden", public=False)
    library.follow_playlist(user_id=fan, playlist_id=mine.id)
    library.follow_playlist(user_id=fan, playlist_id=mine.id)  # twice is once
    library.follow_playlist(user_id=owner, playlist_id=mine.id)
    assert library.get(viewer_id=fan, playlist_id=mine.id).followers == 2
    with pytest.raises(NotFound):
        library.follow_playlist(user_id=fan, playlist_id=private.id)
    theirs, total = library.playlists_of(user_id=fan, limit=10, offset=0)
    assert ([p.id for p in theirs], total) == ([mine.id], 1)
    owned, total = library.playlists_of(user_id=owner, limit=1, offset=0)
    assert total == 2 and len(owned) == 1
    library.unfollow_playlist(user_id=fan, playlist_id=mine.id)
    assert library.get(viewer_id=fan, playlist_id=mine.id).followers == 1


def test_likes_and_followed_artists(
    library: LibraryService, users: list[str], tracks: list[str], uow: SqlUnitOfWorkFactory
) -> None:
    listener = users[0]
    library.like(user_id=listener, track_ids=tracks[:3])
    library.like(user_id=listener, track_ids=tracks[1:2])  # again: no error, no duplicate
    liked, total = library.liked(user_id=listener, limit=10, offset=0)
    assert total == 3 and {d.track.id for d, _ in liked} == set(tracks[:3])
    library.unlike(user_id=listener, track_ids=[tracks[0]])
    assert library.are_liked(user_id=listener, track_ids=tracks[:2]) == [False, True]
    with pytest.raises(NotFound):
        library.like(user_id=listener, track_ids=["z" * 22])
    artist = make_artist(name="Followed")
    add_catalog(uow, artists=(artist,))
    library.follow_artists(user_id=listener, artist_ids=[artist.id])
    library.follow_artists(user_id=listener, artist_ids=[artist.id])
    refs, total = library.followed_artists(user_id=listener, limit=10, offset=0)
    assert ([r.name for r in refs], total) == (["Followed"], 1)
    library.unfollow_artists(user_id=listener, artist_ids=[artist.id])
    assert library.followed_artists(user_id=listener, limit=10, offset=0)[1] == 0
    with pytest.raises(NotFound):
        library.follow_artists(user_id=listener, artist_ids=["q" * 22])
