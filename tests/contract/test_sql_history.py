"""The `HistoryStore` contract, on SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta, timezone

from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
from encore.history.model import Listen
from tests.builders import NOW, make_listen, make_track, make_user
from tests.contract.storing import add_catalog, add_users, an_album


def _listener_and_tracks(uow: SqlUnitOfWorkFactory, tracks: int = 2) -> tuple[str, list[str]]:
    user = make_user()
    add_users(uow, user)
    artist, album = an_album(uow)
    made = tuple(make_track(album_id=album.id, artist_ids=(artist.id,)) for _ in range(tracks))
    add_catalog(uow, tracks=made)
    return user.id, [track.id for track in made]


def test_listens_round_trip_newest_first(uow: SqlUnitOfWorkFactory) -> None:
    user_id, (first, second) = _listener_and_tracks(uow)
    full = make_listen(
        user_id=user_id,
        track_id=first,
        listened_at=NOW - timedelta(minutes=4),
        context_type="album",
        context_id="37i9dQZF1DXcBWIGoYBM5M",
        device="web",
    )
    skipped = make_listen(
        user_id=user_id,
        track_id=second,
        duration_played_ms=12_345,
        completed=False,
        skipped=True,
    )
    with uow() as unit:
        assert unit.history.add([full, skipped]) == 2
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.history.recent(user_id, limit=10) == [skipped, full]
        assert unit.history.recent(user_id, limit=1) == [skipped]
        assert unit.history.recent(user_id, limit=10, before=NOW) == [full]
        assert unit.history.recent("nobody", limit=10) == []


def test_an_event_id_lands_once(uow: SqlUnitOfWorkFactory) -> None:
    user_id, (track_id, other) = _listener_and_tracks(uow)
    listen = make_listen(user_id=user_id, track_id=track_id)
    replayed = make_listen(user_id=user_id, track_id=other, event_id=listen.event_id)
    with uow() as unit:
        # Twice in one batch: the first one counts.
        assert unit.history.add([listen, replayed]) == 1
        unit.commit()
    with uow() as unit:
        fresh = make_listen(user_id=user_id, track_id=other, listened_at=NOW + timedelta(hours=1))
        assert unit.history.add(iter([replayed, fresh])) == 1
        assert unit.history.add([]) == 0
        unit.commit()
    with uow(readonly=True) as unit:
        assert unit.history.recent(user_id, limit=10) == [fresh, listen]


def test_many_listens_in_one_call(uow: SqlUnitOfWorkFactory) -> None:
    user_id, track_ids = _listener_and_tracks(uow, tracks=3)
    listens = [
        make_listen(
            user_id=user_id,
            track_id=track_ids[n % 3],
            event_id=f"batch-{n}",
            listened_at=NOW + timedelta(seconds=n),
        )
        for n in range(2_500)
    ]
    with uow() as unit:
        assert unit.history.add(listens) == 2_500
        unit.commit()
    with uow() as unit:
        assert unit.history.add(listens[1_000:]) == 0
        unit.commit()
    with uow(readonly=True) as unit:
        latest = unit.history.recent(user_id, limit=3)
        page = unit.history.recent(user_id, limit=2, before=latest[-1].listened_at)
    assert [listen.event_id for listen in latest] == ["batch-2499", "batch-2498", "batch-2497"]
    assert [listen.event_id for listen in page] == ["batch-2496", "batch-2495"]


def test_a_rolled_back_batch_leaves_nothing(uow: SqlUnitOfWorkFactory) -> None:
    user_id, (track_id, _) = _listener_and_tracks(uow)
    listen: Listen = make_listen(user_id=user_id, track_id=track_id)
    with uow() as unit:
        unit.history.add([listen])
    with uow() as unit:
        assert unit.history.add([listen]) == 1
        unit.commit()


def test_listen_times_keep_their_instant_whatever_the_offset_or_precision(
    uow: SqlUnitOfWorkFactory,
) -> None:
    """Listens are written without SQLAlchemy's bind processing: their timestamps must still
    compare and order like every other UtcDateTime column's."""
    user_id, (track_id,) = _listener_and_tracks(uow, tracks=1)
    zone = timezone(timedelta(hours=-3, minutes=-30))
    moments = [
        datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),  # no microseconds
        datetime(2026, 3, 1, 12, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 3, 1, 9, 0, 0, 500_000, tzinfo=zone),  # 12:30:00.5 UTC
        datetime(2026, 3, 1, 12, 15),  # naive: UTC
    ]
    listens = [
        make_listen(user_id=user_id, track_id=track_id, event_id=f"t{n}", listened_at=moment)
        for n, moment in enumerate(moments)
    ]
    with uow() as unit:
        assert unit.history.add(listens) == len(listens)
        unit.commit()
    with uow(readonly=True) as unit:
        found = unit.history.recent(user_id, limit=10)
        between = unit.history.recent(
            user_id, limit=10, before=datetime(2026, 3, 1, 12, 20, tzinfo=UTC)
        )
    expected = sorted((m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments), reverse=True)
    assert [listen.listened_at for listen in found] == expected
    assert all(listen.listened_at.tzinfo == UTC for listen in found)
    assert [listen.event_id for listen in between] == ["t3", "t1", "t0"]
