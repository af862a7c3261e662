"""Finding the audio files an import was pointed at, and fingerprinting them."""

import errno
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from encore.catalog.import_summary import Outcome, Status

AUDIO_EXTENSIONS = frozenset(
    {".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".wav", ".aif", ".aiff"}
)


@dataclass(frozen=True, slots=True)
class FoundFile:
    path: Path
    size_bytes: int
    mtime_ns: int


def find_audio_files(
    paths: Iterable[Path], *, on_error: Callable[[Outcome], None]
) -> Iterator[FoundFile]:
    """Audio files under `paths`, each once, in a stable order. Follows symbolic links but never
    enters a directory twice, so a link loop ends. What cannot be read is reported, not raised."""
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()

    def fail(path: Path, reason: str) -> None:
        on_error(Outcome(str(path), Status.FAILED, 0, reason=reason))

    def visit(path: Path) -> Iterator[FoundFile]:
        try:
            stat = path.stat()
        except OSError as error:
            reason = (
                "symbolic link loop" if error.errno == errno.ELOOP else error.strerror or str(error)
            )
            fail(path, reason)
            return
        identity = (stat.st_dev, stat.st_ino)
        if path.is_dir():
            if identity in seen_dirs:
                return
            seen_dirs.add(identity)
            try:
                children = sorted(os.scandir(path), key=lambda entry: entry.name)
            except OSError as error:
                fail(path, error.strerror or str(error))
                return
            for child in children:
                yield from visit(Path(child.path))
        elif path.suffix.lower() in AUDIO_EXTENSIONS and identity not in seen_files:
            seen_files.add(identity)
            yield FoundFile(path, stat.st_size, stat.st_mtime_ns)

    for path in paths:
        if not path.exists() and not path.is_symlink():
            fail(path, "no such file or directory")
            continue
        yield from visit(path.absolute())


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
