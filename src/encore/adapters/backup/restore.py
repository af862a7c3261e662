"""`encore restore`: an archive, verified whole, built into a sibling folder and swapped in.

Nothing in the data directory is touched until the archive has been read through and every
member matched its checksum, and the new tree is complete (migrated if the backup's schema is
older than this Encore's). With `force`, the old directory is renamed aside, the new one renamed
into its place, and only then is the old one deleted: a failure at any step before leaves the
old data as it was.
"""

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from encore.adapters.backup.archive import extract, fsync_dir, verify
from encore.adapters.sql import migrate
from encore.adapters.sql.engine import make_engine
from encore.backup.manifest import MEDIA_DIR, Manifest
from encore.backup.plan import DATABASE
from encore.errors import EncoreError


class RestoreRefused(EncoreError):
    kind = "restore-refused"
    title = "Restore refused"


@dataclass(frozen=True, slots=True)
class RestoreReport:
    manifest: Manifest
    migrated_from: str | None  # the backup's schema revision, when it was migrated
    media_kept: bool  # the data directory's own media folder was kept (media by reference)
    media_missing: int  # media the manifest lists that the restored instance lacks


def restore(archive: Path, data_dir: Path, *, force: bool) -> RestoreReport:
    if not archive.is_file():
        raise RestoreRefused(f"{archive} does not exist or is not a file")
    if data_dir.exists() and not data_dir.is_dir():
        raise RestoreRefused(f"{data_dir} is not a directory")
    manifest = verify(archive)
    if manifest.schema_revision is not None and not migrate.is_known(manifest.schema_revision):
        raise RestoreRefused(
            f"the backup's schema revision {manifest.schema_revision} is newer than this "
            f"Encore's ({migrate.HEAD}): restore it with Encore {manifest.encore_version}"
        )
    occupied = data_dir.is_dir() and any(data_dir.iterdir())
    if occupied and not force:
        raise RestoreRefused(
            f"{data_dir} is not empty; restore into a new directory, or give --force to "
            "replace what it holds"
        )
    data_dir = data_dir.absolute()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=data_dir.parent, prefix=f".{data_dir.name}.restore-"))
    try:
        staging.chmod(0o755)  # a data directory, not a private temporary folder
        extract(archive, manifest, staging)
        migrated_from = _migrate(staging / DATABASE, manifest.schema_revision)
        keep_media = occupied and not manifest.media_included and (data_dir / MEDIA_DIR).is_dir()
        _swap(staging, data_dir, keep_media=keep_media)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    missing = sum(1 for entry in manifest.media if not (data_dir / MEDIA_DIR / entry.key).is_file())
    return RestoreReport(manifest, migrated_from, keep_media, missing)


def _migrate(database: Path, revision: str | None) -> str | None:
    if revision == migrate.HEAD or not database.is_file():
        return None
    engine = make_engine(f"sqlite:///{database}")
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return revision


def _swap(staging: Path, data_dir: Path, *, keep_media: bool) -> None:
    if data_dir.is_dir() and not any(data_dir.iterdir()):
        data_dir.rmdir()
    if not data_dir.exists():
        os.rename(staging, data_dir)
        fsync_dir(data_dir.parent)
        return
    aside = Path(tempfile.mkdtemp(dir=data_dir.parent, prefix=f".{data_dir.name}.old-"))
    aside.rmdir()
    os.rename(data_dir, aside)
    try:
        if keep_media:
            os.rename(aside / MEDIA_DIR, staging / MEDIA_DIR)
        try:
            os.rename(staging, data_dir)
        except BaseException:
            if keep_media:
                os.rename(staging / MEDIA_DIR, aside / MEDIA_DIR)
            raise
    except BaseException:
        os.rename(aside, data_dir)
        raise
    fsync_dir(data_dir.parent)
    shutil.rmtree(aside, ignore_errors=True)
