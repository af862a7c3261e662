"""A zip archive written as a stream of bytes: each entry is compressed as its rows arrive and
the bytes are handed out as they are produced, so that the archive is never whole in memory.

The zip format allows this (an entry's sizes and CRC follow its data, in a data descriptor);
`zipfile` does it when its file cannot seek. Entries are ZIP64, so a history of any length fits.
"""

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import IO, Any

# Bytes gathered before they are handed out: large enough for few, big writes to the socket.
CHUNK = 256 * 1024


class _Outbox(io.RawIOBase):
    """An unseekable file whose writes wait in a list until taken."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        # Nothing is buffered here. Also: a download abandoned part way leaves the ZipFile to be
        # closed by the garbage collector, possibly after this object, and that must not fail.
        pass

    def take(self) -> bytes:
        taken = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return taken


class ZipStream:
    """Builds a zip archive entry by entry; `chunks()` hands out the bytes written so far.

    Use: `stream = ZipStream(); with stream.entry("a.csv") as f: f.write(...)`, taking
    `stream.chunks()` between writes, and `stream.close()` then `stream.chunks()` at the end.
    """

    def __init__(self) -> None:
        self._outbox = _Outbox()
        self._zip = zipfile.ZipFile(self._outbox, "w", compression=zipfile.ZIP_DEFLATED)

    def entry(self, name: str) -> IO[bytes]:
        info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        return self._zip.open(info, "w", force_zip64=True)

    def ready(self) -> bool:
        return self._outbox.size >= CHUNK

    def chunks(self) -> Iterator[bytes]:
        if self._outbox.size:
            yield self._outbox.take()

    def close(self) -> None:
        self._zip.close()


def json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def json_bytes(value: object) -> bytes:
    return json.dumps(value, default=json_value, ensure_ascii=False, indent=2).encode()


def json_array_lines(batches: Iterable[Sequence[Mapping[str, object]]]) -> Iterator[bytes]:
    """A JSON array of the rows, produced batch by batch (each batch encoded in one call: the
    C encoder, rather than a call per row)."""
    yield b"["
    first = True
    for batch in batches:
        if not batch:
            continue
        body = json.dumps(list(batch), default=json_value, ensure_ascii=False)[1:-1]
        yield (body if first else ",\n" + body).encode()
        first = False
    yield b"]\n"


def csv_lines(
    columns: Sequence[str], batches: Iterable[Sequence[Mapping[str, object]]]
) -> Iterator[bytes]:
    """A CSV file with a header row, produced batch by batch (UTF-8, ISO 8601 times)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for batch in batches:
        for row in batch:
            writer.writerow([_csv_value(row.get(column)) for column in columns])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def _csv_value(value: object) -> object:
    convert = _CSV.get(type(value))
    return value if convert is None else convert(value)


def _iso(value: Any) -> str:
    return str(value.isoformat())


def _joined(value: Any) -> str:
    return "; ".join(str(item) for item in value)


# By exact type: one dictionary look-up per cell (most are strings and numbers, left as they are).
_CSV: dict[type, Callable[[Any], object]] = {
    type(None): lambda value: "",
    bool: lambda value: "true" if value else "false",
    datetime: _iso,
    date: _iso,
    list: _joined,
    tuple: _joined,
}
