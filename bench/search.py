"""Search: Encore's embedded engine (Tantivy) against its Typesense adapter and an SQLite FTS5
prefix baseline, on the real catalog and on a million tracks recombined from it.

For each catalog size and engine: index build time and size on disk; MRR@10 and recall@10 of
the relevance suite's queries (tests/relevance/queries.tsv) per kind; and over HTTP, the search
endpoint's latency (p50/p99, one client at a time) and throughput (16 concurrent clients), with
wrk rotating through the same queries, the engines taking turns round after round.

    .venv/bin/python bench/search.py            # real catalog and 1,000,000 tracks
    .venv/bin/python bench/search.py --quick    # 100,000 tracks, shorter runs
"""

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.relevance.suite import KINDS, evaluate, feed_keys, load_cases
from tests.typesense_server import running_typesense

from _search_catalog import batches, import_real, real_documents, recombined
from _search_fts5 import build as build_fts5
from _search_fts5 import search as search_fts5
from common import (
    DATA_DIR,
    BenchError,
    Run,
    free_port,
    machine_info,
    measure,
    median,
    prepare_wrk_load,
    print_table,
    require_wrk,
    serve,
    write_results,
)
from encore.search.model import Kind, SearchDocument, SearchQuery
from encore.search.ports import SearchIndex

FEED = DATA_DIR / "spotify-songs" / "spotify_songs.csv"
ENGINES = ("embedded", "typesense", "fts5")
EMAIL, PASSWORD = "bench@example.com", "correct horse battery"
CATALOG_KINDS = (Kind.TRACK, Kind.ALBUM, Kind.ARTIST)
Search = Callable[[str], Iterable[SearchDocument]]


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def sign_up(data_dir: Path) -> str:
    from encore.accounts.passwords import Passwords
    from encore.bootstrap import bootstrap
    from encore.config import load_settings

    services = bootstrap(
        load_settings(data_dir=data_dir, access_token_ttl_s=24 * 3600),
        passwords=Passwords(time_cost=1, memory_cost_kib=1024),
    )
    try:
        services.accounts.add_user(email=EMAIL, password=PASSWORD, country="SE")
        return services.accounts.sign_in(email=EMAIL, password=PASSWORD).access_token
    finally:
        services.close()


def index_search(index: SearchIndex) -> Search:
    def search(text: str) -> Iterable[SearchDocument]:
        return index.search(SearchQuery(text=text, kinds=(Kind.TRACK,), limit=10), Kind.TRACK).items

    return search


def relevance(search: Search) -> dict[str, dict[str, float]]:
    scores, _ = evaluate(search, load_cases(), feed_keys(FEED))
    return {k: {"mrr10": s.mrr, "recall10": s.recall} for k, s in scores.items()}


def timed(build: Callable[[], None]) -> float:
    started = time.perf_counter()
    build()
    return time.perf_counter() - started


def run_size(
    label: str,
    data_dir: Path,
    documents: Callable[[], Iterable[Sequence[SearchDocument]]],
    token: str,
    work: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    from encore.adapters.search.tantivy_index import TantivySearchIndex
    from encore.adapters.search.typesense_index import TypesenseSearchIndex

    print(f"\n== {label}: building the indexes", flush=True)
    figures: dict[str, Any] = {engine: {} for engine in ENGINES}
    tantivy_dir = data_dir / "search" / "tantivy"
    shutil.rmtree(tantivy_dir, ignore_errors=True)
    embedded = TantivySearchIndex(tantivy_dir)
    figures["embedded"]["build_s"] = timed(lambda: embedded.rebuild(CATALOG_KINDS, documents()))
    figures["embedded"]["index_bytes"] = size_of(tantivy_dir)
    figures["embedded"]["documents"] = embedded.count()
    fts5_db = work / f"fts5-{label}.db"
    figures["fts5"]["build_s"] = timed(lambda: build_fts5(fts5_db, documents()))
    figures["fts5"]["index_bytes"] = size_of(fts5_db)

    with running_typesense(work / f"typesense-{label}") as server:
        typesense = TypesenseSearchIndex(server.url, api_key=server.api_key, collection="bench")
        figures["typesense"]["build_s"] = timed(
            lambda: typesense.rebuild(CATALOG_KINDS, documents())
        )
        figures["typesense"]["documents"] = typesense.count()
        time.sleep(2)  # let it flush what it keeps on disk
        figures["typesense"]["index_bytes"] = size_of(work / f"typesense-{label}")
        print(f"== {label}: relevance", flush=True)
        figures["embedded"]["relevance"] = relevance(index_search(embedded))
        figures["typesense"]["relevance"] = relevance(index_search(typesense))
        connection = sqlite3.connect(fts5_db)
        figures["fts5"]["relevance"] = relevance(lambda text: search_fts5(connection, text, 10))
        connection.close()
        typesense.close()

        print(f"== {label}: HTTP", flush=True)
        paths = [
            f"/api/v1/search?q={quote(case.text)}&type=track&limit=10" for case in load_cases()
        ]
        load = prepare_wrk_load(work, paths, token, name=f"queries-{label}")
        python = sys.executable
        servers = Path(__file__).with_name("servers.py")
        typesense_env = {
            "ENCORE_SEARCH_BACKEND": "typesense",
            "ENCORE_TYPESENSE_URL": server.url,
            "ENCORE_TYPESENSE_API_KEY": server.api_key,
            "ENCORE_TYPESENSE_COLLECTION": "bench",
        }
        commands = {
            "embedded": ([python, str(servers), "encore", "--data", str(data_dir)], {}),
            "typesense": (
                [python, str(servers), "encore", "--data", str(data_dir)],
                typesense_env,
            ),
            "fts5": ([python, str(servers), "fts5", "--db", str(fts5_db)], {}),
        }
        runs: list[Run] = []
        failed: dict[str, list[dict[str, Any]]] = {}
        for engine in ENGINES:
            command, env = commands[engine]
            port = free_port()
            with serve(
                engine,
                [*command, "--port", str(port)],
                port=port,
                ready_path="/healthz",
                log_dir=work,
                env={**env, "PYTHONPATH": str(servers.parent)},
                timeout_s=180,
            ) as running:
                # Warm up: the first queries page the index in.
                measure(running, load, round_=0, connections=4, duration_s=2)
                for round_ in range(1, args.rounds + 1):
                    for connections in (1, 16):
                        try:
                            runs.append(
                                measure(
                                    running,
                                    load,
                                    round_=round_,
                                    connections=connections,
                                    duration_s=args.duration,
                                )
                            )
                        except BenchError as error:
                            # Kept and reported: one engine stalling must not hide the others.
                            print(f"   {engine} round {round_} x{connections}: {error}")
                            failed.setdefault(engine, []).append(
                                {"round": round_, "connections": connections, "error": str(error)}
                            )
        for engine in ENGINES:
            one = [r for r in runs if r.target == engine and r.connections == 1]
            many = [r for r in runs if r.target == engine and r.connections == 16]
            nan = float("nan")
            figures[engine]["http"] = {
                "p50_ms": median([r.wrk.p50_ms for r in one]) if one else nan,
                "p99_ms": median([r.wrk.p99_ms for r in one]) if one else nan,
                "qps_16_clients": median([r.wrk.requests_per_s for r in many]) if many else nan,
                "p99_ms_16_clients": median([r.wrk.p99_ms for r in many]) if many else nan,
                "runs": [r.as_dict() for r in runs if r.target == engine],
                "failed_runs": failed.get(engine, []),
            }
    return figures


def report(label: str, figures: dict[str, Any]) -> None:
    print_table(
        f"{label}: build, size, HTTP",
        ["engine", "build s", "index MB", "p50 ms", "p99 ms", "qps@16", "p99 ms@16"],
        [
            [
                engine,
                f"{figures[engine]['build_s']:.1f}",
                f"{figures[engine]['index_bytes'] / 1e6:.1f}",
                f"{figures[engine]['http']['p50_ms']:.2f}",
                f"{figures[engine]['http']['p99_ms']:.2f}",
                f"{figures[engine]['http']['qps_16_clients']:.0f}",
                f"{figures[engine]['http']['p99_ms_16_clients']:.1f}",
            ]
            for engine in ENGINES
        ],
    )
    print_table(
        f"{label}: MRR@10 (recall@10) per kind of query",
        ["kind", *ENGINES],
        [
            [
                kind,
                *(
                    f"{figures[e]['relevance'][kind]['mrr10']:.3f} "
                    f"({figures[e]['relevance'][kind]['recall10']:.2f})"
                    for e in ENGINES
                ),
            ]
            for kind in KINDS
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="100,000 tracks, shorter runs")
    parser.add_argument("--tracks", type=int, help="tracks of the scale run (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="rounds of wrk runs per engine")
    parser.add_argument("--duration", type=float, help="seconds per wrk run")
    parser.add_argument("--work", type=Path, help="keep the data, indexes and logs here")
    parser.add_argument("--real-only", action="store_true", help="skip the scale run")
    args = parser.parse_args(argv)
    args.tracks = args.tracks or (100_000 if args.quick else 1_000_000)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.duration = args.duration or (3.0 if args.quick else 8.0)
    require_wrk()
    if not FEED.is_file():
        raise SystemExit(f"{FEED} is missing (see ../shared/data)")
    machine = machine_info()
    parameters = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    results: dict[str, Any] = {"parameters": parameters}
    with tempfile.TemporaryDirectory(prefix="encore-bench-search-") as temp:
        work = args.work or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        real_dir = work / "real"
        print("== importing the real catalog through the metadata feed", flush=True)
        import_real(real_dir, FEED)
        token = sign_up(real_dir)
        real = real_documents(real_dir)
        tracks = sum(1 for d in real if d.kind is Kind.TRACK)
        results["real"] = run_size("real", real_dir, lambda: [real], token, work, args)
        results["real"]["tracks"] = tracks
        report(f"real catalog ({tracks:,} tracks)", results["real"])
        if args.real_only:
            write_results("search-real", results, machine=machine)
            return 0
        scale_dir = work / "scale"
        shutil.copytree(real_dir, scale_dir, ignore=shutil.ignore_patterns("search"))
        label = f"{args.tracks:,} tracks"
        scale = recombined(real, args.tracks)
        results["scale"] = run_size("scale", scale_dir, lambda: batches(scale), token, work, args)
        results["scale"]["tracks"] = args.tracks
        report(label, results["scale"])
    targets = {
        "embedded_p99_ms_at_scale_under_15": results["scale"]["embedded"]["http"]["p99_ms"] < 15,
        "embedded_mrr_above_typesense_every_kind_both_sizes": all(
            results[size]["embedded"]["relevance"][kind]["mrr10"]
            > results[size]["typesense"]["relevance"][kind]["mrr10"]
            for size in ("real", "scale")
            for kind in KINDS
        ),
    }
    results["targets"] = targets
    print("\ntargets:", targets)
    path = write_results("search" if not args.quick else "search-quick", results, machine=machine)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
