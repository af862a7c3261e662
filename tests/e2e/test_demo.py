"""`encore demo`, run small as a user would: music that plays, a catalog, accounts that sign in
with the printed passwords, a history with structure, and a re-run that adds nothing."""

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from encore.adapters.compute.local import LocalRunner
from encore.bootstrap import Services, bootstrap
from encore.catalog.model import ExternalKind, Quality
from encore.cli import app
from encore.config import load_settings
from encore.demo import catalog
from encore.demo.accounts import DEMO_USERS
from encore.demo.build import PIECES_NAMESPACE
from encore.demo.repertoire import all_pieces
from encore.errors import NotAuthenticated
from encore.history.model import Listen
from encore.recommend.domain import PlaylistKind
from tests.e2e.conftest import FAST_PASSWORDS

runner = CliRunner()
PIECES, LISTENERS, CATALOG, WEEKS = 2, 8, 150, 3
SMALL = ["--pieces", str(PIECES), "--listeners", str(LISTENERS)]
SMALL += ["--catalog-size", str(CATALOG), "--weeks", str(WEEKS)]


pytestmark = pytest.mark.slow


def _cli(*args: str) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def _demo(data: Path, *args: str) -> str:
    result = _cli("demo", "--data", str(data), *args)
    assert result.exit_code == 0, result.output
    return result.output


def _passwords(output: str) -> dict[str, str]:
    pattern = r"(\w+@demo\.encore)\s*│\s*([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})"
    return dict(re.findall(pattern, output))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data = tmp_path_factory.mktemp("demo")
    return data, _demo(data, *SMALL)


@pytest.fixture
def services(built: tuple[Path, str]) -> Iterator[Services]:
    made = bootstrap(load_settings(data_dir=built[0]), passwords=FAST_PASSWORDS)
    yield made
    made.close()


def _history(services: Services, email: str) -> list[Listen]:
    with services.uow(readonly=True) as uow:
        user = uow.users.get_by_email(email)
        assert user is not None
        return list(uow.history.recent(user.id, limit=100_000))


def test_the_pieces_play_with_every_rendition_and_a_cover(services: Services) -> None:
    with services.uow(readonly=True) as uow:
        pieces = uow.external_ids.in_namespace(PIECES_NAMESPACE, ExternalKind.TRACK)
        assert sorted(pieces) == sorted(piece.isrc for piece in all_pieces()[:PIECES])
        for isrc, track_id in pieces.items():
            track = uow.tracks.get(track_id)
            assert track is not None and track.isrc == isrc and track.popularity > 0
            renditions = uow.renditions.list_for_track(track_id)
            assert {r.quality for r in renditions} == set(Quality)
            for rendition in renditions:
                stored = services.media.stat(rendition.path)
                assert stored is not None and stored.size == rendition.size_bytes
            album = uow.albums.get(track.album_id)
            assert album is not None and album.cover_art_path is not None
            assert services.media.stat(album.cover_art_path) is not None


def test_the_catalog_is_metadata_only(services: Services) -> None:
    with services.uow(readonly=True) as uow:
        ids = uow.external_ids.in_namespace(catalog.NAMESPACE, ExternalKind.TRACK)
        assert len(ids) == CATALOG
        tracks = uow.tracks.get_many(set(ids.values()))
        assert all(
            not uow.renditions.list_for_track(track_id) for track_id in list(ids.values())[:20]
        )
    assert all(track.genres and track.duration_ms > 0 for track in tracks.values())


def test_the_printed_credentials_sign_in(built: tuple[Path, str], services: Services) -> None:
    found = _passwords(built[1])
    assert set(found) == {"free@demo.encore", "premium@demo.encore", "admin@demo.encore"}
    expected = (
        ("free@demo.encore", "free", "DE", False),
        ("premium@demo.encore", "premium", "US", False),
        ("admin@demo.encore", "premium", "GB", True),
    )
    for email, plan, country, admin in expected:
        tokens = services.accounts.sign_in(email=email, password=found[email])
        user_id = services.access_tokens.verify(tokens.access_token).user_id
        account = services.accounts.get_account(user_id)
        user = account.user
        assert (user.plan.value, user.country, user.is_admin) == (plan, country, admin)
    # The synthetic listeners are real accounts, but nobody can sign in as them.
    with services.uow(readonly=True) as uow:
        assert uow.users.count() == len(DEMO_USERS) + LISTENERS
    with pytest.raises(NotAuthenticated):
        services.accounts.sign_in(email="listener-000@demo.encore", password="!demo-listener")


def test_one_piece_is_blocked_where_the_free_user_lives(
    built: tuple[Path, str], services: Services
) -> None:
    blocked = all_pieces()[1]
    assert f"'{blocked.title}' by {blocked.artists[0]} is licensed only in" in built[1]
    with services.uow(readonly=True) as uow:
        track_id = uow.external_ids.in_namespace(PIECES_NAMESPACE, ExternalKind.TRACK)[blocked.isrc]
        track = uow.tracks.get(track_id)
    assert track is not None
    assert not track.is_available_in("DE") and track.is_available_in("US")
    assert all(listen.track_id != track_id for listen in _history(services, "free@demo.encore"))


def test_histories_have_structure(services: Services) -> None:
    listens = _history(services, "premium@demo.encore")
    assert len(listens) > 100
    times = [listen.listened_at for listen in listens]
    assert max(times) - min(times) > timedelta(weeks=WEEKS - 1)
    assert any(listen.skipped for listen in listens)
    assert any(listen.completed for listen in listens)
    plays = Counter(listen.track_id for listen in listens)
    assert plays.most_common(1)[0][1] >= 3  # repeats
    with services.uow(readonly=True) as uow:
        tracks = uow.tracks.get_many(set(plays))
        pieces = set(uow.external_ids.in_namespace(PIECES_NAMESPACE, ExternalKind.TRACK).values())
    by_artist = Counter(tracks[listen.track_id].artist_ids[0] for listen in listens)
    # A few favourite artists take most of the listening.
    top = sum(count for _, count in by_artist.most_common(3))
    assert top > 0.4 * len(listens)
    assert set(plays) & pieces and set(plays) - pieces  # streamable and metadata-only alike
    everyone = [_history(services, f"listener-{n:03d}@demo.encore") for n in range(LISTENERS)]
    assert sum(map(len, everyone)) > 10 * LISTENERS


def test_the_history_reaches_the_lake_and_makes_a_wrapped(services: Services) -> None:
    listens = _history(services, "premium@demo.encore")
    premium = _user(services, "premium@demo.encore")
    with services.lake.connect() as db:
        rows = db.execute(
            "SELECT id, type, duration_played_ms FROM listens WHERE user_id = ?", [premium]
        ).fetchall()
    assert sorted(rows) == sorted(
        (listen.event_id, "skipped" if listen.skipped else "play_ended", listen.duration_played_ms)
        for listen in listens
    )
    assert services.lake.position() == 0  # the event log's offsets are the log's alone
    year = max(listen.listened_at for listen in listens).astimezone(UTC).year
    in_year = [listen for listen in listens if listen.listened_at.astimezone(UTC).year == year]
    wrapped = json.loads(services.wrapped.get(user_id=premium, year=year))
    assert wrapped["plays"] == len(in_year)
    minutes = round(sum(listen.duration_played_ms for listen in in_year) / 60_000)
    assert wrapped["minutes_listened"] == minutes > 0
    assert sum(wrapped["minutes_by_month"]) == pytest.approx(minutes, abs=12)
    assert wrapped["top_artists"] and wrapped["top_tracks"] and wrapped["top_genres"]


def _user(services: Services, email: str) -> str:
    with services.uow(readonly=True) as uow:
        user = uow.users.get_by_email(email)
    assert user is not None
    return user.id


def test_the_demo_users_have_playlists_likes_and_follows(services: Services) -> None:
    free, premium = _user(services, "free@demo.encore"), _user(services, "premium@demo.encore")
    library = services.library
    owned, total = library.playlists_of(user_id=premium, limit=50, offset=0)
    assert total == 2
    together = next(p for p in owned if p.collaborative)
    assert not together.public  # collaborative playlists are private
    view = library.get(viewer_id=free, playlist_id=together.id, limit=100, offset=0)
    assert free in view.collaborators
    assert {entry.added_by for entry in view.entries} == {free, premium}
    with services.uow(readonly=True) as uow:
        pieces = set(uow.external_ids.in_namespace(PIECES_NAMESPACE, ExternalKind.TRACK).values())
    for user in (free, premium):
        liked, count = library.liked(user_id=user, limit=50, offset=0)
        assert count and {detail.track.id for detail, _ in liked} <= pieces  # all playable
        assert library.followed_artists(user_id=user, limit=50, offset=0)[1] > 0
    assert library.playlists_of(user_id=free, limit=50, offset=0)[1] == 2  # own + shared


def test_running_it_again_adds_nothing(built: tuple[Path, str], services: Services) -> None:
    data = built[0]
    before = _history(services, "free@demo.encore")
    output = _demo(data, *SMALL)
    assert "already" in output
    assert _passwords(output) == _passwords(built[1])
    # Forced past the marker, every step finds its work done.
    (data / "demo" / "ready.json").unlink()
    _demo(data, *SMALL)
    with services.uow(readonly=True) as uow:
        assert uow.users.count() == len(DEMO_USERS) + LISTENERS
        assert len(uow.external_ids.in_namespace(catalog.NAMESPACE, ExternalKind.TRACK)) == CATALOG
    assert _history(services, "free@demo.encore") == before
    premium = _user(services, "premium@demo.encore")
    assert services.library.playlists_of(user_id=premium, limit=50, offset=0)[1] == 2


def test_a_larger_demo_tops_up(built: tuple[Path, str], services: Services) -> None:
    data = built[0]
    before = _history(services, "listener-000@demo.encore")
    _demo(
        data,
        "--pieces",
        str(PIECES),
        "--listeners",
        str(LISTENERS + 2),
        "--catalog-size",
        str(CATALOG + 30),
    )
    with services.uow(readonly=True) as uow:
        assert uow.users.count() == len(DEMO_USERS) + LISTENERS + 2
        assert (
            len(uow.external_ids.in_namespace(catalog.NAMESPACE, ExternalKind.TRACK))
            == CATALOG + 30
        )
    assert _history(services, "listener-000@demo.encore") == before
    assert _history(services, f"listener-{LISTENERS + 1:03d}@demo.encore")


def test_first_start_leaves_an_instance_in_use_alone(tmp_path: Path) -> None:
    result = _cli(
        "users", "add", "ada@example.com", "--password", "correct horse", "--data", str(tmp_path)
    )
    assert result.exit_code == 0, result.output
    output = _demo(tmp_path, "--first-start", *SMALL)
    assert "accounts already" in output
    assert not (tmp_path / "demo").exists()


def test_daily_mixes_hold_only_tracks_the_listener_can_play(
    built: tuple[Path, str], tmp_path: Path
) -> None:
    """The catalog is mostly metadata, and the listeners' histories are full of it: a mix
    (made by a batch run, or on the spot before one) offers only tracks with audio, licensed
    where the listener lives. On a copy of the instance: the run stores playlists."""
    shutil.copytree(built[0], tmp_path / "copy")
    services = bootstrap(load_settings(data_dir=tmp_path / "copy"), passwords=FAST_PASSWORDS)
    try:
        on_the_spot = {d.email: _mix_tracks(services, d.email) for d in DEMO_USERS}
        services.recommend_batch.run(LocalRunner(1), [PlaylistKind.DAILY_MIX])
        made = {d.email: _mix_tracks(services, d.email) for d in DEMO_USERS}
        for demo in DEMO_USERS:
            # Made from their history, a mix has their favourite pieces at least (the
            # popularity mix on the spot spares what they played: it may have nothing).
            assert any(made[demo.email]), demo.email
            for mixes in (on_the_spot[demo.email], made[demo.email]):
                with services.uow(readonly=True) as uow:
                    for track_id in {t for mix in mixes for t in mix}:
                        qualities = {r.quality for r in uow.renditions.list_for_track(track_id)}
                        assert qualities - {Quality.PREVIEW}, (demo.email, track_id)
                        track = uow.tracks.get(track_id)
                        assert track is not None and track.is_available_in(demo.country)
    finally:
        services.close()


def _mix_tracks(services: Services, email: str) -> list[tuple[str, ...]]:
    mixes = services.recommend.daily_mixes(user_id=_user(services, email))
    return [mix.track_ids for mix in mixes]
