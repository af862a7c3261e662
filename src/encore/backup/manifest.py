"""A backup's manifest: what the archive holds, with a size and a SHA-256 for each part.

The archive is a tar file: first the member `MAGIC_NAME` (saying what the file is), then the
parts, then `manifest.json`. The manifest comes last because it carries every part's checksum,
which are known only once the parts are written; a file cut short therefore has no manifest and
is refused whole.
"""

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from encore.errors import EncoreError

FORMAT = 1
MAGIC_NAME = "ENCORE-BACKUP"
MAGIC = b"encore-backup format 1\n"
MANIFEST_NAME = "manifest.json"
# Archive members that hold the data directory's files sit under this folder.
DATA_PREFIX = "data/"
MEDIA_DIR = "media"


class BackupError(EncoreError):
    kind = "backup-failed"
    title = "Backup failed"


class NotABackup(EncoreError):
    """A file that is not a complete, intact Encore backup."""

    kind = "not-a-backup"
    title = "Not a usable Encore backup"


@dataclass(frozen=True, slots=True)
class Entry:
    """One file of the archive: its path inside the data directory."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class MediaEntry:
    """A media object of the instance, by its key (its path under DATA/media)."""

    key: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    encore_version: str
    schema_revision: str | None
    created_at: datetime
    entries: tuple[Entry, ...]
    media: tuple[MediaEntry, ...]
    # Whether the media files are in the archive, or only listed (by reference).
    media_included: bool
    # Rows per table of the database snapshot, and events in the event log's.
    row_counts: dict[str, int] = field(default_factory=dict)
    event_count: int | None = None
    format: int = FORMAT

    def to_json(self) -> bytes:
        document = asdict(self)
        document["created_at"] = self.created_at.isoformat()
        return json.dumps(document, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> "Manifest":
        try:
            document = json.loads(data)
            if not isinstance(document, dict):
                raise TypeError("not an object")
            if document.get("format") != FORMAT:
                raise NotABackup(
                    f"backup format {document.get('format')!r}; this Encore reads format {FORMAT}"
                )
            return cls(
                encore_version=str(document["encore_version"]),
                schema_revision=_optional_str(document["schema_revision"]),
                created_at=datetime.fromisoformat(document["created_at"]),
                entries=tuple(Entry(**_fields(e, Entry)) for e in document["entries"]),
                media=tuple(MediaEntry(**_fields(m, MediaEntry)) for m in document["media"]),
                media_included=bool(document["media_included"]),
                row_counts={str(k): int(v) for k, v in document["row_counts"].items()},
                event_count=(
                    None if document["event_count"] is None else int(document["event_count"])
                ),
            )
        except NotABackup:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise NotABackup(f"the manifest is damaged ({error})") from None


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _fields(document: Any, kind: type[Entry] | type[MediaEntry]) -> dict[str, Any]:
    if not isinstance(document, dict) or set(document) != set(kind.__slots__):
        raise ValueError(f"an entry {document!r} is not a {kind.__name__}")
    size, sha = document["size"], document["sha256"]
    if not isinstance(size, int) or size < 0 or not _is_sha256(sha):
        raise ValueError(f"an entry {document!r} has no valid size and SHA-256")
    return dict(document)


def _is_sha256(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def safe_relative_path(path: str) -> bool:
    """Whether `path` is a relative POSIX path that stays inside the folder it is joined to."""
    if not path or path.startswith("/") or "\\" in path or "\x00" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))
