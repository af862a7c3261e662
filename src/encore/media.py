"""The `MediaStore` port: where audio files and cover art live, by key.

Keys are relative POSIX paths such as `audio/ab/cd/{track_id}/160.ogg` or `covers/ab/{id}.jpg`.
Embedded default: a local directory (`encore.adapters.media.local`). At scale: any S3 API.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    etag: str
    content_type: str


class MediaStore(Protocol):
    def put_file(self, key: str, source: Path, *, content_type: str) -> StoredObject:
        """Store a copy of `source` under `key`, atomically: readers see all of it or nothing."""
        ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject: ...

    def stat(self, key: str) -> StoredObject | None: ...

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes `start` to `end` inclusive, in chunks. Raises KeyError when `key` is absent."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A file on this machine holding the object, for zero-copy sends; None if remote."""
        ...

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str) -> Iterator[str]: ...
