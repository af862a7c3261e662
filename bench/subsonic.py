"""The Subsonic API against the main JSON API: search3 and getAlbumList2, requests/s and p99 at
32 connections, on the real catalog imported through the metadata feed.

- search3 (`/rest/search3.view`, token auth, `f=json`, 20 artists, albums and songs) against
  `GET /api/v1/search?type=artist,album,track&limit=20`, both rotating through the relevance
  suite's queries;
- getAlbumList2 (`alphabeticalByName` and `newest`, 20 albums a page, rotating pages) against
  the main API's closest read, `GET /api/v1/albums/{id}` over the same albums (it has no album
  list: one album a request there, twenty here).

The four targets take turns round after round on one server; medians over the rounds.

    .venv/bin/python bench/subsonic.py            # 3 rounds of 8 s per target
    .venv/bin/python bench/subsonic.py --quick    # 1 round of 3 s
"""

import argparse
import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.relevance.suite import load_cases

from _search_catalog import import_real
from common import (
    DATA_DIR,
    Run,
    free_port,
    machine_info,
    measure,
    median,
    prepare_wrk_load,
    print_table,
    ratio,
    require_wrk,
    serve,
    write_results,
)

FEED = DATA_DIR / "spotify-songs" / "spotify_songs.csv"
EMAIL, PASSWORD = "bench@example.com", "correct horse battery"
CONNECTIONS = 32
PAGE = 20
TARGETS = ("subsonic_search3", "api_search", "subsonic_album_list2", "api_albums")


def listener(data_dir: Path) -> tuple[str, dict[str, str], list[str]]:
    """A bearer token, Subsonic token parameters, and every album id by name."""
    from encore.accounts.passwords import Passwords
    from encore.adapters.sql.browsing import SqlBrowsing
    from encore.bootstrap import bootstrap
    from encore.config import load_settings
    from encore.subsonic.model import AlbumOrder

    services = bootstrap(
        load_settings(data_dir=data_dir, access_token_ttl_s=24 * 3600),
        passwords=Passwords(time_cost=1, memory_cost_kib=1024),
    )
    try:
        account = services.accounts.add_user(email=EMAIL, password=PASSWORD, country="SE")
        bearer = services.accounts.sign_in(email=EMAIL, password=PASSWORD).access_token
        issued = services.subsonic_credentials.issue(account.id)
        salt = "b3nchs4lt"
        token = hashlib.md5((issued.password + salt).encode(), usedforsecurity=False).hexdigest()
        auth = {"u": issued.username, "t": token, "s": salt, "v": "1.16.1", "c": "bench"}
        albums = SqlBrowsing(services.engine).album_list(
            AlbumOrder.BY_NAME, limit=1_000_000, offset=0, user_id=account.id
        )
        return bearer, {**auth, "f": "json"}, [entry.album.id for entry in albums]
    finally:
        services.close()


def paths(auth: dict[str, str], album_ids: list[str]) -> dict[str, list[str]]:
    queries = [case.text for case in load_cases()]
    counts = {"artistCount": PAGE, "albumCount": PAGE, "songCount": PAGE}
    pages = range(0, min(len(album_ids), 200 * PAGE), PAGE)
    return {
        "subsonic_search3": [
            "/rest/search3.view?" + urlencode({**auth, **counts, "query": q}) for q in queries
        ],
        "api_search": [
            f"/api/v1/search?q={quote(q)}&type=artist,album,track&limit={PAGE}" for q in queries
        ],
        "subsonic_album_list2": [
            "/rest/getAlbumList2.view?"
            + urlencode({**auth, "type": kind, "size": PAGE, "offset": offset})
            for offset in pages
            for kind in ("alphabeticalByName", "newest")
        ],
        "api_albums": [f"/api/v1/albums/{album_id}" for album_id in album_ids[: 200 * PAGE]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s per target")
    parser.add_argument("--rounds", type=int, help="rounds of wrk runs per target")
    parser.add_argument("--duration", type=float, help="seconds per wrk run")
    parser.add_argument("--work", type=Path, help="keep the data and logs here")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (3.0 if args.quick else 8.0)
    require_wrk()
    if not FEED.is_file():
        raise SystemExit(f"{FEED} is missing (see ../shared/data)")
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="encore-bench-subsonic-") as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        data_dir = work / "real"
        print("== importing the real catalog through the metadata feed", flush=True)
        import_real(data_dir, FEED)
        bearer, auth, album_ids = listener(data_dir)
        loads = {
            target: prepare_wrk_load(
                work,
                rotated,
                bearer if target.startswith("api") else None,
                name=target,
            )
            for target, rotated in paths(auth, album_ids).items()
        }
        servers = Path(__file__).with_name("servers.py")
        port = free_port()
        runs: list[Run] = []
        command = [sys.executable, str(servers), "encore", "--data", str(data_dir)]
        with serve(
            "encore",
            [*command, "--port", str(port)],
            port=port,
            ready_path="/healthz",
            log_dir=work,
            env={"PYTHONPATH": str(servers.parent)},
            timeout_s=180,
        ) as running:
            for target in TARGETS:  # warm up: caches, the index paged in
                measure(running, loads[target], round_=0, connections=4, duration_s=2)
            for round_ in range(1, args.rounds + 1):
                for target in TARGETS:
                    run = measure(
                        running,
                        loads[target],
                        round_=round_,
                        connections=CONNECTIONS,
                        duration_s=args.duration,
                    )
                    runs.append(Run(target, run.round, run.connections, run.wrk, run.server_cpu_s))
    figures: dict[str, Any] = {}
    for target in TARGETS:
        mine = [r for r in runs if r.target == target]
        figures[target] = {
            "requests_per_s": median([r.wrk.requests_per_s for r in mine]),
            "p99_ms": median([r.wrk.p99_ms for r in mine]),
            "p50_ms": median([r.wrk.p50_ms for r in mine]),
            "cpu_us_per_request": median([r.cpu_us_per_request for r in mine]),
            "runs": [r.as_dict() for r in mine],
        }
    comparisons = {
        "search3_over_api_search_rps": ratio(
            figures["subsonic_search3"]["requests_per_s"], figures["api_search"]["requests_per_s"]
        ),
        "album_list2_over_api_album_rps": ratio(
            figures["subsonic_album_list2"]["requests_per_s"],
            figures["api_albums"]["requests_per_s"],
        ),
    }
    print_table(
        f"Subsonic against the main API, {CONNECTIONS} connections (medians of {args.rounds})",
        ["target", "req/s", "p50 ms", "p99 ms", "CPU µs/req"],
        [
            [
                target,
                f"{figures[target]['requests_per_s']:.0f}",
                f"{figures[target]['p50_ms']:.1f}",
                f"{figures[target]['p99_ms']:.1f}",
                f"{figures[target]['cpu_us_per_request']:.0f}",
            ]
            for target in TARGETS
        ],
    )
    print("ratios:", {k: round(v, 3) for k, v in comparisons.items()})
    parameters = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    results = {
        "parameters": {**parameters, "connections": CONNECTIONS, "page": PAGE},
        "albums": len(album_ids),
        "targets": figures,
        "ratios": comparisons,
    }
    path = write_results(
        "subsonic" if not args.quick else "subsonic-quick", results, machine=machine
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
