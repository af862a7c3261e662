"""`encore backup`: a snapshot of a running embedded instance, into one archive file."""

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from encore.adapters.backup.archive import ArchiveWriter, HashingReader
from encore.adapters.backup.snapshot import snapshot
from encore.adapters.media.local import LocalMediaStore
from encore.adapters.sql.row_counts import row_counts, schema_revision
from encore.backup.manifest import MEDIA_DIR, BackupError, Entry, Manifest, MediaEntry
from encore.backup.plan import DATABASE, EVENT_LOG, SNAPSHOT_PLAN

_CHUNK = 1024 * 1024


def take_backup(
    data_dir: Path,
    target: Path,
    *,
    with_media: bool,
    encore_version: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Manifest:
    """Write a backup of `data_dir` to `target` (replacing it only once complete)."""
    if not data_dir.is_dir():
        raise BackupError(f"the data directory {data_dir} does not exist")
    if not (data_dir / DATABASE).is_file():
        raise BackupError(f"{data_dir} holds no Encore database ({DATABASE}): nothing to back up")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} for the backup does not exist")
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the backup file's name")
    created_at = clock()
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.staging-"))
    try:
        for part in SNAPSHOT_PLAN:
            snapshot(data_dir, part, staging)
        counts, revision = _database_facts(staging / DATABASE)
        with ArchiveWriter(target) as archive:
            entries = [
                _add(archive, path.relative_to(staging).as_posix(), path)
                for path in sorted(staging.rglob("*"))
                if path.is_file()
            ]
            media: list[MediaEntry] = []
            store = LocalMediaStore(data_dir / MEDIA_DIR)
            for key in sorted(store.keys("")):
                file = data_dir / MEDIA_DIR / key
                try:
                    if with_media:
                        entry = _add(archive, f"{MEDIA_DIR}/{key}", file)
                        entries.append(entry)
                        media.append(MediaEntry(key, entry.size, entry.sha256))
                    else:
                        media.append(_hashed(key, file))
                except FileNotFoundError:
                    continue  # deleted since it was listed
            manifest = Manifest(
                encore_version=encore_version,
                schema_revision=revision,
                created_at=created_at,
                entries=tuple(entries),
                media=tuple(media),
                media_included=with_media,
                row_counts=counts,
                event_count=_event_count(staging / EVENT_LOG),
            )
            archive.commit(manifest)
            return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _add(archive: ArchiveWriter, name: str, path: Path) -> Entry:
    # The size is the open file's: a file replaced meanwhile (by rename) is read whole as it was.
    with path.open("rb") as file:
        status = os.fstat(file.fileno())
        return archive.add_file(name, file, size=status.st_size, mode=status.st_mode)


def _hashed(key: str, path: Path) -> MediaEntry:
    with path.open("rb") as file:
        reader = HashingReader(file)
        while reader.read(_CHUNK):
            pass
    return MediaEntry(key, reader.size, reader.digest.hexdigest())


def _database_facts(database: Path) -> tuple[dict[str, int], str | None]:
    engine = create_engine(f"sqlite:///{database}", poolclass=NullPool)
    try:
        return row_counts(engine), schema_revision(engine)
    finally:
        engine.dispose()


def _event_count(log: Path) -> int | None:
    if not log.is_file():
        return None
    database = sqlite3.connect(log)
    try:
        return int(database.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        database.close()
