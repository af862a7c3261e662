"""A backup taken while clients write, restored: every write acknowledged before the backup
started is there, and the consumers catch up from the restored offsets without counting twice."""

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from encore.adapters.sql.tables import listening_history, track_stats
from encore.bootstrap import bootstrap
from encore.config import load_settings
from encore.history.service import event_id
from tests.e2e.backup_fixture import Api, encore, seed
from tests.e2e.conftest import FAST_PASSWORDS
from tests.e2e.running import running_encore

EVENTS_PER_BATCH = 50
TRACKS_PER_PLAYLIST = 25


class Acknowledged:
    """Writes the server acknowledged, in order, each noted once its answer was read."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[str] = []  # client event ids
        self.likes: list[str] = []  # track ids
        self.playlist_adds: list[tuple[str, int]] = []  # (playlist id, its tracks after the add)

    def counts(self) -> tuple[int, int, int]:
        with self.lock:
            return len(self.events), len(self.likes), len(self.playlist_adds)


def _listen(api: Api, tracks: list[str], acked: Acknowledged, stop: threading.Event) -> None:
    number = 0
    while not stop.is_set():
        now = datetime.now(UTC)
        events = [
            {
                "id": f"b{number}-e{n}",
                "type": "play_ended",
                "track_id": tracks[(number + n) % len(tracks)],
                "timestamp": (now - timedelta(seconds=n)).isoformat(),
                "duration_played_ms": 60_000,
                "completed": True,
            }
            for n in range(EVENTS_PER_BATCH)
        ]
        status, body = api.json("POST", "/api/v1/me/player/events", {"events": events})
        assert status == 202, body
        with acked.lock:
            acked.events.extend(str(event["id"]) for event in events)
        number += 1


def _like(api: Api, tracks: list[str], acked: Acknowledged, stop: threading.Event) -> None:
    for track in tracks:
        if stop.is_set():
            return
        status, body = api.json("PUT", f"/api/v1/me/tracks?ids={track}")
        assert status == 204, body
        with acked.lock:
            acked.likes.append(track)
        time.sleep(0.01)


def _edit_playlists(
    api: Api, tracks: list[str], acked: Acknowledged, stop: threading.Event
) -> None:
    n = 0
    playlist = ""
    while not stop.is_set():
        if n % TRACKS_PER_PLAYLIST == 0:
            status, body = api.json("POST", "/api/v1/playlists", {"name": f"Mix {n}"})
            assert status == 201, body
            playlist = orjson.loads(body)["id"]
        track = tracks[n % len(tracks)]
        status, body = api.json(
            "POST", f"/api/v1/playlists/{playlist}/tracks", {"track_ids": [track]}
        )
        assert status == 201, body
        n += 1
        with acked.lock:
            acked.playlist_adds.append((playlist, n % TRACKS_PER_PLAYLIST or TRACKS_PER_PLAYLIST))


def _writers(
    port: int,
    tracks: list[str],
    acked: Acknowledged,
    stop: threading.Event,
    errors: list[BaseException],
) -> list[threading.Thread]:

    def run(work: Callable[[Api, list[str], Acknowledged, threading.Event], None]) -> None:
        api = Api(port)
        try:
            work(api, tracks, acked, stop)
        except BaseException as error:  # seen by the test once the writers are joined
            errors.append(error)
            raise
        finally:
            api.close()

    threads = [
        threading.Thread(target=run, args=(work,), name=work.__name__)
        for work in (_listen, _listen, _like, _edit_playlists)
    ]
    for thread in threads:
        thread.start()
    return threads


def _caught_up(data: Path) -> bool:
    with sqlite3.connect(data / "events.db") as log:
        end = int(log.execute('SELECT MAX("offset") FROM events').fetchone()[0] or 0)
    with sqlite3.connect(data / "encore.db") as db:
        row = db.execute(
            "SELECT \"offset\" FROM consumer_offsets WHERE consumer = 'history'"
        ).fetchone()
    lake = data / "lake" / "listens.position"
    return row is not None and row[0] == end and lake.exists() and int(lake.read_text()) == end


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_backup_under_write_load_restores_every_acknowledged_write(tmp_path: Path) -> None:
    data, restored, archive = tmp_path / "live", tmp_path / "restored", tmp_path / "encore.backup"
    seeded = seed(data, tracks=60)
    acked = Acknowledged()
    stop = threading.Event()
    errors: list[BaseException] = []
    # Writers flood events far past any person's pace: no rate limits.
    with running_encore(data, timeout_s=90, env={"ENCORE_RATE_LIMITS": "false"}) as server:
        writers = _writers(server.port, seeded.tracks, acked, stop, errors)
        try:
            deadline = time.monotonic() + 30
            while min(acked.counts()) < 20 and time.monotonic() < deadline:
                time.sleep(0.05)
            before = acked.counts()
            with acked.lock:
                events, likes = list(acked.events), list(acked.likes)
                adds = list(acked.playlist_adds)
            taken = encore("backup", "--data", str(data), "--to", str(archive))
            during = acked.counts()
            time.sleep(0.3)
        finally:
            stop.set()
            for writer in writers:
                writer.join()
    assert not errors, errors
    assert taken.returncode == 0, taken.stderr
    assert min(before) >= 20, f"the load never got going: {before}"
    assert during[0] > before[0], "no write was acknowledged while the backup ran"

    done = encore("restore", str(archive), "--data", str(restored))
    assert done.returncode == 0, done.stderr
    # The media were backed up by reference: they come back from where the operator keeps them.
    assert "not in" in done.stderr
    shutil.copytree(data / "media", restored / "media")
    checked = encore("backup", "check", "--data", str(restored), "--against", str(archive))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Check passed" in checked.stdout

    with running_encore(restored, timeout_s=90) as server:
        api = Api(server.port)
        try:
            for start in range(0, len(likes), 50):
                chunk = likes[start : start + 50]
                status, body = api.json("GET", f"/api/v1/me/tracks/contains?ids={','.join(chunk)}")
                assert status == 200, body
                assert orjson.loads(body) == [True] * len(chunk)
            longest: dict[str, int] = {}
            for playlist, count in adds:
                longest[playlist] = max(longest.get(playlist, 0), count)
            for playlist, count in longest.items():
                status, body = api.json("GET", f"/api/v1/playlists/{playlist}")
                assert status == 200, body
                assert orjson.loads(body)["tracks"]["total"] >= count
        finally:
            api.close()
        deadline = time.monotonic() + 60
        while not _caught_up(restored):
            assert time.monotonic() < deadline, "the consumers did not catch up on the restore"
            time.sleep(0.1)

    services = bootstrap(load_settings(data_dir=restored), passwords=FAST_PASSWORDS)
    try:
        with services.engine.connect() as connection:
            stored = set(
                connection.execute(
                    select(listening_history.c.event_id).where(
                        listening_history.c.user_id == seeded.user_id
                    )
                ).scalars()
            )
            counted = connection.execute(select(func.sum(track_stats.c.plays))).scalar()
        with services.lake.connect() as lake:
            in_lake = lake.execute("SELECT count(*) FROM listens").fetchone()
    finally:
        services.close()
    missing = {event_id(seeded.user_id, client_id) for client_id in events} - stored
    assert not missing, f"{len(missing)} of {len(events)} acknowledged listens were lost"
    # Each listen the restore holds is counted once, in the statistics and in the lake.
    assert counted == len(stored)
    assert in_lake == (len(stored),)
