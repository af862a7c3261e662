"""A listener's data export on the embedded default: one listener with 200,000 plays in SQLite,
the whole archive (every section, JSON and CSV) produced by the streamed export that
`GET /api/v1/me/export` sends, against the same archive built whole in memory (every history
row fetched at once, each file rendered whole, then zipped), alternating, in the same run.

Figures: seconds and plays/s for each (median of the repeats), and the peak of Python memory
(tracemalloc, in a run of its own, since tracing slows everything) with its ratio.

    .venv/bin/python bench/account_export.py            # 200,000 plays, 3 repeats
    .venv/bin/python bench/account_export.py --quick    # 20,000 plays, 1 repeat
"""

import argparse
import csv
import io
import json
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import Engine, insert, select

from common import machine_info, median, print_table, ratio, write_results
from encore.account_data.archive import json_value
from encore.account_data.export import SECTIONS, archive
from encore.adapters.sql.account_data import SqlExportSource
from encore.adapters.sql.engine import make_engine
from encore.adapters.sql.migrate import upgrade
from encore.adapters.sql.tables import albums, artists, listening_history, tracks, users
from encore.ids import new_id

START = datetime(2025, 1, 1, tzinfo=UTC)
USER = "benchlistener000000000"


def populate(engine: Engine, plays: int) -> None:
    artist, album = new_id(), new_id()
    track_ids = [new_id() for _ in range(2_000)]
    with engine.begin() as c:
        c.execute(
            insert(users).values(
                id=USER,
                email="bench@example.com",
                password_hash="not a hash",  # noqa: S106 - nobody signs in
                display_name="Bench",
                country="SE",
                plan="free",
                is_admin=False,
                created_at=START,
            )
        )
        c.execute(insert(artists).values(id=artist, name="A", sort_name="a", created_at=START))
        c.execute(insert(albums).values(id=album, name="B", created_at=START))
        c.execute(
            insert(tracks),
            [
                {
                    "id": t,
                    "album_id": album,
                    "title": f"Song {n}",
                    "duration_ms": 200_000,
                    "created_at": START,
                }
                for n, t in enumerate(track_ids)
            ],
        )
    for first in range(0, plays, 20_000):
        with engine.begin() as c:
            c.execute(
                insert(listening_history),
                [
                    {
                        "event_id": f"{USER}{n:012d}",
                        "user_id": USER,
                        "track_id": track_ids[n % len(track_ids)],
                        "listened_at": START + timedelta(seconds=30 * n),
                        "duration_played_ms": 180_000,
                        "completed": n % 5 != 0,
                        "skipped": n % 5 == 0,
                        "device": "web",
                        "received_at": START + timedelta(seconds=30 * n + 2),
                    }
                    for n in range(first, min(first + 20_000, plays))
                ],
            )


def streamed(engine: Engine) -> int:
    source = SqlExportSource(engine)
    profile = source.profile(USER) or {}
    chunks = archive(source, user_id=USER, profile=profile, now_playing=None, exported_at=START)
    return sum(len(chunk) for chunk in chunks)  # sent on and dropped, as a socket would


def whole(engine: Engine) -> int:
    """The peer: each section fetched in one query and each file rendered whole, then zipped."""
    source = SqlExportSource(engine)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("profile.json", json.dumps(source.profile(USER), default=json_value))
        for section in SECTIONS:
            rows = [row for page in source.records(section.name, USER, batch=10**9) for row in page]
            zipped.writestr(f"{section.name}.json", json.dumps(rows, default=json_value))
            text = io.StringIO()
            writer = csv.DictWriter(text, section.columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
            zipped.writestr(f"{section.name}.csv", text.getvalue())
    return len(buffer.getvalue())


def timed(build: Callable[[Engine], int], engine: Engine) -> tuple[float, int]:
    started = time.perf_counter()
    size = build(engine)
    return time.perf_counter() - started, size


def peak(build: Callable[[Engine], int], engine: Engine) -> int:
    tracemalloc.start()
    try:
        build(engine)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--plays", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    plays = args.plays or (20_000 if args.quick else 200_000)
    repeats = args.repeats or (1 if args.quick else 3)
    machine = machine_info()
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'encore.db'}")
        upgrade(engine)
        populate(engine, plays)
        with engine.connect() as c:
            assert len(c.execute(select(listening_history.c.event_id)).all()) == plays
        runs: dict[str, list[float]] = {"streamed": [], "whole": []}
        sizes: dict[str, int] = {}
        for _ in range(repeats):  # alternating, so that the machine's moods fall on both
            for name, build in (("streamed", streamed), ("whole", whole)):
                seconds, sizes[name] = timed(build, engine)
                runs[name].append(seconds)
        peaks = {"streamed": peak(streamed, engine), "whole": peak(whole, engine)}
        engine.dispose()
    seconds = {name: median(values) for name, values in runs.items()}
    rows = [
        [
            name,
            f"{seconds[name]:.2f}",
            f"{plays / seconds[name]:,.0f}",
            f"{peaks[name] / 1e6:.1f}",
            f"{sizes[name] / 1e6:.1f}",
        ]
        for name in ("streamed", "whole")
    ]
    print_table(
        f"Export of one listener with {plays:,} plays (median of {repeats})",
        ["archive", "seconds", "plays/s", "peak MB (tracemalloc)", "zip MB"],
        rows,
    )
    time_ratio = ratio(seconds["streamed"], seconds["whole"])
    memory_ratio = ratio(peaks["whole"], peaks["streamed"])
    print(
        f"streamed / whole time: {time_ratio:.2f}; "
        f"whole / streamed peak memory: {memory_ratio:.1f}x"
    )
    path = write_results(
        "account_export",
        {
            "parameters": {"plays": plays, "repeats": repeats},
            "figures": {
                "streamed_s": seconds["streamed"],
                "whole_s": seconds["whole"],
                "streamed_plays_per_s": plays / seconds["streamed"],
                "streamed_over_whole_time": time_ratio,
                "streamed_peak_bytes": peaks["streamed"],
                "whole_peak_bytes": peaks["whole"],
                "whole_over_streamed_peak": memory_ratio,
                "zip_bytes": sizes,
            },
            "runs": runs,
        },
        machine=machine,
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
