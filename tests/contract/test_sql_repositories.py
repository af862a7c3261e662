"""The SQL repositories' contract, on SQLite and on PostgreSQL, through `SqlUnitOfWorkFactory`."""

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from encore.accounts.model import MembershipStatus, Plan, User
from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.catalog.model import Album, AlbumType, Artist, DatePrecision, Quality, Ref, Track
from encore.ids import new_id
from tests.builders import (
    NOW,
    make_album,
    make_artist,
    make_membership,
    make_plan_change,
    make_refresh_token,
    make_rendition,
    make_track,
    make_user,
)

CEST = timezone(timedelta(hours=2))


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


# --- units of work ----------------------------------------------------------------------------


def test_leaving_without_commit_persists_nothing(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    with uow() as unit:
        unit.users.add(user)
        assert unit.users.get(user.id) == user
    with uow(readonly=True) as unit:
        assert unit.users.get(user.id) is None
        assert unit.users.count() == 0


def test_an_exception_rolls_back_and_propagates(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()

    def fail_midway() -> None:
        with uow() as unit:
            unit.users.add(user)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_midway()
    with uow(readonly=True) as unit:
        assert unit.users.get(user.id) is None


def test_rollback_discards_and_the_unit_goes_on(uow: SqlUnitOfWorkFactory) -> None:
    discarded, kept = make_user(), make_user()
    with uow() as unit:
        unit.users.add(discarded)
        unit.rollback()
        unit.users.add(kept)
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.users.get(discarded.id) is None
        assert unit.users.get(kept.id) == kept


def test_unit_outside_its_block_refuses(uow: SqlUnitOfWorkFactory) -> None:
    with pytest.raises(RuntimeError, match="outside its `with` block"):
        uow().commit()


@pytest.mark.timeout(15)
def test_readonly_unit_reads_beside_an_open_writer(uow: SqlUnitOfWorkFactory) -> None:
    existing, pending = make_user(), make_user()
    add_users(uow, existing)
    with uow() as writer:
        writer.users.add(pending)
        # The writer holds SQLite's write lock; a read-only unit must neither wait nor see it.
        with uow(readonly=True) as reader:
            assert reader.users.get(existing.id) == existing
            assert reader.users.get(pending.id) is None
            assert reader.users.count() == 1
        writer.commit()
    with uow(readonly=True) as reader:
        assert reader.users.count() == 2


# --- users ------------------------------------------------------------------------------------


def test_user_round_trips(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user(plan=Plan.FAMILY, is_admin=True, country="NO", display_name="Åse Ødegård")
    add_users(uow, user)
    with uow(readonly=True) as unit:
        assert unit.users.get(user.id) == user
        assert unit.users.get_by_email(user.email) == user
    with uow() as unit:
        assert unit.users.get_for_update(user.id) == user


def test_missing_user_is_none(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as unit:
        assert unit.users.get(new_id()) is None
        assert unit.users.get_by_email("nobody@example.com") is None
        assert unit.users.get_for_update(new_id()) is None


def test_datetimes_come_back_as_utc(uow: SqlUnitOfWorkFactory) -> None:
    local = datetime(2024, 3, 1, 12, 30, 45, 654321, tzinfo=CEST)
    user = make_user(created_at=local)
    add_users(uow, user)
    with uow(readonly=True) as unit:
        found = unit.users.get(user.id)
    assert found is not None
    assert found.created_at == local
    assert found.created_at.utcoffset() == timedelta(0)
    assert found.created_at == datetime(2024, 3, 1, 10, 30, 45, 654321, tzinfo=UTC)


def test_duplicate_email_is_an_integrity_error(uow: SqlUnitOfWorkFactory) -> None:
    first = make_user()
    add_users(uow, first)
    with uow() as unit, pytest.raises(IntegrityError):
        unit.users.add(make_user(email=first.email))
    with uow(readonly=True) as unit:
        assert unit.users.count() == 1


def test_set_plan(uow: SqlUnitOfWorkFactory) -> None:
    user, bystander = make_user(), make_user()
    add_users(uow, user, bystander)
    with uow() as unit:
        unit.users.set_plan(user.id, Plan.DUO)
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.users.get(user.id) == replace(user, plan=Plan.DUO)
        assert unit.users.get(bystander.id) == bystander


def test_list_pages_by_creation_then_id_and_count(uow: SqlUnitOfWorkFactory) -> None:
    older = make_user(created_at=NOW - timedelta(days=1))
    twins = sorted((make_user(), make_user()), key=lambda user: user.id)
    newer = make_user(created_at=NOW + timedelta(seconds=1))
    add_users(uow, newer, twins[1], older, twins[0])
    with uow(readonly=True) as unit:
        assert unit.users.count() == 4
        assert list(unit.users.list(limit=10, offset=0)) == [older, *twins, newer]
        assert list(unit.users.list(limit=2, offset=1)) == twins
        assert list(unit.users.list(limit=10, offset=4)) == []


# --- plan changes -----------------------------------------------------------------------------


def test_plan_change_round_trips_by_key(uow: SqlUnitOfWorkFactory) -> None:
    user, admin = make_user(), make_user(is_admin=True)
    add_users(uow, user, admin)
    change = make_plan_change(
        user_id=user.id,
        idempotency_key="checkout-42",
        from_plan=Plan.PREMIUM,
        to_plan=Plan.FAMILY,
        changed_by=admin.id,
        reason="support ticket 7",
        changed_at=datetime(2024, 6, 1, 8, 0, tzinfo=CEST),
    )
    with uow() as unit:
        unit.plan_changes.add(change)
        unit.commit()
    with uow(readonly=True) as unit:
        found = unit.plan_changes.get_by_key(user.id, "checkout-42")
        assert found == change
        assert found is not None
        assert found.changed_at.utcoffset() == timedelta(0)
        assert unit.plan_changes.get_by_key(user.id, "another-key") is None
        assert unit.plan_changes.get_by_key(admin.id, "checkout-42") is None


def test_plan_changes_list_in_change_order(uow: SqlUnitOfWorkFactory) -> None:
    user, other = make_user(), make_user()
    add_users(uow, user, other)
    second = make_plan_change(user_id=user.id, changed_at=NOW + timedelta(minutes=1))
    first = make_plan_change(user_id=user.id, changed_at=NOW)
    with uow() as unit:
        for change in (second, make_plan_change(user_id=other.id), first):
            unit.plan_changes.add(change)
        unit.commit()
    with uow(readonly=True) as unit:
        assert list(unit.plan_changes.list_for_user(user.id)) == [first, second]
        assert list(unit.plan_changes.list_for_user(new_id())) == []


def test_idempotency_key_is_unique_per_user(uow: SqlUnitOfWorkFactory) -> None:
    user, other = make_user(), make_user()
    add_users(uow, user, other)
    with uow() as unit:
        unit.plan_changes.add(make_plan_change(user_id=user.id, idempotency_key="k"))
        unit.plan_changes.add(make_plan_change(user_id=other.id, idempotency_key="k"))
        unit.commit()
    with uow() as unit, pytest.raises(IntegrityError):
        unit.plan_changes.add(make_plan_change(user_id=user.id, idempotency_key="k"))


def test_plan_change_needs_an_existing_user(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as unit, pytest.raises(IntegrityError):
        unit.plan_changes.add(make_plan_change(user_id=new_id()))


# --- memberships ------------------------------------------------------------------------------


def test_membership_invite_then_activate(uow: SqlUnitOfWorkFactory) -> None:
    owner, early, late = make_user(plan=Plan.FAMILY), make_user(), make_user()
    add_users(uow, owner, early, late)
    invited_early = make_membership(owner_id=owner.id, member_id=early.id, invited_at=NOW)
    invited_late = make_membership(
        owner_id=owner.id, member_id=late.id, invited_at=NOW + timedelta(hours=1)
    )
    with uow() as unit:
        unit.memberships.add(invited_late)
        unit.memberships.add(invited_early)
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.memberships.get_for_member(early.id) == invited_early
        assert unit.memberships.get_for_member(owner.id) is None
        assert list(unit.memberships.list_for_owner(owner.id)) == [invited_early, invited_late]

    joined = datetime(2024, 5, 18, 20, 0, tzinfo=CEST)
    with uow() as unit:
        unit.memberships.activate(owner.id, early.id, joined)
        unit.commit()
    with uow(readonly=True) as unit:
        active = unit.memberships.get_for_member(early.id)
        assert active is not None
        assert active.status is MembershipStatus.ACTIVE
        assert active.joined_at == joined
        assert active.joined_at.utcoffset() == timedelta(0)
        assert unit.memberships.get_for_member(late.id) == invited_late


def test_listener_belongs_to_one_group(uow: SqlUnitOfWorkFactory) -> None:
    owner, other_owner, member = make_user(), make_user(), make_user()
    add_users(uow, owner, other_owner, member)
    with uow() as unit:
        unit.memberships.add(make_membership(owner_id=owner.id, member_id=member.id))
        unit.commit()
    with uow() as unit, pytest.raises(IntegrityError):
        unit.memberships.add(make_membership(owner_id=other_owner.id, member_id=member.id))


def test_remove_and_remove_all(uow: SqlUnitOfWorkFactory) -> None:
    owner, other_owner = make_user(), make_user()
    members = [make_user() for _ in range(4)]
    add_users(uow, owner, other_owner, *members)
    with uow() as unit:
        for member in members[:3]:
            unit.memberships.add(make_membership(owner_id=owner.id, member_id=member.id))
        unit.memberships.add(make_membership(owner_id=other_owner.id, member_id=members[3].id))
        unit.commit()
    with uow() as unit:
        unit.memberships.remove(owner.id, members[0].id)
        unit.memberships.remove(owner.id, members[3].id)  # not its member: a no-op
        unit.commit()
    with uow() as unit:
        assert unit.memberships.get_for_member(members[0].id) is None
        assert unit.memberships.remove_all(owner.id) == 2
        assert unit.memberships.remove_all(owner.id) == 0
        unit.commit()
    with uow(readonly=True) as unit:
        assert list(unit.memberships.list_for_owner(owner.id)) == []
        assert len(unit.memberships.list_for_owner(other_owner.id)) == 1


# --- refresh tokens ---------------------------------------------------------------------------


def test_refresh_token_round_trips(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    add_users(uow, user)
    fresh = make_refresh_token(user_id=user.id)
    spent = make_refresh_token(
        user_id=user.id,
        family_id=fresh.family_id,
        used_at=NOW + timedelta(hours=1),
        revoked_at=NOW + timedelta(hours=2),
    )
    with uow() as unit:
        unit.refresh_tokens.add(fresh)
        unit.refresh_tokens.add(spent)
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.refresh_tokens.get_by_hash(fresh.token_hash) == fresh
        assert unit.refresh_tokens.get_by_hash(spent.token_hash) == spent
        assert unit.refresh_tokens.get_by_hash("0" * 64) is None


def test_token_hash_is_unique(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    add_users(uow, user)
    token = make_refresh_token(user_id=user.id)
    with uow() as unit:
        unit.refresh_tokens.add(token)
        unit.commit()
    with uow() as unit, pytest.raises(IntegrityError):
        unit.refresh_tokens.add(make_refresh_token(user_id=user.id, token_hash=token.token_hash))


def test_mark_used_wins_once(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    add_users(uow, user)
    token = make_refresh_token(user_id=user.id)
    with uow() as unit:
        unit.refresh_tokens.add(token)
        unit.commit()
    first_use = NOW + timedelta(minutes=5)
    with uow() as unit:
        assert unit.refresh_tokens.mark_used(token.id, first_use) is True
        unit.commit()
    with uow() as unit:
        assert unit.refresh_tokens.mark_used(token.id, first_use + timedelta(minutes=1)) is False
        assert unit.refresh_tokens.mark_used(new_id(), first_use) is False
        unit.commit()
    with uow(readonly=True) as unit:
        found = unit.refresh_tokens.get_by_hash(token.token_hash)
    assert found is not None
    assert found.used_at == first_use


def test_revoke_family(uow: SqlUnitOfWorkFactory) -> None:
    user = make_user()
    add_users(uow, user)
    family = new_id()
    earlier = NOW + timedelta(minutes=1)
    live = make_refresh_token(user_id=user.id, family_id=family)
    already_revoked = make_refresh_token(user_id=user.id, family_id=family, revoked_at=earlier)
    other_family = make_refresh_token(user_id=user.id)
    with uow() as unit:
        for token in (live, already_revoked, other_family):
            unit.refresh_tokens.add(token)
        unit.commit()
    revoked_at = NOW + timedelta(minutes=10)
    with uow() as unit:
        unit.refresh_tokens.revoke_family(family, revoked_at)
        unit.commit()
    with uow(readonly=True) as unit:
        now_revoked = unit.refresh_tokens.get_by_hash(live.token_hash)
        kept = unit.refresh_tokens.get_by_hash(already_revoked.token_hash)
        untouched = unit.refresh_tokens.get_by_hash(other_family.token_hash)
    assert now_revoked is not None
    assert now_revoked.revoked_at == revoked_at
    assert kept is not None
    assert kept.revoked_at == earlier
    assert untouched == other_family


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


# --- concurrency ------------------------------------------------------------------------------

THREADS = 8
UNITS_PER_THREAD = 20


@pytest.mark.timeout(60)
def test_concurrent_read_then_write_units_serialize(engine: Engine) -> None:
    """Each unit reads the count, then writes a change that records it: no lost update, no
    "database is locked" (SQLite's BEGIN IMMEDIATE; PostgreSQL's row lock of get_for_update)."""
    uow = SqlUnitOfWorkFactory(engine)
    user = make_user()
    add_users(uow, user)
    start = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        start.wait()
        for unit_number in range(UNITS_PER_THREAD):
            with uow() as unit:
                assert unit.users.get_for_update(user.id) is not None
                seen = len(unit.plan_changes.list_for_user(user.id))
                change = make_plan_change(
                    user_id=user.id, idempotency_key=f"{thread}-{unit_number}", reason=str(seen)
                )
                unit.plan_changes.add(change)
                unit.commit()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for finished in [pool.submit(work, thread) for thread in range(THREADS)]:
            finished.result()

    with uow(readonly=True) as unit:
        changes = unit.plan_changes.list_for_user(user.id)
    total = THREADS * UNITS_PER_THREAD
    assert len(changes) == total
    assert sorted(int(change.reason) for change in changes) == list(range(total))
