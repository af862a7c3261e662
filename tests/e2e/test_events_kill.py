"""kill -9 during a flood of listening events: no acknowledged event lost, none counted twice."""

import http.client
import json
import os
import secrets
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from encore.adapters.events.jetstream import JetStreamEventLog
from encore.adapters.sql.tables import consumer_offsets, listening_history, track_stats, users
from encore.bootstrap import bootstrap
from encore.config import load_settings
from encore.history.service import event_id
from tests import servers
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import FAST_PASSWORDS, PASSWORD
from tests.e2e.running import running_encore

EMAIL = "flood@example.com"
BATCH = 100


def _seed(data: Path, settings: dict[str, str]) -> tuple[str, list[str]]:
    services = bootstrap(load_settings(data_dir=data, **settings), passwords=FAST_PASSWORDS)
    try:
        user = services.accounts.add_user(email=EMAIL, password=PASSWORD, country="SE")
        with services.engine.begin() as connection:
            connection.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(created_at=datetime.now(UTC) - timedelta(days=1))
            )
        return user.id, add_tracks(services, 20)
    finally:
        services.close()


def _token(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        return _sign_in(connection)
    finally:
        connection.close()


def _sign_in(connection: http.client.HTTPConnection) -> str:
    body = f"grant_type=password&username={EMAIL}&password={PASSWORD.replace(' ', '+')}"
    connection.request(
        "POST",
        "/api/v1/auth/token",
        body,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = connection.getresponse()
    assert answer.status == 200
    return str(json.loads(answer.read())["access_token"])


def _batch(sender: int, number: int, tracks: list[str]) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    return [
        {
            "id": f"s{sender}-b{number}-e{n}",
            "type": "play_ended",
            "track_id": tracks[n % len(tracks)],
            "timestamp": (now - timedelta(seconds=n)).isoformat(),
            "duration_played_ms": 60_000,
            "completed": True,
        }
        for n in range(BATCH)
    ]


def _flood(
    port: int, token: str, sender: int, tracks: list[str], acked: list[str], stop: threading.Event
) -> None:
    """Post batches until the server dies; note each acknowledged event's client id."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        _send(connection, token, sender, tracks, acked, stop)
    finally:
        connection.close()


def _send(
    connection: http.client.HTTPConnection,
    token: str,
    sender: int,
    tracks: list[str],
    acked: list[str],
    stop: threading.Event,
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    number = 0
    while not stop.is_set():
        events = _batch(sender, number, tracks)
        try:
            connection.request(
                "POST", "/api/v1/me/player/events", json.dumps({"events": events}), headers
            )
            answer = connection.getresponse()
            body = answer.read()
        except (OSError, http.client.HTTPException):
            # Killed, before the answer or midway through its body (IncompleteRead): this
            # batch was never acknowledged.
            return
        assert answer.status == 202, body
        acked.extend(str(e["id"]) for e in events)
        number += 1


def _consumed(data: Path, log_end: Callable[[], int]) -> bool:
    """Whether both consumers have applied everything the log holds."""
    last = log_end()
    with sqlite3.connect(data / "encore.db") as db:
        history = db.execute(
            "SELECT \"offset\" FROM consumer_offsets WHERE consumer = 'history'"
        ).fetchone()
    lake = data / "lake" / "listens.position"
    return (
        history is not None
        and history[0] == last
        and lake.exists()
        and int(lake.read_text()) == last
    )


@pytest.fixture(params=["sqlite", pytest.param("nats", marks=pytest.mark.nats)])
def log_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The event log the server uses: its settings, as `load_settings` takes them."""
    if request.param == "sqlite":
        yield {}
        return
    settings = {
        "event_log": "nats",
        "nats_url": servers.nats_url(),
        "nats_stream": f"ENCORE_KILL_{secrets.token_hex(4).upper()}",
    }
    yield settings
    log = JetStreamEventLog(settings["nats_url"], stream=settings["nats_stream"])
    log.delete_stream()
    log.close()


def _log_end(data: Path, settings: dict[str, str]) -> Callable[[], int]:
    if not settings:

        def sqlite_end() -> int:
            with sqlite3.connect(data / "events.db") as log:
                return int(log.execute('SELECT MAX("offset") FROM events').fetchone()[0] or 0)

        return sqlite_end

    def jetstream_end() -> int:
        log = JetStreamEventLog(settings["nats_url"], stream=settings["nats_stream"])
        try:
            return log.last_offset("listens")
        finally:
            log.close()

    return jetstream_end


@pytest.mark.slow
def test_kill_9_during_a_flood_loses_no_acknowledged_event_and_counts_none_twice(
    tmp_path: Path, log_settings: dict[str, str]
) -> None:
    data = tmp_path / "instance"
    user_id, tracks = _seed(data, log_settings)
    env = {f"ENCORE_{name.upper()}": value for name, value in log_settings.items()}
    env["ENCORE_RATE_LIMITS"] = "false"  # four players flooding, far past any person's pace
    acked: list[str] = []
    with running_encore(data, env=env) as server:
        assert server.process is not None
        token = _token(server.port)
        stop = threading.Event()
        senders = [
            threading.Thread(target=_flood, args=(server.port, token, n, tracks, acked, stop))
            for n in range(4)
        ]
        for sender in senders:
            sender.start()
        deadline = time.monotonic() + 30
        while len(acked) < 3_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(server.process.pid, signal.SIGKILL)
        stop.set()
        for sender in senders:
            sender.join()
        server.process.wait()
    assert len(acked) >= 3_000, "the flood never got going"
    with running_encore(data, env=env) as server:
        # A player retries its last acknowledged batch after the outage: it must change nothing.
        token = _token(server.port)
        sender, number = acked[-1].split("-")[:2]
        retry = _batch(int(sender[1:]), int(number[1:]), tracks)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request(
                "POST",
                "/api/v1/me/player/events",
                json.dumps({"events": retry}),
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            answer = connection.getresponse()
            assert answer.status == 202, answer.read()
            answer.read()
        finally:
            connection.close()
        deadline = time.monotonic() + 60
        while not _consumed(data, _log_end(data, log_settings)):
            assert time.monotonic() < deadline, "the consumers did not catch up after restart"
            time.sleep(0.1)
    services = bootstrap(load_settings(data_dir=data, **log_settings), passwords=FAST_PASSWORDS)
    try:
        with services.engine.connect() as connection:
            stored = set(
                connection.execute(
                    select(listening_history.c.event_id).where(
                        listening_history.c.user_id == user_id
                    )
                ).scalars()
            )
            counted = connection.execute(select(func.sum(track_stats.c.plays))).scalar()
            assert connection.execute(select(func.count()).select_from(consumer_offsets)).scalar()
        with services.lake.connect() as lake:
            in_lake = lake.execute("SELECT count(*) FROM listens").fetchone()
    finally:
        services.close()
    missing = {event_id(user_id, client_id) for client_id in acked} - stored
    assert not missing, f"{len(missing)} acknowledged events were lost"
    # Every stored listen counted exactly once (unacknowledged ones may have landed too).
    assert counted == len(stored)
    assert in_lake == (len(stored),)
