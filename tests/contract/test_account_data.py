"""Account export and deletion on SQLite and PostgreSQL: keyset-paged sections, one transaction
for the deletion (a crash part way changes nothing), what becomes of playlists, tombstones."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from encore.account_data.model import PlaylistFate
from encore.account_data.service import AccountDataService
from encore.accounts.login_guard import LoginGuard
from encore.accounts.passwords import Passwords
from encore.accounts.service import AccountService
from encore.accounts.tokens import AccessTokens
from encore.adapters.cache.memory import MemoryCache
from encore.adapters.lake.parquet import ParquetLake
from encore.adapters.rate_limit.memory import MemoryRateLimiter
from encore.adapters.sql.account_data import (
    SqlErasureRepository,
    SqlExportSource,
    SqlTombstones,
)
from encore.adapters.sql.tables import (
    deleted_users,
    follows,
    generated_playlists,
    listening_history,
    playlist_tracks,
    playlists,
    users,
)
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.service import CatalogService
from encore.errors import NotFound
from encore.library.model import FollowKind
from encore.library.service import LibraryService
from tests.builders import NOW, make_album, make_artist, make_listen, make_track, make_user
from tests.contract.storing import add_catalog, add_users


@pytest.fixture
def tracks(uow: SqlUnitOfWorkFactory) -> list[str]:
    artist = make_artist(name="The Band")
    album = make_album(artist_ids=(artist.id,))
    made = tuple(
        make_track(album_id=album.id, artist_ids=(artist.id,), title=f"T{n}") for n in range(6)
    )
    add_catalog(uow, artists=(artist,), albums=(album,), tracks=made)
    return [track.id for track in made]


@pytest.fixture
def people(uow: SqlUnitOfWorkFactory) -> list[str]:
    made = [make_user() for _ in range(4)]
    add_users(uow, *made)
    return [user.id for user in made]


@pytest.fixture
def library(uow: SqlUnitOfWorkFactory) -> LibraryService:
    return LibraryService(uow=uow, track_details=CatalogService(uow=uow).get_tracks)


@pytest.fixture
def lake(tmp_path: Path, engine: Engine) -> ParquetLake:
    return ParquetLake(tmp_path / "lake", forgotten=SqlTombstones(engine).user_ids)


@pytest.fixture
def account_data(
    uow: SqlUnitOfWorkFactory, engine: Engine, lake: ParquetLake
) -> AccountDataService:
    accounts = AccountService(
        uow=uow,
        passwords=Passwords(time_cost=1, memory_cost_kib=256),
        access_tokens=AccessTokens(b"k" * 32, ttl_s=900),
        cache=(cache := MemoryCache(max_entries=1000)),
        refresh_ttl=timedelta(days=30),
        signup_open=True,
        login_guard=LoginGuard(
            cache=cache, limiter=MemoryRateLimiter(), attempts_per_minute=5, max_delay_s=0
        ),
    )
    return AccountDataService(
        uow=uow,
        source=SqlExportSource(engine),
        accounts=accounts,
        tombstones=SqlTombstones(engine),
        forgetting=[lake],
    )


def count(engine: Engine, table: object, *where: object) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(table)  # type: ignore[arg-type]
        return int(connection.execute(query.where(*where)).scalar_one())  # type: ignore[arg-type]


def test_history_is_read_in_keyset_pages_through_equal_timestamps(
    uow: SqlUnitOfWorkFactory, engine: Engine, people: list[str], tracks: list[str]
) -> None:
    ada, bob = people[:2]
    # Ten listens, three of them at the very same instant: paging must neither repeat nor skip.
    listens = [
        make_listen(user_id=ada, track_id=tracks[n % 6], listened_at=NOW + timedelta(seconds=n))
        for n in range(7)
    ] + [make_listen(user_id=ada, track_id=tracks[0], listened_at=NOW) for _ in range(3)]
    with uow() as unit:
        unit.history.add(listens)
        unit.history.add([make_listen(user_id=bob, track_id=tracks[0])])
        unit.commit()
    source = SqlExportSource(engine)
    pages = list(source.records("history", ada, batch=3))
    assert [len(page) for page in pages] == [3, 3, 3, 1]
    read = [row for page in pages for row in page]
    assert sorted(row["event_id"] for row in read) == sorted(listen.event_id for listen in listens)
    stamps = [row["listened_at"] for row in read]
    assert stamps == sorted(stamps)
    assert all(row["track"] == f"T{tracks.index(str(row['track_id']))}" for row in read)
    assert list(source.records("history", "nobody", batch=3)) == []


def test_every_section_reads_on_this_database(
    account_data: AccountDataService,
    library: LibraryService,
    engine: Engine,
    people: list[str],
    tracks: list[str],
) -> None:
    ada = people[0]
    library.like(user_id=ada, track_ids=tracks[:2])
    source = SqlExportSource(engine)
    likes = [row for page in source.records("likes", ada, batch=1) for row in page]
    assert [row["artists"] for row in likes] == ["The Band", "The Band"]
    for section in (
        "plan_history",
        "family",
        "sessions",
        "playlists",
        "playlist_tracks",
        "follows",
        "starred_albums",
        "ratings",
        "subsonic_credentials",
        "recommendations",
        "recommendation_tracks",
    ):
        assert list(source.records(section, ada, batch=10)) == [], section
    with pytest.raises(ValueError, match="unknown export section"):
        list(source.records("secrets", ada, batch=10))
    assert source.profile("nobody") is None
    assert b"".join(account_data.export(ada))[:2] == b"PK"


def test_deleting_keeps_what_others_use_and_removes_the_rest(
    account_data: AccountDataService,
    library: LibraryService,
    uow: SqlUnitOfWorkFactory,
    engine: Engine,
    people: list[str],
    tracks: list[str],
) -> None:
    gone, bob, cleo, dan = people
    shared = library.create(owner_id=gone, name="Shared", public=False, collaborative=True)
    library.invite(owner_id=gone, playlist_id=shared.id, collaborator_id=bob)
    library.invite(owner_id=gone, playlist_id=shared.id, collaborator_id=cleo)
    library.add_tracks(user_id=gone, playlist_id=shared.id, track_ids=tracks[:2])
    snapshot = library.add_tracks(user_id=bob, playlist_id=shared.id, track_ids=[tracks[2]])
    followed = library.create(owner_id=gone, name="Hits", public=True)
    library.follow_playlist(user_id=dan, playlist_id=followed.id)
    alone = library.create(owner_id=gone, name="Mine")
    bobs = library.create(owner_id=bob, name="Bob's", public=False, collaborative=True)
    library.invite(owner_id=bob, playlist_id=bobs.id, collaborator_id=gone)
    library.add_tracks(user_id=gone, playlist_id=bobs.id, track_ids=[tracks[3]])
    library.like(user_id=gone, track_ids=tracks)
    with uow() as unit:
        unit.follows.follow(dan, FollowKind.USER, [gone], NOW)
        unit.history.add([make_listen(user_id=gone, track_id=tracks[0])])
        unit.commit()

    erasure = account_data.erase(gone)

    fates = {outcome.playlist_id: outcome for outcome in erasure.playlists}
    assert fates[shared.id].fate is PlaylistFate.TRANSFERRED and fates[shared.id].new_owner == bob
    assert fates[followed.id].fate is PlaylistFate.KEPT_OWNERLESS
    assert fates[alone.id].fate is PlaylistFate.DELETED
    assert erasure.rows["liked_tracks"] == 6 and erasure.rows["listening_history"] == 1
    view = library.get(viewer_id=bob, playlist_id=shared.id)
    assert view.playlist.owner_id == bob and view.playlist.snapshot_id == snapshot
    assert list(view.collaborators) == [cleo]
    assert [entry.added_by for entry in view.entries] == [None, None, bob]
    # The others go on editing, with the snapshot they held.
    library.add_tracks(
        user_id=cleo, playlist_id=shared.id, track_ids=[tracks[4]], if_match=snapshot
    )
    assert library.get(viewer_id=dan, playlist_id=followed.id).playlist.owner_id is None
    assert [e.added_by for e in library.get(viewer_id=bob, playlist_id=bobs.id).entries] == [None]
    with pytest.raises(NotFound):
        library.get(viewer_id=bob, playlist_id=alone.id)
    assert count(engine, users, users.c.id == gone) == 0
    assert count(engine, follows, follows.c.target_id == gone) == 0
    assert count(engine, playlist_tracks, playlist_tracks.c.added_by == gone) == 0
    assert count(engine, deleted_users, deleted_users.c.user_id == gone) == 1
    with pytest.raises(NotFound):
        account_data.erase(gone)  # twice: nothing left to delete


def test_a_crash_part_way_through_a_deletion_changes_nothing(
    account_data: AccountDataService,
    library: LibraryService,
    uow: SqlUnitOfWorkFactory,
    engine: Engine,
    people: list[str],
    tracks: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gone, bob = people[:2]
    shared = library.create(owner_id=gone, name="Shared", public=False, collaborative=True)
    library.invite(owner_id=gone, playlist_id=shared.id, collaborator_id=bob)
    library.add_tracks(user_id=gone, playlist_id=shared.id, track_ids=tracks[:2])
    with uow() as unit:
        unit.history.add([make_listen(user_id=gone, track_id=tracks[0]) for _ in range(5)])
        unit.commit()

    def crash(self: SqlErasureRepository, user_id: str, at: object) -> None:
        raise RuntimeError("the process died here")

    # The last write of the transaction fails, after everything else was deleted in it.
    monkeypatch.setattr(SqlErasureRepository, "add_tombstone", crash)
    with pytest.raises(RuntimeError):
        account_data.erase(gone)
    assert count(engine, users, users.c.id == gone) == 1
    assert count(engine, listening_history, listening_history.c.user_id == gone) == 5
    view = library.get(viewer_id=gone, playlist_id=shared.id)
    assert view.playlist.owner_id == gone and list(view.collaborators) == [bob]
    assert [entry.added_by for entry in view.entries] == [gone, gone]
    assert count(engine, deleted_users) == 0
    monkeypatch.undo()
    account_data.erase(gone)  # and once it runs through, it is done
    assert count(engine, users, users.c.id == gone) == 0


def test_generated_playlists_go_with_the_listener(
    account_data: AccountDataService,
    engine: Engine,
    people: list[str],
) -> None:
    from encore.adapters.sql.recommend import SqlGeneratedPlaylists
    from encore.recommend.domain import GeneratedPlaylist, PlaylistKind, Source

    gone, other = people[:2]
    store = SqlGeneratedPlaylists(engine)
    store.replace(
        [
            GeneratedPlaylist(
                user_id=user,
                kind=PlaylistKind.DISCOVER_WEEKLY,
                slot=0,
                name="Discover Weekly",
                description="",
                track_ids=(),
                source=Source.POPULARITY,
                period_start=NOW,
                expires_at=NOW + timedelta(days=7),
                generated_at=NOW,
                model_version=None,
            )
            for user in (gone, other)
        ]
    )
    assert count(engine, generated_playlists) == 2
    account_data.erase(gone)
    assert count(engine, generated_playlists) == 1
    assert count(engine, playlists) == 1
