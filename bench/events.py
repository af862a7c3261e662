"""Listening events: acknowledged events/s through HTTP and through the log, embedded and JetStream.

    .venv/bin/python bench/events.py [--quick]

Three parts, in one run:

1. HTTP: `POST /api/v1/me/player/events`, batches of 100 distinct events, sent by wrk (a Lua
   script builds each body with fresh event ids), against `encore serve` with the embedded
   SQLite log and with NATS JetStream, alternating rounds. The log's consumers (history, counts,
   popularity, lake) run in an `encore consume` process beside the server; after the rounds the
   benchmark waits for them to apply everything and checks that every acknowledged event is in
   the history exactly once (lost = acknowledged - stored).
2. The log directly: `publish_durably` of batches of 100 from several threads, then the time
   the consumers take to apply those events (in this process), for both logs.
3. Wrapped: 2,000 listeners with a year of generated plays (1,000,000 events) in the lake, the
   batch job timed end to end (DuckDB over Parquet, then storing every summary), and the time
   to serve one stored summary.
"""

import argparse
import os
import random
import secrets
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import (
    BenchError,
    cpu_seconds,
    free_port,
    machine_info,
    median,
    print_table,
    require_wrk,
    serve,
    write_results,
)

NAME = "events"
BATCH = 100
TARGET_HTTP_EVENTS_PER_S = 20_000
# The direct part stops there: the consumers then apply it all, which takes them far longer.
DIRECT_EVENTS = 600_000
NATS_URL = os.environ.get("ENCORE_BENCH_NATS_URL", "nats://127.0.0.1:4222")

# Builds a body of BATCH events with ids unique to the thread and request, rotating tracks;
# counts 202s, and prints them as one JSON line at the end.
POST_SCRIPT = """\
local tracks = {}
for line in io.lines(os.getenv("WRK_TRACKS_FILE")) do
  if line ~= "" then tracks[#tracks + 1] = line end
end
local headers = {["Authorization"] = "Bearer " .. os.getenv("WRK_BEARER"),
                 ["Content-Type"] = "application/json"}
local run = os.getenv("WRK_RUN")
local stamp = os.getenv("WRK_STAMP")
local batch = tonumber(os.getenv("WRK_BATCH"))
local threads = {}
local counter = 0
accepted = 0  -- global: done() reads it from each thread

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local parts = {}
  for i = 1, batch do
    local track = tracks[((counter * batch + i) % #tracks) + 1]
    parts[i] = string.format(
      '{"id":"%s-%d-%d-%d","type":"play_ended","track_id":"%s","timestamp":"%s",' ..
      '"duration_played_ms":60000,"completed":true,"device":"bench"}',
      run, tid, counter, i, track, stamp)
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/v1/me/player/events", headers, body)
end

function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("accepted") end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"accepted":%d,"duration_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p99":%d}}\\n',
    summary.requests, total, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


# --- seeding --------------------------------------------------------------------------------


@dataclass
class Seeded:
    data_dir: Path
    token: str
    user_id: str
    track_ids: list[str]


def _catalog(services: Any, tracks: int, artists: int) -> list[str]:
    from encore.catalog.model import Album, AlbumType, Artist, Track
    from encore.ids import new_id

    now = datetime.now(UTC)
    genres = ["rock", "pop", "jazz", "techno", "folk", "hip hop", "classical", "ambient"]
    made_artists = [
        Artist(id=new_id(), name=f"Artist {n}", sort_name=f"Artist {n}", created_at=now)
        for n in range(artists)
    ]
    albums = [
        Album(
            id=new_id(),
            name=f"Album {n}",
            album_type=AlbumType.ALBUM,
            artist_ids=(artist.id,),
            created_at=now,
        )
        for n, artist in enumerate(made_artists)
    ]
    made = [
        Track(
            id=new_id(),
            album_id=albums[n % artists].id,
            title=f"Track {n}",
            duration_ms=180_000 + (n % 120) * 1000,
            artist_ids=(made_artists[n % artists].id,),
            genres=(genres[n % len(genres)],),
            created_at=now,
        )
        for n in range(tracks)
    ]
    with services.uow() as uow:
        uow.artists.add_many(made_artists)
        uow.albums.add_many(albums)
        uow.tracks.add_many(made)
        uow.commit()
    return [track.id for track in made]


def seed(data_dir: Path, *, tracks: int = 2000) -> Seeded:
    """A listener (who joined a year ago) and their token, and a catalog."""
    from sqlalchemy import update

    from encore.adapters.sql.tables import users
    from encore.bootstrap import bootstrap
    from encore.config import load_settings

    services = bootstrap(load_settings(data_dir=data_dir, access_token_ttl_s=86_400))
    try:
        password = secrets.token_urlsafe(16)
        user = services.accounts.add_user(
            email="bench@example.com", password=password, country="SE"
        )
        with services.engine.begin() as connection:
            connection.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(created_at=datetime.now(UTC) - timedelta(days=365))
            )
        pair = services.accounts.sign_in(email="bench@example.com", password=password)
        track_ids = _catalog(services, tracks, artists=max(1, tracks // 10))
    finally:
        services.close()
    return Seeded(data_dir, pair.access_token, user.id, track_ids)


# --- part 1: HTTP ---------------------------------------------------------------------------


@dataclass
class HttpRun:
    backend: str
    round: int
    events_per_s: float
    acknowledged: int
    p50_ms: float
    p99_ms: float
    server_cpu_s_per_1k_events: float
    consumer_lag_events: int  # behind at the end of the round


def _wrk_post(
    base_url: str, work: Path, seeded: Seeded, *, run: str, connections: int, duration_s: float
) -> dict[str, Any]:
    import json
    import subprocess

    script = work / "post.lua"
    script.write_text(POST_SCRIPT)
    tracks_file = work / "tracks.txt"
    tracks_file.write_text("\n".join(seeded.track_ids) + "\n")
    stamp = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration_s:g}s", "--latency"]
    command += ["--timeout", "10s", "-s", str(script), base_url]
    env = {
        **os.environ,
        "WRK_TRACKS_FILE": str(tracks_file),
        "WRK_BEARER": seeded.token,
        "WRK_RUN": run,
        "WRK_STAMP": stamp,
        "WRK_BATCH": str(BATCH),
    }
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    line = next((x for x in completed.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise BenchError(f"wrk failed: {completed.stdout[-2000:]}{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    errors = {k: v for k, v in result["errors"].items() if v and k != "timeout"}
    if errors or result["errors"]["timeout"]:
        raise BenchError(f"wrk saw failed requests: {result['errors']}")
    return result


def _history_count(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "encore.db") as db:
        return int(db.execute("SELECT count(*) FROM listening_history").fetchone()[0])


def _offsets(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / "encore.db") as db:
        found = dict(db.execute('SELECT consumer, "offset" FROM consumer_offsets').fetchall())
    lake = data_dir / "lake" / "listens.position"
    found["lake"] = int(lake.read_text()) if lake.exists() else 0
    return found


def _log_end(backend: str, data_dir: Path, stream: str) -> int:
    if backend == "sqlite":
        with sqlite3.connect(data_dir / "events.db") as db:
            return int(db.execute('SELECT coalesce(max("offset"), 0) FROM events').fetchone()[0])
    from encore.adapters.events.jetstream import JetStreamEventLog

    log = JetStreamEventLog(NATS_URL, stream=stream)
    try:
        return log.last_offset("listens")
    finally:
        log.close()


def _lags(backend: str, data_dir: Path, stream: str) -> dict[str, int]:
    """Events each consumer has still to apply. JetStream's offsets count messages (times
    `SLOTS`), and every message here holds one batch."""
    end = _log_end(backend, data_dir, stream)
    offsets = _offsets(data_dir)
    lags = {}
    for name in ("history", "lake"):
        behind = max(0, end - offsets.get(name, 0))
        if backend == "nats":
            from encore.adapters.events.jetstream import SLOTS

            behind = (behind + SLOTS - 1) // SLOTS * BATCH
        lags[name] = behind
    return lags


def _lag(backend: str, data_dir: Path, stream: str) -> int:
    """Events the slower consumer has still to apply."""
    return max(_lags(backend, data_dir, stream).values())


@contextmanager
def _consumer_process(
    data_dir: Path, env: dict[str, str], work: Path, consumer: str
) -> Iterator[int]:
    import subprocess

    log = (work / f"consume-{data_dir.name}-{consumer}.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "encore",
            "consume",
            "--consumer",
            consumer,
            "--data",
            str(data_dir),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
    )
    try:
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@dataclass
class SteadyRun:
    """A fixed rate held for a while: do the consumers keep up with it, not only drain later?"""

    backend: str
    target_events_per_s: int
    events_per_s: float  # acknowledged, over the whole phase
    acknowledged: int
    p50_ms: float
    p99_ms: float
    lag_samples: list[int]  # events the slower consumer had still to apply, once a second
    lag_samples_by_consumer: dict[str, list[int]]
    max_lag_events: int
    lag_at_end_events: int
    drain_after_load_s: float
    cores_used: dict[str, float]  # CPU seconds per second: the server and each consumer


def _steady_load(
    base_url: str,
    pids: dict[str, int],
    seeded: Seeded,
    *,
    backend: str,
    stream: str,
    rate: int,
    duration_s: float,
    senders: int = 8,
) -> SteadyRun:
    """POST batches of BATCH events at `rate` events/s, open loop: each sender has its own
    schedule and sends late requests at once rather than dropping them, so a slow server shows
    as a growing queue. The consumers' lag is sampled every second meanwhile."""
    import http.client
    import json
    from urllib.parse import urlsplit

    target = urlsplit(base_url)
    interval = senders * BATCH / rate  # seconds between one sender's requests
    tracks = seeded.track_ids
    stamp = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    headers = {"Authorization": f"Bearer {seeded.token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    failures: list[str] = []
    accepted = [0] * senders
    began = time.monotonic() + 0.2
    stop_at = began + duration_s

    def send(sender: int) -> None:
        connection = http.client.HTTPConnection(target.netloc, timeout=30)
        sent = 0
        while True:
            due = began + sent * interval + sender * interval / senders
            if due >= stop_at:
                break
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            body = json.dumps(
                {
                    "events": [
                        {
                            "id": f"steady-{backend}-{sender}-{sent}-{i}",
                            "type": "play_ended",
                            "track_id": tracks[(sent * BATCH + i) % len(tracks)],
                            "timestamp": stamp,
                            "duration_played_ms": 60_000,
                            "completed": True,
                            "device": "bench",
                        }
                        for i in range(BATCH)
                    ]
                }
            )
            start = time.monotonic()
            connection.request("POST", "/api/v1/me/player/events", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies.append(time.monotonic() - start)
            if response.status == 202:
                accepted[sender] += 1
            else:
                failures.append(f"{response.status}")
            sent += 1
        connection.close()

    threads = [threading.Thread(target=send, args=(n,), daemon=True) for n in range(senders)]
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    for thread in threads:
        thread.start()
    by_consumer: dict[str, list[int]] = {"history": [], "lake": []}
    samples: list[int] = []
    while any(thread.is_alive() for thread in threads):
        time.sleep(1.0)
        lags = _lags(backend, seeded.data_dir, stream)
        for name, lag in lags.items():
            by_consumer[name].append(lag)
        samples.append(max(lags.values()))
    ended = time.monotonic()
    cores = {
        name: round((cpu_seconds(pid) - cpu_before[name]) / (ended - began), 2)
        for name, pid in pids.items()
    }
    if failures:
        raise BenchError(f"{backend}: {len(failures)} batches refused at the steady rate")
    drain_started = time.monotonic()
    while _lag(backend, seeded.data_dir, stream) > 0:
        if time.monotonic() - drain_started > 300:
            raise BenchError(f"{backend}: the consumers did not catch up in 5 minutes")
        time.sleep(0.1)
    latencies.sort()
    acked = sum(accepted) * BATCH
    return SteadyRun(
        backend=backend,
        target_events_per_s=rate,
        events_per_s=acked / (ended - began),
        acknowledged=acked,
        p50_ms=latencies[len(latencies) // 2] * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99)] * 1000,
        lag_samples=samples,
        lag_samples_by_consumer=by_consumer,
        max_lag_events=max(samples, default=0),
        lag_at_end_events=samples[-1] if samples else 0,
        drain_after_load_s=round(time.monotonic() - drain_started, 2),
        cores_used=cores,
    )


def http_part(
    work: Path, *, rounds: int, duration_s: float, connections: int, steady_s: float
) -> tuple[list[HttpRun], list[SteadyRun], dict[str, Any]]:
    require_wrk()
    backends = ["sqlite", "nats"]
    seeded = {b: seed(work / f"http-{b}") for b in backends}
    streams = {b: f"BENCH_{secrets.token_hex(4).upper()}" for b in backends}
    envs = {
        b: {
            "ENCORE_EVENT_LOG": b,
            "ENCORE_NATS_URL": NATS_URL,
            "ENCORE_NATS_STREAM": streams[b],
            "ENCORE_RUN_CONSUMERS": "false",
            "ENCORE_DATA": "",
        }
        for b in backends
    }
    servers_py = str(Path(__file__).resolve().parent / "servers.py")
    runs: list[HttpRun] = []
    checks: dict[str, Any] = {}
    with _both_servers(work, seeded, envs, servers_py) as servers:
        for round_number in range(rounds + 1):  # round 0 warms up
            for backend in backends:
                server, pids = servers[backend]
                server_pid = pids["server"]
                before = cpu_seconds(server_pid)
                result = _wrk_post(
                    server.base_url,
                    work,
                    seeded[backend],
                    run=f"r{round_number}",
                    connections=connections,
                    duration_s=duration_s if round_number else min(3.0, duration_s),
                )
                used = cpu_seconds(server_pid) - before
                acked = result["accepted"] * BATCH
                seconds = result["duration_us"] / 1e6
                runs.append(
                    HttpRun(
                        backend=backend,
                        round=round_number,
                        events_per_s=acked / seconds,
                        acknowledged=acked,
                        p50_ms=result["latency_us"]["p50"] / 1000,
                        p99_ms=result["latency_us"]["p99"] / 1000,
                        server_cpu_s_per_1k_events=used / max(acked, 1) * 1000,
                        consumer_lag_events=_lag(
                            backend, seeded[backend].data_dir, streams[backend]
                        ),
                    )
                )
                print(
                    f"  {backend} round {round_number}: {acked / seconds:,.0f} events/s", flush=True
                )
        drained = {}
        for backend in backends:
            started = time.monotonic()
            while _lag(backend, seeded[backend].data_dir, streams[backend]) > 0:
                if time.monotonic() - started > 300:
                    raise BenchError(f"{backend}: the consumers did not catch up in 5 minutes")
                time.sleep(0.2)
            drained[backend] = round(time.monotonic() - started, 2)
        # Flat out, wrk takes whatever the consumers leave of two cores; at the target rate the
        # consumers must keep up as it goes.
        steady = []
        for backend in backends:
            server, pids = servers[backend]
            steady.append(
                _steady_load(
                    server.base_url,
                    pids,
                    seeded[backend],
                    backend=backend,
                    stream=streams[backend],
                    rate=TARGET_HTTP_EVENTS_PER_S,
                    duration_s=steady_s,
                )
            )
            print(
                f"  {backend} steady {TARGET_HTTP_EVENTS_PER_S:,} events/s: "
                f"lag at most {steady[-1].max_lag_events:,} events, cores {steady[-1].cores_used}",
                flush=True,
            )
        for backend in backends:
            acked = sum(r.acknowledged for r in runs if r.backend == backend)
            acked += sum(r.acknowledged for r in steady if r.backend == backend)
            stored = _history_count(seeded[backend].data_dir)
            checks[backend] = {
                "acknowledged": acked,
                "stored_in_history": stored,
                "lost": max(0, acked - stored),
                "drain_after_load_s": drained[backend],
            }
    _delete_stream(streams["nats"])
    return runs, steady, checks


@contextmanager
def _both_servers(
    work: Path, seeded: dict[str, Seeded], envs: dict[str, dict[str, str]], servers_py: str
) -> Iterator[dict[str, Any]]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        found = {}
        for backend, env in envs.items():
            port = free_port()
            server = stack.enter_context(
                serve(
                    f"encore-{backend}",
                    [
                        sys.executable,
                        servers_py,
                        "encore",
                        "--data",
                        str(seeded[backend].data_dir),
                        "--port",
                        str(port),
                    ],
                    port=port,
                    ready_path="/healthz",
                    log_dir=work,
                    env=env,
                )
            )
            # A process per consumer, as at scale: each has a core to itself when one is free.
            consumers = {
                consumer: stack.enter_context(
                    _consumer_process(seeded[backend].data_dir, env, work, consumer)
                )
                for consumer in ("history", "lake")
            }
            found[backend] = (server, {"server": server.process.pid, **consumers})
        yield found


def _delete_stream(stream: str) -> None:
    from encore.adapters.events.jetstream import JetStreamEventLog

    log = JetStreamEventLog(NATS_URL, stream=stream)
    try:
        log.delete_stream()
    finally:
        log.close()


# --- part 2: the log directly ---------------------------------------------------------------


def _payloads(user_id: str, track_ids: list[str], run: str, count: int) -> list[dict[str, Any]]:
    from encore.history.service import event_id

    now = datetime.now(UTC) - timedelta(minutes=1)
    stamp = now.isoformat()
    return [
        {
            "id": event_id(user_id, f"{run}-{n}"),
            "user_id": user_id,
            "track_id": track_ids[n % len(track_ids)],
            "type": "play_ended",
            "listened_at": stamp,
            "duration_played_ms": 60_000,
            "completed": True,
            "context_type": None,
            "context_id": None,
            "device": "bench",
            "country": "SE",
            "received_at": stamp,
        }
        for n in range(count)
    ]


def _publish_for(
    log: Any, pool: list[dict[str, Any]], *, threads: int, duration_s: float
) -> tuple[int, float]:
    """Publish batches durably from threads for a while, or until `DIRECT_EVENTS` are out:
    (events, seconds). Events are copies of the pool's with fresh ids (each event distinct, as
    the HTTP part's)."""
    published = [0] * threads
    stop = threading.Event()
    per_worker = DIRECT_EVENTS // threads

    def publish(worker: int) -> None:
        n = 0
        while not stop.is_set() and published[worker] < per_worker:
            start = (n * BATCH) % (len(pool) - BATCH)
            batch = [
                {**event, "id": f"w{worker}-{n}-{i}"}
                for i, event in enumerate(pool[start : start + BATCH])
            ]
            log.publish_durably("listens", batch)
            published[worker] += BATCH
            n += 1

    workers = [threading.Thread(target=publish, args=(w,)) for w in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    workers[0].join(duration_s)
    stop.set()
    for worker in workers:
        worker.join()
    return sum(published), time.monotonic() - started


def log_part(work: Path, *, duration_s: float, threads: int) -> list[dict[str, Any]]:
    from encore.adapters.events.jetstream import JetStreamEventLog
    from encore.adapters.events.sqlite_log import SqliteEventLog
    from encore.adapters.lake.parquet import ParquetLake
    from encore.adapters.sql.engine import make_engine
    from encore.adapters.sql.unit_of_work import SqlUnitOfWorkFactory
    from encore.consumers import ConsumerRunner
    from encore.history.consumers import HistoryConsumer, LakeConsumer

    results = []
    for backend in ("sqlite", "nats"):
        seeded = seed(work / f"log-{backend}")
        stream = f"BENCH_{secrets.token_hex(4).upper()}"
        log: Any = (
            SqliteEventLog(seeded.data_dir / "bench-events.db")
            if backend == "sqlite"
            else JetStreamEventLog(NATS_URL, stream=stream)
        )
        pool = _payloads(seeded.user_id, seeded.track_ids, backend, 10_000)
        total, elapsed = _publish_for(log, pool, threads=threads, duration_s=duration_s)
        engine = make_engine(f"sqlite:///{seeded.data_dir / 'encore.db'}")
        consumers = {
            "history": HistoryConsumer(SqlUnitOfWorkFactory(engine)),
            "lake": LakeConsumer(ParquetLake(seeded.data_dir / "bench-lake")),
        }
        applied = {}
        for name, consumer in consumers.items():
            began = time.monotonic()
            ConsumerRunner(log, [consumer]).catch_up(timeout_s=600)
            applied[name] = total / (time.monotonic() - began)
        with engine.connect() as connection:
            from sqlalchemy import text

            stored = connection.execute(text("SELECT count(*) FROM listening_history")).scalar()
        engine.dispose()
        if backend == "nats":
            log.delete_stream()
        log.close()
        results.append(
            {
                "backend": backend,
                "threads": threads,
                "acknowledged": total,
                "events_per_s": total / elapsed,
                "history_consumer_events_per_s": applied["history"],
                "lake_consumer_events_per_s": applied["lake"],
                "lost": max(0, total - int(stored or 0)),
            }
        )
        print(f"  log {backend}: {total / elapsed:,.0f} events/s", flush=True)
    return results


# --- part 3: Wrapped ------------------------------------------------------------------------


def wrapped_part(work: Path, *, users: int, events: int) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from encore.accounts.model import Plan, User
    from encore.adapters.lake.parquet import SCHEMA
    from encore.bootstrap import bootstrap
    from encore.config import load_settings
    from encore.ids import new_id

    data_dir = work / "wrapped"
    services = bootstrap(load_settings(data_dir=data_dir))
    try:
        track_ids = _catalog(services, 20_000, artists=2_000)
        joined = datetime(2024, 1, 1, tzinfo=UTC)
        listeners = [
            User(new_id(), f"l{n}@example.com", "x", f"L{n}", "SE", Plan.FREE, False, joined)
            for n in range(users)
        ]
        with services.uow() as uow:
            for user in listeners:
                uow.users.add(user)
            uow.commit()
        print(f"  generating {events:,} plays of {users:,} listeners ...", flush=True)
        generated = time.monotonic()
        _generate_lake(services.lake.root / "listens", listeners, track_ids, events, SCHEMA, pa, pq)
        generated_s = time.monotonic() - generated
        started = time.monotonic()
        computed = services.wrapped.compute(year=2026)
        compute_s = time.monotonic() - started
        serve_times = []
        for user in listeners[:200]:
            began = time.perf_counter()
            services.wrapped.get(user_id=user.id, year=2026)
            serve_times.append(time.perf_counter() - began)
    finally:
        services.close()
    return {
        "listeners": users,
        "events": events,
        "summaries_stored": computed,
        "generate_lake_s": round(generated_s, 2),
        "compute_s": round(compute_s, 2),
        "target_s": 60,
        "serve_one_median_ms": round(median(serve_times) * 1000, 3),
    }


def _generate_lake(
    root: Path,
    listeners: list[Any],
    track_ids: list[str],
    events: int,
    schema: Any,
    pa: Any,
    pq: Any,
) -> None:
    """A year of plays (a tenth of them in 2025, for discoveries), one Parquet file per day, in
    the lake's layout; each listener keeps to a few hundred favourite tracks."""
    rng = random.Random(2026)
    favourites = {u.id: rng.sample(track_ids, 300) for u in listeners}
    days = [date(2025, 7, 1) + timedelta(days=n) for n in range(549)]
    per_day = events // len(days)
    offset = 0
    user_ids = [u.id for u in listeners]
    for day in days:
        count = per_day + (1 if day == days[-1] else 0) * (events - per_day * len(days))
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        who = rng.choices(user_ids, k=count)
        columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        for user_id in who:
            offset += 1
            skipped = rng.random() < 0.2
            columns["id"].append(f"g{offset}")
            columns["user_id"].append(user_id)
            columns["track_id"].append(rng.choice(favourites[user_id]))
            columns["type"].append("skipped" if skipped else "play_ended")
            columns["listened_at"].append(start + timedelta(seconds=rng.randrange(86_400)))
            columns["duration_played_ms"].append(
                rng.randrange(5_000, 30_000) if skipped else 200_000
            )
            columns["completed"].append(not skipped)
            columns["context_type"].append("album")
            columns["context_id"].append(None)
            columns["device"].append("bench")
            columns["country"].append("SE")
            columns["received_at"].append(start)
            columns["offset"].append(offset)
        folder = root / f"day={day.isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pydict(columns, schema=schema)
        pq.write_table(table, folder / f"part-{offset:015d}.parquet")


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short rounds, a smaller Wrapped")
    parser.add_argument("--rounds", type=int, help="HTTP rounds per log (default 3, quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per round (default 10, quick 4)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--steady", type=float, help="seconds at the target rate (default 30, quick 8)"
    )
    parser.add_argument("--threads", type=int, default=8, help="publishers for the direct part")
    parser.add_argument("--skip", action="append", default=[], choices=["http", "log", "wrapped"])
    args = parser.parse_args(argv)
    machine = machine_info()
    rounds = args.rounds or (1 if args.quick else 3)
    duration_s = args.duration or (4.0 if args.quick else 10.0)
    payload: dict[str, Any] = {
        "what": "Listening events acknowledged per second (HTTP batches of 100, and the log "
        "directly), embedded SQLite log vs NATS JetStream; Wrapped's batch job",
        "parameters": {
            "batch": BATCH,
            "rounds": rounds,
            "duration_s": duration_s,
            "connections": args.connections,
            "publisher_threads": args.threads,
        },
    }
    with tempfile.TemporaryDirectory(prefix="encore-bench-events-") as temp:
        work = Path(temp)
        if "http" not in args.skip:
            print("HTTP: wrk against encore serve, SQLite log and JetStream", flush=True)
            runs, steady, checks = http_part(
                work,
                rounds=rounds,
                duration_s=duration_s,
                connections=args.connections,
                steady_s=args.steady or (8.0 if args.quick else 30.0),
            )
            measured = [r for r in runs if r.round > 0]
            medians = {
                b: {
                    "events_per_s": median([r.events_per_s for r in measured if r.backend == b]),
                    "p99_ms": median([r.p99_ms for r in measured if r.backend == b]),
                    "server_cpu_s_per_1k_events": median(
                        [r.server_cpu_s_per_1k_events for r in measured if r.backend == b]
                    ),
                }
                for b in ("sqlite", "nats")
            }
            payload["http"] = {
                "medians": medians,
                "jetstream_vs_sqlite": medians["nats"]["events_per_s"]
                / medians["sqlite"]["events_per_s"],
                "target_events_per_s": TARGET_HTTP_EVENTS_PER_S,
                "checks": checks,
                "runs": [r.__dict__ for r in runs],
                "steady": [r.__dict__ for r in steady],
            }
            print_table(
                "HTTP, batches of 100 (medians)",
                ["log", "events/s", "p99 ms", "server CPU s / 1k events", "lost", "drain s"],
                [
                    [
                        b,
                        m["events_per_s"],
                        m["p99_ms"],
                        m["server_cpu_s_per_1k_events"],
                        checks[b]["lost"],
                        checks[b]["drain_after_load_s"],
                    ]
                    for b, m in medians.items()
                ],
            )
            print_table(
                f"HTTP at a steady {TARGET_HTTP_EVENTS_PER_S:,} events/s: "
                "do the consumers keep up?",
                ["log", "events/s", "p50 ms", "p99 ms", "max lag", "lag at end", "drain s"],
                [
                    [
                        r.backend,
                        r.events_per_s,
                        r.p50_ms,
                        r.p99_ms,
                        r.max_lag_events,
                        r.lag_at_end_events,
                        r.drain_after_load_s,
                    ]
                    for r in steady
                ],
            )
        if "log" not in args.skip:
            print("The log directly: publish_durably from threads, then the consumers", flush=True)
            direct = log_part(work, duration_s=duration_s, threads=args.threads)
            payload["log"] = direct
            print_table(
                "The log directly, batches of 100",
                ["log", "events/s", "history consumer ev/s", "lake consumer ev/s", "lost"],
                [
                    [
                        d["backend"],
                        d["events_per_s"],
                        d["history_consumer_events_per_s"],
                        d["lake_consumer_events_per_s"],
                        d["lost"],
                    ]
                    for d in direct
                ],
            )
        if "wrapped" not in args.skip:
            users, events = (200, 100_000) if args.quick else (2_000, 1_000_000)
            print(f"Wrapped: {users:,} listeners, {events:,} events", flush=True)
            payload["wrapped"] = wrapped_part(work, users=users, events=events)
            w = payload["wrapped"]
            print_table(
                "Wrapped 2026",
                ["listeners", "events", "compute s", "target s", "serve one ms"],
                [[w["listeners"], w["events"], w["compute_s"], 60, w["serve_one_median_ms"]]],
            )
    path = write_results(NAME, payload, machine=machine)
    print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
