"""The lake and the embedded event log forget deleted listeners: left out of every read and of
what is appended after, then rewritten without them; a rewrite cut short is finished by the next
run, and a run with nothing left to do changes nothing."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from encore.adapters.events.sqlite_log import SqliteEventLog
from encore.adapters.lake.parquet import ParquetLake

DAY = datetime(2026, 3, 1, 12, tzinfo=UTC)


def rows(user: str, first: int, count: int, day: datetime = DAY) -> list[dict[str, object]]:
    return [
        {
            "id": f"{user}-{first + n}",
            "user_id": user,
            "track_id": "t1",
            "type": "play_ended",
            "listened_at": (day + timedelta(minutes=n)).isoformat(),
            "duration_played_ms": 1000,
            "completed": True,
            "country": "SE",
            "received_at": day.isoformat(),
            "offset": first + n,
        }
        for n in range(count)
    ]


def listeners(lake: ParquetLake) -> dict[str, int]:
    with lake.connect() as db:
        found = db.execute("SELECT user_id, count(*) FROM listens GROUP BY user_id").fetchall()
    return {user: int(n) for user, n in found}


def in_files(lake: ParquetLake) -> dict[str, int]:
    counted: dict[str, int] = {}
    for path in lake.files():
        for user in pq.read_table(path, columns=["user_id"]).column("user_id").to_pylist():
            counted[user] = counted.get(user, 0) + 1
    return counted


def test_the_lake_forgets_a_deleted_listener(tmp_path: Path) -> None:
    forgotten: set[str] = set()
    lake = ParquetLake(tmp_path / "lake", forgotten=lambda: frozenset(forgotten))
    lake.append(rows("ada", 1, 5) + rows("bob", 6, 3), through=8)
    lake.append(rows("ada", 9, 2, DAY + timedelta(days=1)), through=10)
    lake.append(rows("bob", 11, 1, DAY + timedelta(days=2)), through=11)
    assert listeners(lake) == {"ada": 7, "bob": 4}

    forgotten.add("ada")
    # Reads leave her out at once, before any file is rewritten.
    assert listeners(lake) == {"bob": 4}
    # An event of hers logged before the deletion and appended after is dropped.
    lake.append(rows("ada", 12, 1) + rows("bob", 13, 1), through=13)
    assert lake.position() == 13
    assert in_files(lake) == {"ada": 7, "bob": 5}

    assert lake.forget_users(["ada"]) == (2, 7)
    assert in_files(lake) == {"bob": 5}
    assert listeners(lake) == {"bob": 5}
    # A second run finds nothing to do; a day that held only her is gone.
    assert lake.forget_users(["ada"]) == (0, 0)
    assert not any("2026-03-02" in str(path) for path in lake.files())


def test_a_rewrite_cut_short_is_finished_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = ParquetLake(tmp_path / "lake")
    for day in range(3):
        at = DAY + timedelta(days=day)
        lake.append(
            rows("ada", day * 10, 2, at) + rows("bob", day * 10 + 2, 1, at), through=day * 10 + 2
        )
    import encore.adapters.lake.parquet as parquet

    real = parquet._replace
    calls = 0

    def dies_on_the_second(path: Path, table: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("disk full")
        real(path, table)  # type: ignore[arg-type]

    monkeypatch.setattr(parquet, "_replace", dies_on_the_second)
    with pytest.raises(OSError, match="disk full"):
        lake.forget_users(["ada"])
    monkeypatch.undo()
    assert 0 < in_files(lake)["ada"] < 6  # part done, nothing broken
    assert listeners(lake)["bob"] == 3
    lake.forget_users(["ada"])
    assert in_files(lake) == {"bob": 3}


def test_the_event_log_forgets_a_deleted_listener(tmp_path: Path) -> None:
    log = SqliteEventLog(tmp_path / "events.db", flush_interval_s=0.01)
    try:
        log.publish_durably(
            "listens", [{"id": "1", "user_id": "ada"}, {"id": "2", "user_id": "bob"}]
        )
        log.publish("listens", {"id": "3", "user_id": "ada"})  # queued, not yet written
        log.publish_durably("other", [{"user_id": "ada"}])
        assert log.forget_users(["ada"]) == (1, 3)
        remaining = log.read("listens")
        assert [event.payload["id"] for event in remaining] == ["2"]
        assert log.read("other") == []
        assert log.forget_users(["ada"]) == (0, 0)
        # Offsets go on increasing past the gap.
        log.publish_durably("listens", [{"id": "4", "user_id": "bob"}])
        assert log.read("listens", after=remaining[0].offset)[0].payload["id"] == "4"
    finally:
        log.close()
