"""Model files: a directory written whole or not at all, and refused on load unless complete.

`save` writes into a hidden temporary directory beside the target and renames it into place, so
a reader never sees half a model. The manifest is the last file written and holds the SHA-256 of
every other file: a directory without one, or whose files do not match it, is refused with
`BrokenModel` saying what is wrong.
"""

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from encore.errors import EncoreError

MANIFEST = "manifest.json"


class BrokenModel(EncoreError):
    """A model directory that is missing, incomplete, damaged or of an unknown format."""

    kind = "model-unavailable"
    title = "The recommendation model cannot be loaded"


def write_atomically(
    directory: Path, manifest: dict[str, Any], writers: dict[str, Callable[[Path], None]]
) -> None:
    """Run each writer on its file name inside a temporary directory, add the manifest (with
    checksums), then rename the whole into `directory` (which must be absent or empty)."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BrokenModel(f"{directory} exists and is not empty; a model is never overwritten")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        checksums = {}
        for name, write in writers.items():
            path = staging / name
            write(path)
            _fsync(path)
            checksums[name] = _sha256(path)
        manifest_path = staging / MANIFEST
        manifest_path.write_text(json.dumps({**manifest, "files": checksums}, indent=2) + "\n")
        _fsync(manifest_path)
        _fsync(staging)
        os.replace(staging, directory)
        _fsync(directory.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def read_manifest(directory: Path, *, format_name: str, versions: set[int]) -> dict[str, Any]:
    """The manifest of a complete model directory whose every file matches its checksum."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BrokenModel(f"no model directory at {directory}")
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise BrokenModel(
            f"{directory} has no {MANIFEST}: the model is incomplete (a save that did not finish)"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BrokenModel(f"{manifest_path} is not readable JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != format_name:
        raise BrokenModel(f"{directory} does not hold a {format_name} model")
    if manifest.get("version") not in versions:
        raise BrokenModel(
            f"{directory} holds {format_name} version {manifest.get('version')!r}; "
            f"this Encore reads versions {sorted(versions)}"
        )
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise BrokenModel(f"{manifest_path} does not list the model's files")
    for name, checksum in files.items():
        path = directory / name
        if not path.is_file():
            raise BrokenModel(f"{directory} is incomplete: {name} is missing")
        if _sha256(path) != checksum:
            raise BrokenModel(f"{path} is damaged or half-written: its checksum does not match")
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
