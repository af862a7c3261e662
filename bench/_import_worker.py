"""Encore's import without the encoding, as a program that bench/import.py times like `beet`.

    .venv/bin/python bench/_import_worker.py tags --jobs N LIBRARY
    .venv/bin/python bench/_import_worker.py catalog --jobs N --data DIR LIBRARY

`tags`: what `encore import` does before any encoding: walk the library (`find_audio_files`) and
read every file's tags with `MutagenTagReader`, in `N` threads as the importer's workers do.
`catalog`: `encore import --scan-only` as the importer runs it (a fresh database in DIR, `N`
jobs): walking, hashing, tag reading and the catalog's transactions, the encoding left for a later
run. That is what `beet import -A -C` does: read the files and write a library database.

Prints one JSON line: the mode, files done and failed, and `seconds`, the time of the work alone
(after Python has started and imported Encore; for `catalog`, after the database was migrated).
"""

import argparse
import json
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from encore.adapters.audio.tags import MutagenTagReader
from encore.catalog.audio import UnreadableAudio
from encore.catalog.import_files import find_audio_files
from encore.catalog.import_summary import Outcome, Status
from encore.media import StoredObject


class NoMedia:
    """A `MediaStore` that keeps nothing; enough for an import. It remembers where the sources
    put for transcoding are, so that workers encode from the library's own files."""

    def __init__(self) -> None:
        self._sources: dict[str, Path] = {}

    def put_file(self, key: str, source: Path, *, content_type: str) -> StoredObject:
        if key.startswith("sources/"):
            self._sources[key] = source
        return StoredObject(key=key, size=source.stat().st_size, etag="", content_type=content_type)

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        return StoredObject(key=key, size=len(data), etag="", content_type=content_type)

    def stat(self, key: str) -> StoredObject | None:
        source = self._sources.get(key)
        if source is None:
            return None
        return StoredObject(key=key, size=source.stat().st_size, etag="", content_type="")

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        raise KeyError(key)

    def local_path(self, key: str) -> Path | None:
        return self._sources.get(key)

    def delete(self, key: str) -> None:
        return None

    def keys(self, prefix: str) -> Iterator[str]:
        return iter(())


def read_tags(library: Path, *, jobs: int) -> dict[str, Any]:
    errors: list[Outcome] = []
    started = time.perf_counter()
    found = list(find_audio_files([library], on_error=errors.append))
    reader = MutagenTagReader()

    def read(path: Path) -> bool:
        try:
            reader.read(path)
        except UnreadableAudio:
            return False
        return True

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(read, (item.path for item in found)))
    seconds = time.perf_counter() - started
    return {"files": sum(results), "failed": len(errors) + results.count(False), "seconds": seconds}


def import_catalog(library: Path, *, data: Path, jobs: int) -> dict[str, Any]:
    from encore.bootstrap import bootstrap, make_importer
    from encore.config import load_settings

    services = bootstrap(load_settings(data_dir=data))
    try:
        importer = make_importer(services)
        started = time.perf_counter()
        summary = importer.run([library], jobs=jobs, transcode=False)
        seconds = time.perf_counter() - started
    finally:
        services.close()
    failures = [f"{outcome.path}: {outcome.reason}" for outcome in summary.failures[:5]]
    return {
        "files": summary.count(Status.IMPORTED),
        "failed": len(summary.failures),
        "first_failures": failures,
        "seconds": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("tags", "catalog"))
    parser.add_argument("library", type=Path)
    parser.add_argument("--jobs", type=int, required=True)
    parser.add_argument("--data", type=Path, help="a fresh data directory (catalog)")
    args = parser.parse_args()
    if args.mode == "tags":
        result = read_tags(args.library, jobs=args.jobs)
    else:
        if args.data is None:
            parser.error("catalog needs --data")
        result = import_catalog(args.library, data=args.data, jobs=args.jobs)
    print(json.dumps({"mode": args.mode, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
