"""Copies of a live data directory's parts into a staging folder, each consistent on its own.

`encore.backup.plan` says which parts are taken and why in that order; this module knows how to
copy each kind while the server writes to it.
"""

import json
import logging
import shutil
import sqlite3
from pathlib import Path

from encore.backup.manifest import BackupError
from encore.backup.plan import Part, PartKind

log = logging.getLogger(__name__)

# A Tantivy index committed to again while it is copied is copied again, this many times.
INDEX_ATTEMPTS = 20
MODEL_MARKER = "COMPLETE"
_BUSY_TIMEOUT_MS = 30_000


def snapshot(data_dir: Path, part: Part, staging: Path) -> None:
    """Copy `part` of `data_dir` to the same path under `staging`; nothing when it is absent."""
    source = data_dir / part.path
    if not source.exists():
        return
    target = staging / part.path
    target.parent.mkdir(parents=True, exist_ok=True)
    if part.kind is PartKind.SQLITE:
        copy_sqlite(source, target)
    elif part.kind is PartKind.LAKE:
        _copy_lake(source, target)
    elif part.kind is PartKind.SEARCH_INDEX:
        _copy_tantivy(source, target)
    elif part.kind is PartKind.MODELS:
        _copy_models(source, target)
    else:
        _copy_files(source, target)


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: one read transaction's view of the database, whatever other
    connections write meanwhile (in WAL mode they do not wait for it either)."""
    database = sqlite3.connect(source)
    try:
        database.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        copy = sqlite3.connect(target)
        try:
            database.backup(copy)  # every page in one step: one consistent view
            # One self-contained file, without a -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.Error as error:
        raise BackupError(f"could not copy {source}: {error}") from None
    finally:
        database.close()


def _copy_lake(source: Path, target: Path) -> None:
    # The position first: every file the lake wrote up to it is in place before it was written
    # (a batch renames its files, then its position), so the files listed after cover it. Files
    # of later batches come along too; a replay writes over them or beside them, and readers
    # keep one row per event id.
    target.mkdir(parents=True, exist_ok=True)
    for position in sorted(source.glob("*.position")):
        shutil.copyfile(position, target / position.name)
    for file in sorted(source.rglob("*")):
        if file.is_file() and file.suffix not in (".position", ".tmp"):
            destination = target / file.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, destination)


def _copy_tantivy(source: Path, target: Path) -> None:
    """One commit of the index: `meta.json` and the files of the segments it names.

    A commit (or a merge) writes a new `meta.json` and then deletes the segments no longer named;
    when `meta.json` reads the same after the copy as before it, no file of the copy was deleted
    under it. Otherwise the copy starts again.
    """
    for _ in range(INDEX_ATTEMPTS):
        meta = (source / "meta.json").read_bytes()
        segments = {
            str(segment["segment_id"]).replace("-", "") for segment in json.loads(meta)["segments"]
        }
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        copied = ["meta.json"]
        try:
            for file in sorted(source.iterdir()):
                if file.is_file() and file.name.split(".")[0] in segments:
                    shutil.copyfile(file, target / file.name)
                    copied.append(file.name)
        except FileNotFoundError:
            continue
        if (source / "meta.json").read_bytes() != meta:
            continue
        (target / "meta.json").write_bytes(meta)
        # The files Tantivy may delete once no commit names them (the rest it leaves alone).
        (target / ".managed.json").write_text(json.dumps(sorted(copied)))
        return
    raise BackupError(
        f"the search index in {source} changed at every one of {INDEX_ATTEMPTS} tries"
    )


def _copy_models(source: Path, target: Path) -> None:
    # A version is complete once its marker is in, and never changes after; an old one may be
    # deleted while it is copied (a newer one took its place), and is then left out.
    target.mkdir(parents=True, exist_ok=True)
    for version in sorted(source.iterdir()):
        if version.name.startswith(".") or not (version / MODEL_MARKER).is_file():
            continue
        try:
            shutil.copytree(version, target / version.name)
        except (FileNotFoundError, shutil.Error):
            log.info("model version %s went away while it was copied; left out", version.name)
            shutil.rmtree(target / version.name, ignore_errors=True)


def _copy_files(source: Path, target: Path) -> None:
    if source.is_file():
        shutil.copyfile(source, target)
        target.chmod(source.stat().st_mode & 0o777)
        return
    for file in sorted(source.rglob("*")):
        if file.is_file() and not file.name.startswith("."):
            destination = target / file.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, destination)
