"""A size-capped disk LRU cache in front of a remote `MediaStore`, for the edge.

The edge sends files; a remote store (S3) answers requests. `DiskCachedStore` keeps whole
objects on local disk while they are in use, so a hit is a local file that the edge sends
without a copy, and only a miss goes to the remote store.

- A miss fetches the whole object into a temporary file, checks it against the remote's size and
  ETag before and after, and renames it into place: readers see a whole object or none. Misses
  of one key at once fetch it once (single flight); the others wait for that fetch.
- The cache holds at most `max_bytes` of objects; the least recently used go first. An object
  bigger than the cap is not cached: `local_path` says None and it streams from the remote.
  Downloads in progress are not counted.
- An entry is checked against the remote (a HEAD) when it is older than `revalidate_after_s`,
  so an object replaced remotely is fetched again; if the remote cannot be reached then, the
  cached copy goes on being served.
- Everything lives under `directory`: the object `objects/ab/<sha256(key)>` and beside it
  `<...>.json` holding its key, size, ETag and content type. A restart rebuilds the index from
  those files, oldest use first (a used entry's JSON file is touched at most once a minute), and
  removes what a crash left half-written.
- Writes and deletes go to the remote store and drop the cached copy.
"""

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from encore.adapters.media.local import LocalMediaStore, validate_key
from encore.media import MediaStore, StoredObject

log = logging.getLogger(__name__)

OBJECTS = "objects"
REVALIDATE_AFTER_S = 300.0
TOUCH_EVERY_S = 60.0
_PARTIAL = ".partial"
_FETCH_ATTEMPTS = 3
_COPY_CHUNK = 1024 * 1024


@dataclass(slots=True)
class _Entry:
    stored: StoredObject
    path: Path
    validated_at: float  # monotonic; 0 = check before the next use
    touched_at: float  # monotonic; when its JSON file's mtime was last set


class DiskCachedStore:
    def __init__(
        self,
        remote: MediaStore,
        directory: Path,
        *,
        max_bytes: int,
        revalidate_after_s: float = REVALIDATE_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self._remote = remote
        self._root = directory.absolute() / OBJECTS
        self._max_bytes = max_bytes
        self._revalidate_after_s = revalidate_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()  # least recently used first
        self._bytes = 0
        self._fetching: dict[str, Future[_Entry | None]] = {}
        self._root.mkdir(parents=True, exist_ok=True)
        self._files = LocalMediaStore(self._root)
        self._rebuild()

    @property
    def cached_bytes(self) -> int:
        return self._bytes

    def cached_keys(self) -> list[str]:
        """The cached keys, least recently used first."""
        with self._lock:
            return list(self._entries)

    # --- MediaStore -------------------------------------------------------------------------

    def put_file(self, key: str, source: Path, *, content_type: str) -> StoredObject:
        stored = self._remote.put_file(key, source, content_type=content_type)
        self._drop(key)
        return stored

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        stored = self._remote.put_bytes(key, data, content_type=content_type)
        self._drop(key)
        return stored

    def stat(self, key: str) -> StoredObject | None:
        validate_key(key)
        entry = self._fresh_entry(key)
        if entry is not None:
            return entry.stored
        return self._remote.stat(key)

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """From the cached copy when there is one, else straight from the remote (no fill)."""
        validate_key(key)
        entry = self._fresh_entry(key)
        if entry is not None:
            with contextlib.suppress(KeyError):  # evicted in between: the remote has it
                return self._files.read_range(self._relative(entry), start, end)
        return self._remote.read_range(key, start, end)

    def local_path(self, key: str) -> Path | None:
        """The cached copy, fetched now on a miss; None if the object is missing or too big.

        Blocks for the whole download on a miss: call it from a thread, not an event loop.
        """
        validate_key(key)
        entry = self._fresh_entry(key) or self._fetch_once(key)
        return entry.path if entry is not None else None

    def delete(self, key: str) -> None:
        self._remote.delete(key)
        self._drop(key)

    def keys(self, prefix: str) -> Iterator[str]:
        return self._remote.keys(prefix)

    # --- the cache --------------------------------------------------------------------------

    def _fresh_entry(self, key: str) -> _Entry | None:
        """The entry for `key`, checked against the remote if it is due; marks it used."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            due = now - entry.validated_at > self._revalidate_after_s
            touch = now - entry.touched_at > TOUCH_EVERY_S
            if touch:
                entry.touched_at = now
        if touch:
            with contextlib.suppress(OSError):
                os.utime(_meta_path(entry.path))
        if not due:
            return entry
        try:
            current = self._remote.stat(key)
        except Exception:
            log.warning("cannot revalidate %s; serving the cached copy", key, exc_info=True)
            return entry
        if current is None or (current.size, current.etag) != (
            entry.stored.size,
            entry.stored.etag,
        ):
            self._drop(key, only=entry)
            return None
        entry.validated_at = now
        return entry

    def _fetch_once(self, key: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                return entry
            waiting = self._fetching.get(key)
            if waiting is None:
                leading: Future[_Entry | None] = Future()
                self._fetching[key] = leading
        if waiting is not None:
            return waiting.result()
        try:
            fetched = self._fetch(key)
        except BaseException as error:
            leading.set_exception(error)
            raise
        else:
            leading.set_result(fetched)
            return fetched
        finally:
            with self._lock:
                del self._fetching[key]

    def _fetch(self, key: str) -> _Entry | None:
        for _ in range(_FETCH_ATTEMPTS):
            before = self._remote.stat(key)
            if before is None or before.size > self._max_bytes:
                return None
            path = self._path_for(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._download(key, before, path.parent)
            try:
                after = self._remote.stat(key)
                if after is None:
                    return None
                if (after.size, after.etag) != (before.size, before.etag):
                    continue  # replaced while we read it: fetch the new one
                return self._commit(key, before, path, temporary)
            finally:
                temporary.unlink(missing_ok=True)
        log.warning("%s kept changing while being fetched; not cached", key)
        return None

    def _download(self, key: str, stored: StoredObject, directory: Path) -> Path:
        descriptor, name = tempfile.mkstemp(dir=directory, prefix=".fetch-", suffix=_PARTIAL)
        temporary = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as target:
                written = 0
                if stored.size:
                    for chunk in self._remote.read_range(key, 0, stored.size - 1):
                        target.write(chunk)
                        written += len(chunk)
                if written != stored.size:
                    raise OSError(f"{key}: fetched {written} of {stored.size} bytes")
                target.flush()
                # A restart trusts what it finds: the bytes must be on disk before the name is.
                os.fsync(target.fileno())
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return temporary

    def _commit(self, key: str, stored: StoredObject, path: Path, temporary: Path) -> _Entry:
        meta = {
            "key": key,
            "size": stored.size,
            "etag": stored.etag,
            "content_type": stored.content_type,
        }
        meta_temporary = temporary.with_suffix(".json" + _PARTIAL)
        meta_temporary.write_text(json.dumps(meta))
        now = self._clock()
        entry = _Entry(stored, path, validated_at=now, touched_at=now)
        with self._lock:
            self._make_room(stored.size)
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.stored.size
            # The object first: a JSON file without its object is thrown away on restart.
            os.replace(temporary, path)
            os.replace(meta_temporary, _meta_path(path))
            self._entries[key] = entry
            self._bytes += stored.size
        return entry

    def _make_room(self, size: int) -> None:
        """Evict least recently used entries until `size` more bytes fit (lock held)."""
        while self._entries and self._bytes + size > self._max_bytes:
            key, entry = self._entries.popitem(last=False)
            self._bytes -= entry.stored.size
            _remove(entry.path)
            log.debug("evicted %s (%d bytes)", key, entry.stored.size)

    def _drop(self, key: str, *, only: _Entry | None = None) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or (only is not None and entry is not only):
                return
            del self._entries[key]
            self._bytes -= entry.stored.size
            _remove(entry.path)

    def _path_for(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self._root / digest[:2] / digest

    def _relative(self, entry: _Entry) -> str:
        return entry.path.relative_to(self._root).as_posix()

    def _rebuild(self) -> None:
        found: list[tuple[float, str, _Entry]] = []
        for folder in sorted(self._root.iterdir()):
            if not folder.is_dir():
                continue
            for item in folder.iterdir():
                if item.name.endswith(_PARTIAL):
                    item.unlink(missing_ok=True)
                elif item.suffix == ".json":
                    loaded = self._load(item)
                    if loaded is None:
                        _remove(item.with_suffix(""))
                    else:
                        found.append(loaded)
                elif not _meta_path(item).exists():
                    item.unlink(missing_ok=True)
        found.sort(key=lambda item: item[0])
        for _, key, entry in found:
            self._make_room(entry.stored.size)
            self._entries[key] = entry
            self._bytes += entry.stored.size

    def _load(self, meta_path: Path) -> tuple[float, str, _Entry] | None:
        path = meta_path.with_suffix("")
        try:
            meta = json.loads(meta_path.read_text())
            key = str(meta["key"])
            validate_key(key)
            stored = StoredObject(
                key=key,
                size=int(meta["size"]),
                etag=str(meta["etag"]),
                content_type=str(meta["content_type"]),
            )
            used = meta_path.stat().st_mtime
            intact = path.stat().st_size == stored.size and self._path_for(key) == path
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not intact:
            return None
        # Checked against the remote before its first use: it may have changed while we slept.
        return used, key, _Entry(stored, path, validated_at=float("-inf"), touched_at=0.0)


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    _meta_path(path).unlink(missing_ok=True)
