"""GET /api/v1/tracks/{id} under 64 connections, against a bare Starlette route on the same stack.

Both servers run uvicorn exactly as `encore serve` does (uvloop, httptools, no access log, one
process) and take turns under the same wrk load, so the ratio encore/bare is the share of the
framework's ceiling that Encore keeps. Target: at least 0.4 (a bare FastAPI route: about 0.33).

    .venv/bin/python bench/api_track_read.py [--quick]
"""

import argparse
import csv
import datetime as dt
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    DATA_DIR,
    LOOPBACK,
    Run,
    Server,
    WrkLoad,
    free_port,
    http_get,
    machine_info,
    measure,
    median,
    pinned,
    prepare_wrk_load,
    print_table,
    ratio,
    require_wrk,
    serve,
    write_results,
)

NAME = "api_track_read"
SONGS_CSV = DATA_DIR / "spotify-songs" / "spotify_songs.csv"
TARGET_RATIO = 0.4
TOKEN_TTL_S = 86_400
EMAIL = "bench@example.com"
PASSWORD = "benchmark-password"  # noqa: S105 (a throwaway account in a temporary directory)
# Seed's figures (ARCHITECTURE.md, "Scale on paper").
FLEET_READS_PER_S = 200_000
TARGETS = ("bare", "encore")


@dataclass(frozen=True)
class Seeded:
    track_ids: list[str]
    token: str
    source: str


# --- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SongRow:
    track_id: str
    title: str
    artist: str
    album_id: str
    album_name: str
    release_date: str
    popularity: int
    duration_ms: int
    genres: tuple[str, ...]


def spotify_rows(path: Path, limit: int) -> Iterator[SongRow]:
    """The first `limit` unique tracks of the Spotify songs file, skipping incomplete rows."""
    from encore.ids import is_valid_id

    seen: set[str] = set()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if len(seen) >= limit:
                return
            track_id = row["track_id"]
            title, artist = row["track_name"].strip(), row["track_artist"].strip()
            album_id, album_name = row["track_album_id"], row["track_album_name"].strip()
            if not (title and artist and album_name) or track_id in seen:
                continue
            if not (is_valid_id(track_id) and is_valid_id(album_id)):
                continue
            seen.add(track_id)
            yield SongRow(
                track_id=track_id,
                title=title,
                artist=artist,
                album_id=album_id,
                album_name=album_name,
                release_date=row["track_album_release_date"],
                popularity=int(row["track_popularity"] or 0),
                duration_ms=int(row["duration_ms"] or 0),
                genres=tuple(g for g in (row["playlist_genre"], row["playlist_subgenre"]) if g),
            )


def synthetic_rows(limit: int) -> Iterator[SongRow]:
    from encore.ids import new_id

    albums = [new_id() for _ in range(max(1, limit // 10))]
    for index in range(limit):
        yield SongRow(
            track_id=new_id(),
            title=f"Synthetic track {index}",
            artist=f"Synthetic artist {index % 97}",
            album_id=albums[index % len(albums)],
            album_name=f"Synthetic album {index % len(albums)}",
            release_date="2020-01-01",
            popularity=index % 101,
            duration_ms=180_000 + index,
            genres=("pop",),
        )


def _release(text: str) -> tuple[dt.date | None, Any]:
    from encore.catalog.model import DatePrecision

    parts = text.split("-")
    try:
        if len(parts) == 1:
            return dt.date(int(parts[0]), 1, 1), DatePrecision.YEAR
        if len(parts) == 2:
            return dt.date(int(parts[0]), int(parts[1]), 1), DatePrecision.MONTH
        return dt.date.fromisoformat(text), DatePrecision.DAY
    except ValueError:
        return None, None


def seed(data_dir: Path, track_count: int) -> Seeded:
    """A catalog of real tracks (or synthetic ones), one listener and their access token."""
    from encore.accounts.model import Plan
    from encore.accounts.passwords import Passwords
    from encore.bootstrap import bootstrap
    from encore.catalog.model import Album, AlbumType, Artist, Track
    from encore.config import load_settings
    from encore.ids import new_id

    if SONGS_CSV.is_file():
        rows = list(spotify_rows(SONGS_CSV, track_count))
        source = f"{SONGS_CSV.name}: first {len(rows)} unique complete tracks"
    else:
        print(f"note: {SONGS_CSV} is absent; seeding a synthetic catalog instead")
        rows = list(synthetic_rows(track_count))
        source = f"synthetic catalog of {len(rows)} tracks ({SONGS_CSV} absent)"

    settings = load_settings(data_dir=data_dir, access_token_ttl_s=TOKEN_TTL_S)
    services = bootstrap(settings, passwords=Passwords(time_cost=1, memory_cost_kib=1024))
    try:
        artists: dict[str, str] = {}
        albums: set[str] = set()
        for row in rows:
            if row.artist not in artists:
                artist = Artist(id=new_id(), name=row.artist, sort_name=row.artist)
                artists[row.artist] = services.catalog.add_artist(artist).id
            artist_id = artists[row.artist]
            if row.album_id not in albums:
                release_date, precision = _release(row.release_date)
                album = Album(
                    id=row.album_id,
                    name=row.album_name,
                    album_type=AlbumType.ALBUM,
                    artist_ids=(artist_id,),
                    release_date=release_date,
                    release_date_precision=precision,
                )
                services.catalog.add_album(album)
                albums.add(row.album_id)
            track = Track(
                id=row.track_id,
                album_id=row.album_id,
                title=row.title,
                duration_ms=row.duration_ms,
                artist_ids=(artist_id,),
                popularity=row.popularity,
                genres=row.genres,
            )
            services.catalog.add_track(track)
        services.accounts.add_user(email=EMAIL, password=PASSWORD, country="SE", plan=Plan.PREMIUM)
        token = services.accounts.sign_in(email=EMAIL, password=PASSWORD).access_token
    finally:
        services.close()
    return Seeded(track_ids=[row.track_id for row in rows], token=token, source=source)


# --- measuring -------------------------------------------------------------------------------


def summarize(runs: list[Run]) -> dict[str, Any]:
    medians: dict[str, dict[str, float]] = {}
    for target in TARGETS:
        mine = [r for r in runs if r.target == target]
        medians[target] = {
            "requests_per_s": median([r.wrk.requests_per_s for r in mine]),
            "p50_ms": median([r.wrk.p50_ms for r in mine]),
            "p99_ms": median([r.wrk.p99_ms for r in mine]),
            "server_cpu_us_per_request": median([r.cpu_us_per_request for r in mine]),
        }
    rounds = sorted({r.round for r in runs if r.round > 0})
    by_key = {(r.target, r.round): r for r in runs}
    pair_ratios = [
        ratio(by_key["encore", n].wrk.requests_per_s, by_key["bare", n].wrk.requests_per_s)
        for n in rounds
    ]
    rps_ratio = ratio(medians["encore"]["requests_per_s"], medians["bare"]["requests_per_s"])
    return {
        "medians": medians,
        "ratios": {
            "encore_over_bare_rps_of_medians": rps_ratio,
            "encore_over_bare_rps_median_of_pairs": median(pair_ratios),
            "encore_over_bare_rps_per_pair": pair_ratios,
            "bare_over_encore_cpu_per_request": ratio(
                medians["bare"]["server_cpu_us_per_request"],
                medians["encore"]["server_cpu_us_per_request"],
            ),
        },
        "target": {
            "encore_over_bare_rps_at_least": TARGET_RATIO,
            "met": rps_ratio >= TARGET_RATIO,
        },
    }


def on_paper(encore_rps: float) -> dict[str, Any]:
    """Arithmetic, not a measurement: the fleet that the measured per-core figure implies."""
    cores = math.ceil(FLEET_READS_PER_S / encore_rps)
    return {
        "note": "arithmetic, not a measurement: measured per-core rps x cores, linear scaling",
        "per_core_requests_per_s": encore_rps,
        "fleet_catalog_reads_per_s": FLEET_READS_PER_S,
        "cores_needed": cores,
        "nodes_needed_8_cores": math.ceil(cores / 8),
        "nodes_needed_32_cores": math.ceil(cores / 32),
    }


# --- the benchmark ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 4 s instead of 5 x 10 s")
    parser.add_argument("--rounds", type=int, help="alternating rounds (default 5, quick 3)")
    parser.add_argument("--duration", type=float, help="seconds per run (default 10, quick 4)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--tracks", type=int, default=2000, help="catalog size (default 2000)")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin server and wrk to separate CPUs"
    )
    args = parser.parse_args(argv)
    require_wrk()
    machine = machine_info()
    rounds = args.rounds or (3 if args.quick else 5)
    duration_s = args.duration or (4.0 if args.quick else 10.0)
    warmup_s = 3.0 if args.quick else 5.0
    # Two cores: the server on one, wrk on the other, so they never fight over one core.
    pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2
    server_cpu, wrk_cpu = (0, 1) if pin else (None, None)

    with tempfile.TemporaryDirectory(prefix="encore-bench-") as temp:
        work = Path(temp)
        data_dir = work / "data"
        print(f"Seeding a catalog in {data_dir} ...", flush=True)
        seeded = seed(data_dir, args.tracks)
        print(f"  {seeded.source}", flush=True)
        paths = [f"/api/v1/tracks/{track_id}" for track_id in seeded.track_ids]
        load = prepare_wrk_load(work, paths, seeded.token)
        python = sys.executable
        servers_py = str(Path(__file__).resolve().parent / "servers.py")
        encore_port = free_port()
        encore_command = [python, servers_py, "encore", "--data", str(data_dir)]
        encore_command += ["--port", str(encore_port)]
        with serve(
            "encore",
            pinned(encore_command, server_cpu),
            port=encore_port,
            ready_path="/healthz",
            log_dir=work,
        ) as encore:
            body = http_get(encore.base_url + paths[0], {"Authorization": f"Bearer {seeded.token}"})
            body_file = work / "track.json"
            body_file.write_bytes(body)
            bare_port = free_port()
            bare_command = [python, servers_py, "bare", "--body-file", str(body_file)]
            bare_command += ["--port", str(bare_port)]
            with serve(
                "bare",
                pinned(bare_command, server_cpu),
                port=bare_port,
                ready_path=paths[0],
                log_dir=work,
            ) as bare:
                if http_get(bare.base_url + paths[0]) != body:
                    raise SystemExit("the bare server does not answer Encore's bytes")
                runs = run_rounds(
                    (bare, encore),
                    load,
                    rounds=rounds,
                    warmup_s=warmup_s,
                    duration_s=duration_s,
                    connections=args.connections,
                    wrk_cpu=wrk_cpu,
                )

    summary = summarize([r for r in runs if r.round > 0])
    report(runs, summary, body_bytes=len(body))
    paper = on_paper(summary["medians"]["encore"]["requests_per_s"])
    path = write_results(
        NAME,
        {
            "what": "GET /api/v1/tracks/{id}: Encore vs a bare Starlette route, same uvicorn",
            "parameters": {
                "connections": args.connections,
                "wrk_threads": 1,
                "rounds": rounds,
                "duration_s": duration_s,
                "warmup_s": warmup_s,
                "tracks": len(seeded.track_ids),
                "catalog_source": seeded.source,
                "response_bytes": len(body),
                "pinned": {"server_cpu": server_cpu, "wrk_cpu": wrk_cpu} if pin else None,
                "uvicorn": "loop=uvloop http=httptools access_log=False, one process",
            },
            **summary,
            "runs": [r.as_dict() for r in runs],
            "on_paper": paper,
        },
        machine=machine,
    )
    print(
        f"On paper (arithmetic, not a measurement): {FLEET_READS_PER_S:,} catalog reads/s at "
        f"{paper['per_core_requests_per_s']:,.0f} rps per core = {paper['cores_needed']:,} cores "
        f"(~{paper['nodes_needed_8_cores']:,} 8-core nodes)."
    )
    print(f"Wrote {path}")
    return 0


def run_rounds(
    servers: tuple[Server, Server],
    load: WrkLoad,
    *,
    rounds: int,
    warmup_s: float,
    duration_s: float,
    connections: int,
    wrk_cpu: int | None,
) -> list[Run]:
    """A warm-up (round 0, which also fills Encore's document cache), then alternating runs."""
    runs: list[Run] = []
    for round_ in range(rounds + 1):
        for server in servers:
            seconds = warmup_s if round_ == 0 else duration_s
            run = measure(
                server,
                load,
                round_=round_,
                connections=connections,
                duration_s=seconds,
                cpu=wrk_cpu,
            )
            label = "warm-up" if round_ == 0 else f"round {round_}/{rounds}"
            print(
                f"  {label:<11} {server.name:<6} {run.wrk.requests_per_s:>9,.0f} rps  "
                f"p50 {run.wrk.p50_ms:6.2f} ms  p99 {run.wrk.p99_ms:6.2f} ms  "
                f"server CPU {run.cpu_us_per_request:6.1f} us/req",
                flush=True,
            )
            runs.append(run)
    return runs


def report(runs: list[Run], summary: dict[str, Any], *, body_bytes: int) -> None:
    medians = summary["medians"]
    ratios = summary["ratios"]
    measured = [r for r in runs if r.round > 0]
    rows: list[list[object]] = []
    for target in TARGETS:
        figures = medians[target]
        rows.append(
            [
                target,
                sum(1 for r in measured if r.target == target),
                figures["requests_per_s"],
                figures["p50_ms"],
                figures["p99_ms"],
                figures["server_cpu_us_per_request"],
            ]
        )
    print()
    print_table(
        f"GET /api/v1/tracks/{{id}} ({body_bytes} B), medians over runs, {LOOPBACK}",
        ["target", "runs", "requests/s", "p50 ms", "p99 ms", "server CPU us/req"],
        rows,
    )
    met = summary["target"]["met"]
    print(
        f"encore/bare requests/s: {ratios['encore_over_bare_rps_of_medians']:.3f} (of medians), "
        f"{ratios['encore_over_bare_rps_median_of_pairs']:.3f} (median of per-round pairs: "
        + ", ".join(f"{x:.3f}" for x in ratios["encore_over_bare_rps_per_pair"])
        + ")"
    )
    print(
        f"target: >= {TARGET_RATIO} of the ceiling -> {'MET' if met else 'NOT MET'}",
    )


if __name__ == "__main__":
    sys.exit(main())
