"""The embedded `Lake`: Parquet files partitioned by day, read with DuckDB.

`listens/day=YYYY-MM-DD/part-<first offset>-<last offset>.parquet`, one file per day a consumer
batch touches. A file is written under a temporary name and renamed, then the position file
likewise, so a crash leaves either the whole batch or none of it recorded; a batch written again
after a crash lands in the same files or in overlapping ones, and readers keep one row per event
id (`listens` in `connect()`), which also absorbs batches a player sent twice.

Listens that never went through the log (history brought in from elsewhere, the demo's weeks of
listening) are `backfill-<digest>.parquet` beside the log's files, with offset 0: the position
is the log's alone, and the digest of their ids makes writing the same listens again a no-op.

Deleted listeners (`forgotten`, their tombstones) are left out of what is appended and of every
read; `forget_users` rewrites the files that still hold their events without them.
"""

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import duckdb

SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("user_id", pa.string()),
        ("track_id", pa.string()),
        ("type", pa.string()),
        ("listened_at", pa.timestamp("us", tz="UTC")),
        ("duration_played_ms", pa.int64()),
        ("completed", pa.bool_()),
        ("context_type", pa.string()),
        ("context_id", pa.string()),
        ("device", pa.string()),
        ("country", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("offset", pa.int64()),
    ]
)
_TIMESTAMPS = ("listened_at", "received_at")


class ParquetLake:
    def __init__(self, root: Path, *, forgotten: Callable[[], Collection[str]] = frozenset) -> None:
        self.root = root
        self._forgotten = forgotten
        self._listens = root / "listens"
        self._listens.mkdir(parents=True, exist_ok=True)
        self._position_file = root / "listens.position"

    def position(self) -> int:
        try:
            return int(self._position_file.read_text())
        except FileNotFoundError:
            return 0

    def append(self, rows: Sequence[dict[str, object]], *, through: int) -> None:
        by_day: dict[str, list[dict[str, object]]] = defaultdict(list)
        forgotten = self._forgotten()
        for row in rows:
            if row.get("user_id") in forgotten:
                continue  # logged before their account was deleted, read after
            by_day[str(row["listened_at"])[:10]].append(row)
        for day, day_rows in by_day.items():
            table = _table(day_rows)
            first = min(int(str(row["offset"])) for row in day_rows)
            folder = self._listens / f"day={day}"
            folder.mkdir(exist_ok=True)
            _replace(folder / f"part-{first:015d}-{through:015d}.parquet", table)
        temporary = self._position_file.with_suffix(".tmp")
        temporary.write_text(str(through))
        os.replace(temporary, self._position_file)

    def backfill(self, rows: Sequence[dict[str, object]]) -> int:
        """Write listens that did not come through the log (payload-shaped rows without an
        offset), leaving the position alone; how many rows were written."""
        by_day: dict[str, list[dict[str, object]]] = defaultdict(list)
        for row in rows:
            by_day[str(row["listened_at"])[:10]].append({**row, "offset": 0})
        for day, day_rows in by_day.items():
            digest = hashlib.sha256("\n".join(sorted(str(r["id"]) for r in day_rows)).encode())
            folder = self._listens / f"day={day}"
            folder.mkdir(exist_ok=True)
            _replace(folder / f"backfill-{digest.hexdigest()[:24]}.parquet", _table(day_rows))
        return len(rows)

    def files(self) -> list[Path]:
        return sorted(self._listens.glob("day=*/*.parquet"))

    def connect(self) -> "duckdb.DuckDBPyConnection":
        """An in-memory DuckDB with the view `listens`: one row per event id, over every day."""
        import duckdb

        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        if not self.files():
            connection.register("lake_files", SCHEMA.empty_table())
        else:
            pattern = str(self._listens / "day=*" / "*.parquet")
            files = connection.read_parquet(pattern, hive_partitioning=True)
            files.project(", ".join(f'"{name}"' for name in SCHEMA.names)).create_view("lake_files")
        forgotten = pa.table({"user_id": pa.array(sorted(self._forgotten()), pa.string())})
        connection.register("forgotten_users", forgotten)
        connection.execute(
            "CREATE VIEW raw_listens AS SELECT * FROM lake_files "
            "WHERE user_id IS NULL OR user_id NOT IN (SELECT user_id FROM forgotten_users)"
        )
        connection.execute(
            "CREATE VIEW listens AS SELECT * FROM raw_listens "
            'QUALIFY row_number() OVER (PARTITION BY id ORDER BY "offset") = 1'
        )
        return connection

    def forget_users(self, user_ids: Collection[str]) -> tuple[int, int]:
        """Rewrite every file holding events of these listeners without them (a file left with
        nothing is removed); (files rewritten, events removed). Each file is replaced whole by a
        rename, so a crash leaves each either as it was or rewritten, and a second run finishes
        the rest."""
        wanted = pa.array(sorted(set(user_ids)), pa.string())
        rewritten = removed = 0
        for path in self.files():
            owners = pq.read_table(path, columns=["user_id"]).column("user_id")
            hits = pc.is_in(owners, value_set=wanted)
            found = pc.sum(hits).as_py() or 0
            if not found:
                continue
            table = pq.read_table(path, schema=SCHEMA)
            kept = table.filter(pc.invert(pc.is_in(table.column("user_id"), value_set=wanted)))
            if kept.num_rows:
                _replace(path, kept)
            else:
                path.unlink()
            rewritten += 1
            removed += found
        return rewritten, removed


def _table(rows: Sequence[dict[str, object]]) -> pa.Table:
    columns = {name: [_value(name, row.get(name)) for row in rows] for name in SCHEMA.names}
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def _value(name: str, value: object) -> object:
    if name in _TIMESTAMPS and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _replace(path: Path, table: pa.Table) -> None:
    temporary = path.with_suffix(".tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)
