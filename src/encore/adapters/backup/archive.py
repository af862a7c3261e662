"""The backup file: a tar archive written under a temporary name and renamed when complete.

`ArchiveWriter` hashes each member as it writes it; `verify` reads a whole archive and checks
it against its manifest before anything is restored; `extract` writes the members out, checking
them again as it goes (the file may have changed since).
"""

import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from encore.backup.manifest import (
    DATA_PREFIX,
    MAGIC,
    MAGIC_NAME,
    MANIFEST_NAME,
    Entry,
    Manifest,
    NotABackup,
    safe_relative_path,
)

_CHUNK = 1024 * 1024
_MAX_MANIFEST = 512 * 1024 * 1024


class HashingReader(io.RawIOBase):
    """Reads through to a file, hashing and counting what passes."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


class ArchiveWriter:
    """Members go to `.<name>.<random>.partial` beside `path`; `commit` adds the manifest and
    renames the file into place. Left without a commit (an error, an interrupt), the partial
    file is deleted; a killed process leaves it, under a name no one takes for a backup."""

    def __init__(self, path: Path) -> None:
        self.path = path
        handle, partial = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
        )
        self._partial = Path(partial)
        self._file = os.fdopen(handle, "wb")
        # Closed by commit, or by __exit__ when there is none.
        self._tar = tarfile.open(  # noqa: SIM115
            fileobj=self._file, mode="w|", format=tarfile.PAX_FORMAT
        )
        self._committed = False
        self.add_bytes(MAGIC_NAME, MAGIC)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if not self._committed:
            self._tar.close()
            self._file.close()
            self._partial.unlink(missing_ok=True)

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        self._tar.addfile(info, io.BytesIO(data))

    def add_file(self, name: str, source: IO[bytes], *, size: int, mode: int = 0o644) -> Entry:
        """Add `size` bytes read from `source` as data member `name` (a data directory path)."""
        info = tarfile.TarInfo(DATA_PREFIX + name)
        info.size = size
        info.mode = mode & 0o777
        reader = HashingReader(source)
        self._tar.addfile(info, reader)  # fails when the source holds fewer bytes than `size`
        return Entry(name, reader.size, reader.digest.hexdigest())

    def commit(self, manifest: Manifest) -> None:
        self.add_bytes(MANIFEST_NAME, manifest.to_json())
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._partial, self.path)
        fsync_dir(self.path.parent)
        self._committed = True


def verify(path: Path) -> Manifest:
    """The archive's manifest, once every member is found to match it; NotABackup otherwise."""
    found: dict[str, Entry] = {}
    with _members(path) as members:
        manifest: Manifest | None = None
        for member, content in members:
            if manifest is not None:
                raise NotABackup(f"{path} has members after its manifest")
            if member.name == MANIFEST_NAME:
                if member.size > _MAX_MANIFEST:
                    raise NotABackup(f"{path} has a manifest too large to be one")
                manifest = Manifest.from_json(content.read())
                continue
            name = member.name.removeprefix(DATA_PREFIX)
            if name in found:
                raise NotABackup(f"{path} holds {name!r} twice")
            reader = HashingReader(content)
            while reader.read(_CHUNK):
                pass
            found[name] = Entry(name, reader.size, reader.digest.hexdigest())
    if manifest is None:
        raise NotABackup(f"{path} ends before its manifest: it was cut short")
    listed = {entry.path: entry for entry in manifest.entries}
    if set(listed) != set(found):
        missing = sorted(set(listed) - set(found))
        extra = sorted(set(found) - set(listed))
        raise NotABackup(f"{path} does not hold what its manifest lists ({missing=}, {extra=})")
    for name, entry in listed.items():
        if found[name] != entry:
            raise NotABackup(f"{name} in {path} fails its checksum: the file is damaged")
    return manifest


def extract(path: Path, manifest: Manifest, into: Path) -> None:
    """Write the archive's data members under `into`, checking each against `manifest`."""
    listed = {entry.path: entry for entry in manifest.entries}
    with _members(path) as members:
        for member, content in members:
            if member.name == MANIFEST_NAME:
                break
            name = member.name.removeprefix(DATA_PREFIX)
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            reader = HashingReader(content)
            with target.open("wb") as out:
                while chunk := reader.read(_CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            target.chmod(member.mode & 0o777)
            if Entry(name, reader.size, reader.digest.hexdigest()) != listed.get(name):
                raise NotABackup(f"{name} in {path} changed since it was verified")


@contextmanager
def _members(path: Path) -> Iterator[Iterator[tuple[tarfile.TarInfo, IO[bytes]]]]:
    """The archive's members in order, after its magic member; NotABackup for anything that
    is not a well-formed Encore backup."""
    try:
        with path.open("rb") as file, tarfile.open(fileobj=file, mode="r|") as tar:
            yield _checked_members(path, tar)
    except tarfile.TarError as error:
        raise NotABackup(f"{path} is not an intact Encore backup ({error})") from None
    except EOFError:
        raise NotABackup(f"{path} was cut short") from None


def _checked_members(
    path: Path, tar: tarfile.TarFile
) -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
    first = True
    for member in tar:
        content = tar.extractfile(member) if member.isreg() else None
        if content is None:
            raise NotABackup(f"{path} holds {member.name!r}, which is not a plain file")
        if first:
            if member.name != MAGIC_NAME or content.read(len(MAGIC) + 1) != MAGIC:
                raise NotABackup(f"{path} is not an Encore backup")
            first = False
            continue
        data_name = member.name.removeprefix(DATA_PREFIX)
        if member.name != MANIFEST_NAME and (
            not member.name.startswith(DATA_PREFIX) or not safe_relative_path(data_name)
        ):
            raise NotABackup(f"{path} holds a member with an unsafe name: {member.name!r}")
        yield member, content
    if first:
        raise NotABackup(f"{path} is empty or not an Encore backup")


def fsync_dir(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
