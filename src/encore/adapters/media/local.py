"""`MediaStore` on a local directory: the embedded default.

A key maps to the file `root/<key>`. Writes go to a hidden temporary file in the target directory,
are fsynced and then renamed over the key, so a reader sees the old file or the new one, never a
part. The content type is derived from the key's extension, so nothing is stored beside the file.

The ETag is a digest of the file's (device, inode, mtime, size), read by `stat`: nothing is
re-hashed. Every put writes a new inode, so a put changes it; it stays put until the file changes.
Unlike S3's, it is not a content hash: the same bytes put twice get two ETags.
"""

import contextlib
import hashlib
import os
import shutil
import stat as stat_mode
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from encore.media import StoredObject

CHUNK_SIZE = 256 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"
CONTENT_TYPES = {
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".flac": "audio/flac",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}
_PARTIAL_SUFFIX = ".partial"
_COPY_BUFFER = 1024 * 1024


def validate_key(key: str) -> tuple[str, ...]:
    """The key's segments; ValueError unless it is a relative POSIX path that stays in the store.

    Refused: empty keys and segments, absolute paths, `.` and `..`, any segment starting with a dot
    (hidden files are the store's own temporaries), backslashes and control characters.
    Every adapter applies the same rule, so a key valid on one store is valid on all.
    """
    if not key or "\\" in key or any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
        raise ValueError(f"invalid media key {key!r}")
    segments = tuple(key.split("/"))
    if any(not segment or segment.startswith(".") for segment in segments):
        raise ValueError(f"invalid media key {key!r}")
    return segments


def validate_prefix(prefix: str) -> None:
    """ValueError unless `prefix` is the start of some valid key ("" lists everything)."""
    # The prefix may end inside a segment or right after a slash; completing it must give a key.
    validate_key(f"{prefix}x")


def validate_range(start: int, end: int) -> None:
    if start < 0 or end < start:
        raise ValueError(f"invalid byte range {start}-{end}")


def content_type_for(key: str) -> str:
    return CONTENT_TYPES.get(Path(key).suffix.lower(), DEFAULT_CONTENT_TYPE)


class LocalMediaStore:
    def __init__(self, root: Path, *, chunk_size: int = CHUNK_SIZE) -> None:
        self._root = root.absolute()
        self._chunk_size = chunk_size

    def put_file(self, key: str, source: Path, *, content_type: str) -> StoredObject:
        """Store a copy of `source`. `content_type` is not kept: the key's extension decides."""
        with source.open("rb") as original:
            return self._write(
                key, lambda target: shutil.copyfileobj(original, target, _COPY_BUFFER)
            )

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        """Store `data`. `content_type` is not kept: the key's extension decides."""
        return self._write(key, lambda target: target.write(data))

    def stat(self, key: str) -> StoredObject | None:
        try:
            info = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not stat_mode.S_ISREG(info.st_mode):
            return None
        return _stored(key, info)

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes `start` to `end` inclusive (clamped to the file), in chunks of at most 256 KiB.

        Raises KeyError at once, not on the first chunk. The file is opened here, so a concurrent
        put does not change what the iterator yields; consume or close it to release the file.
        """
        validate_range(start, end)
        chunks = self._chunks(self._path(key), key, start, end)
        # Runs the generator up to its first (empty) yield: the open happens now, and a generator
        # that has started closes its file when it is closed or collected, even if never read.
        next(chunks)
        return chunks

    def local_path(self, key: str) -> Path:
        """Where the object's file is (or would be); does not check that it exists."""
        return self._path(key)

    def delete(self, key: str) -> None:
        # A folder is not an object, so there is nothing to delete.
        with contextlib.suppress(IsADirectoryError, NotADirectoryError):
            self._path(key).unlink(missing_ok=True)

    def keys(self, prefix: str) -> Iterator[str]:
        """The keys starting with `prefix`, each directory in name order. Lazy."""
        validate_prefix(prefix)
        folder, _, partial = prefix.rpartition("/")
        directory = self._root.joinpath(*folder.split("/")) if folder else self._root
        return self._walk(directory, f"{folder}/" if folder else "", partial)

    def _path(self, key: str) -> Path:
        return self._root.joinpath(*validate_key(key))

    def _write(self, key: str, write: Callable[[BinaryIO], object]) -> StoredObject:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=_PARTIAL_SUFFIX
        )
        try:
            with os.fdopen(descriptor, "wb") as target:
                write(target)
                target.flush()
                os.fchmod(target.fileno(), 0o644)  # mkstemp's 0600 would hide it from a web server
                os.fsync(target.fileno())
                info = os.fstat(target.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(path.parent)
        # The rename keeps inode and mtime, so this is what `stat` will report for this version.
        return _stored(key, info)

    def _chunks(self, path: Path, key: str, start: int, end: int) -> Iterator[bytes]:
        try:
            file = path.open("rb", buffering=0)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise KeyError(key) from None
        with file:
            yield b""  # consumed by `read_range`
            file.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = file.read(min(self._chunk_size, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    def _walk(self, directory: Path | str, key_prefix: str, partial: str = "") -> Iterator[str]:
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.startswith(partial):
                continue
            key = key_prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(entry.path, f"{key}/")
            elif entry.is_file():
                yield key


def _stored(key: str, info: os.stat_result) -> StoredObject:
    identity = f"{info.st_dev}:{info.st_ino}:{info.st_mtime_ns}:{info.st_size}".encode()
    return StoredObject(
        key=key,
        size=info.st_size,
        etag=hashlib.blake2b(identity, digest_size=16).hexdigest(),
        content_type=content_type_for(key),
    )


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable, not only the file's content.
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
