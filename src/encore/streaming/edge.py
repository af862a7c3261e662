"""Encore's own audio edge: `GET|HEAD /audio/...?exp=...&sig=...`, as a bare ASGI app.

Every byte a listener hears goes through here (or through a CDN or nginx doing the same job),
so the path is short: no router, no dependency injection, no database. A request is answered
from the raw path, the signature and one open file; what a file's headers need (size, ETag,
Last-Modified) is remembered for a moment, and the open file's inode is checked against it, so a
file replaced in between is never served under the old file's headers.

Order of checks: method (405), layout of the raw path (404), signature and expiry (403), the
file (404), then conditional and range headers (304, 416, 206, 200). A path that does not match
the layout exactly - percent-encoding, `..`, `//`, another file name - names no file at all.

Bytes go out without a copy through the server where it offers one (the ASGI zero-copy send or
path send extensions); under uvicorn, which has neither, the file is read with `pread` in big
chunks. A read that the page cache can answer runs inline; one that would wait for the disk
runs in a thread, so a cold file never stalls the event loop.

Caching (CDNs): `Cache-Control: public, max-age=<seconds until the URL expires>, immutable`.
A cache that keys on the whole URL (browsers, a CDN that cannot check signatures) must keep the
query in its key, and it then never serves a URL after it expired. A CDN that checks the
signature itself (the nginx njs edge) should key on the path alone, where every listener's URL
of a file meets the same cached copy, and choose its own lifetime for it.
"""

import contextlib
import email.utils
import errno
import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from encore.api.middleware import ROUTE_TEMPLATE
from encore.api.problems import problem
from encore.media import MediaStore
from encore.streaming.paths import parse_audio_path
from encore.streaming.ranges import Status, Validators, decide
from encore.streaming.signing import UrlSigner, Verdict

PREFIX = "/audio/"
ROUTE = "/audio/{a}/{b}/{track_id}/{file}"
CHUNK_SIZE = 1024 * 1024
REMEMBER_S = 2.0
REMEMBER_ENTRIES = 20_000
_NO_WAIT = getattr(os, "RWF_NOWAIT", 0)
_NO_STORE = [(b"cache-control", b"no-store")]
_ALLOW = [(b"allow", b"GET, HEAD")]
_PLAIN_ETAG = re.compile(r"[0-9A-Za-z._-]{1,200}")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _File:
    """What the headers of one version of one file need, looked up once for many requests."""

    key: str
    path: str | None  # a local file to send from; None: stream from the store
    identity: tuple[int, int, int, int] | None  # (device, inode, mtime, size) of that file
    validators: Validators
    etag: bytes
    last_modified: bytes | None
    looked_up_at: float


class AudioEdge:
    def __init__(
        self,
        *,
        media: MediaStore,
        signer: UrlSigner,
        clock: Callable[[], float] = time.time,
        chunk_size: int = CHUNK_SIZE,
        remember_s: float = REMEMBER_S,
    ) -> None:
        self._media = media
        self._signer = signer
        self._clock = clock
        self._chunk_size = chunk_size
        self._remember_s = remember_s
        self._files: dict[str, _File] = {}
        self._read_now = _NO_WAIT != 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await _problem(send, method, "method-not-allowed", _ALLOW)
            return
        target = parse_audio_path(scope.get("raw_path") or scope["path"].encode())
        if target is None:
            await _problem(send, method, "not-found")
            return
        now = self._clock()
        exp, sig = _signature_of(scope["query_string"])
        verdict = self._signer.check(target.path, exp, sig, now)
        if verdict is not Verdict.VALID:
            kind = "expired-url" if verdict is Verdict.EXPIRED else "invalid-signature"
            await _problem(send, method, kind)
            return
        opened = await self._open(target.key, now)
        if opened is None:
            await _problem(send, method, "not-found")
            return
        file, descriptor = opened
        try:
            await self._answer(scope, send, file, descriptor, target.content_type, int(exp), now)
        finally:
            if descriptor >= 0:
                os.close(descriptor)

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        file: _File,
        descriptor: int,
        content_type: str,
        expires_at: int,
        now: float,
    ) -> None:
        headers = _request_headers(scope["headers"])
        validators = file.validators
        answer = decide(
            validators,
            range_header=headers.get(b"range"),
            if_range=headers.get(b"if-range"),
            if_none_match=headers.get(b"if-none-match"),
            if_modified_since=headers.get(b"if-modified-since"),
            now=now,
        )
        method = scope["method"]
        if answer.status is Status.UNSATISFIABLE:
            content_range = (b"content-range", f"bytes */{validators.size}".encode())
            await _problem(send, method, "range-not-satisfiable", [content_range])
            return
        max_age = max(0, expires_at - int(now))
        response_headers = [
            (b"etag", file.etag),
            (b"cache-control", b"public, max-age=%d, immutable" % max_age),
        ]
        if file.last_modified is not None:
            response_headers.append((b"last-modified", file.last_modified))
        if answer.status is Status.NOT_MODIFIED:
            await send({"type": "http.response.start", "status": 304, "headers": response_headers})
            await send({"type": "http.response.body", "body": b""})
            return
        response_headers += [
            (b"content-type", content_type.encode()),
            (b"accept-ranges", b"bytes"),
        ]
        if answer.range is None:
            first, length = 0, validators.size
        else:
            first, length = answer.range.first, answer.range.length
            response_headers.append(
                (b"content-range", answer.range.content_range(validators.size).encode())
            )
        response_headers.append((b"content-length", b"%d" % length))
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": response_headers}
        )
        if method == "HEAD" or length == 0:
            await send({"type": "http.response.body", "body": b""})
        elif descriptor < 0:
            await self._stream_from_store(send, file.key, first, length)
        else:
            await self._send_file(scope, send, file, descriptor, first, length)

    async def _send_file(
        self, scope: Scope, send: Send, file: _File, descriptor: int, first: int, length: int
    ) -> None:
        extensions = scope.get("extensions") or {}
        if "http.response.zerocopysend" in extensions:
            with open(descriptor, "rb", buffering=0, closefd=False) as handle:
                await send(
                    {
                        "type": "http.response.zerocopysend",
                        "file": handle,
                        "offset": first,
                        "count": length,
                    }
                )
            return
        if (
            "http.response.pathsend" in extensions
            and file.path is not None
            and length == file.validators.size
        ):
            # The server opens the path itself: a file replaced since `_open` would be sent under
            # this one's headers, so this is only for the whole file, whose size was checked.
            await send({"type": "http.response.pathsend", "path": file.path})
            return
        offset, end = first, first + length
        while offset < end:
            wanted = min(self._chunk_size, end - offset)
            data = self._read_cached(descriptor, wanted, offset)
            if data is None:
                data = await run_in_threadpool(os.pread, descriptor, wanted, offset)
            if not data:
                # The file shrank under us; the promised length cannot be kept. Failing makes
                # the server drop the connection, which the client sees as a short answer.
                raise OSError(errno.EIO, f"{file.key} ended {end - offset} bytes early")
            offset += len(data)
            await send({"type": "http.response.body", "body": data, "more_body": offset < end})

    def _read_cached(self, descriptor: int, wanted: int, offset: int) -> bytes | bytearray | None:
        """The bytes if the page cache holds them all, else None (then read them in a thread)."""
        if not self._read_now:
            return None
        buffer = bytearray(wanted)
        try:
            count = os.preadv(descriptor, [buffer], offset, _NO_WAIT)
        except BlockingIOError:
            return None
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                raise
            self._read_now = False  # this file system cannot say; always use the thread
            return None
        if count < wanted:
            return buffer[:count] if count else None
        return buffer

    async def _stream_from_store(self, send: Send, key: str, first: int, length: int) -> None:
        end = first + length
        chunks = await run_in_threadpool(self._media.read_range, key, first, end - 1)
        try:
            sent = 0
            while True:
                chunk = await run_in_threadpool(next, chunks, None)
                if chunk is None:
                    break
                if chunk:
                    sent += len(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if sent != length:
                raise OSError(errno.EIO, f"{key} gave {sent} of {length} bytes")
            await send({"type": "http.response.body", "body": b""})
        finally:
            _close(chunks)

    async def _open(self, key: str, now: float) -> tuple[_File, int] | None:
        """The file's facts and an open descriptor on that very version (-1 for remote files)."""
        for attempt in range(2):
            file = self._files.get(key)
            if file is None or now - file.looked_up_at > self._remember_s or attempt:
                file = await run_in_threadpool(self._look_up, key, now)
                if file is None:
                    self._files.pop(key, None)
                    return None
                if len(self._files) >= REMEMBER_ENTRIES:
                    self._files.clear()
                self._files[key] = file
            if file.path is None:
                return file, -1
            try:
                descriptor = os.open(file.path, os.O_RDONLY | os.O_CLOEXEC)
            except (FileNotFoundError, NotADirectoryError):
                continue  # evicted or deleted since: look it up again
            if _identity(os.fstat(descriptor)) == file.identity:
                return file, descriptor
            os.close(descriptor)  # replaced since: look it up again
        self._files.pop(key, None)
        return None

    def _look_up(self, key: str, now: float) -> _File | None:
        """Blocking (a remote store may fetch the object into its disk cache): run in a thread."""
        for _ in range(3):
            path = self._media.local_path(key)
            if path is None:
                return self._remote_file(key, now)
            try:
                before = os.stat(path)
                stored = self._media.stat(key)
                after = os.stat(path)
            except (FileNotFoundError, NotADirectoryError):
                if self._media.stat(key) is None:
                    return None
                continue  # a cached copy, evicted just now: fetch it again
            if stored is None:
                return None
            identity = _identity(after)
            # The store's answer belongs to this file only if nothing changed around it.
            if _identity(before) == identity and stored.size == after.st_size:
                modified = int(after.st_mtime)
                validators = Validators(stored.size, _quoted(stored.etag), modified)
                return _File(
                    key,
                    str(path),
                    identity,
                    validators,
                    validators.etag.encode(),
                    email.utils.formatdate(modified, usegmt=True).encode(),
                    now,
                )
        return None

    def _remote_file(self, key: str, now: float) -> _File | None:
        stored = self._media.stat(key)
        if stored is None:
            return None
        validators = Validators(stored.size, _quoted(stored.etag), None)
        return _File(key, None, None, validators, validators.etag.encode(), None, now)


class AudioEdgeMount:
    """Hands `/audio/...` to the edge ahead of the framework's router and middleware.

    Ahead of the framework's error pages too: a failure before the first byte (the media store
    unreachable) is answered here as a problem; once bytes are under way, only cutting the
    connection tells the player.
    """

    def __init__(self, app: ASGIApp, *, edge: AudioEdge) -> None:
        self.app = app
        self._edge = edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        scope[ROUTE_TEMPLATE] = ROUTE
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self._edge(scope, receive, tracking_send)
        except Exception:
            log.exception("The audio edge failed on %s", scope["path"])
            if started:
                raise
            await _problem(send, scope["method"], "edge-failure")


def _signature_of(query: bytes) -> tuple[str, str]:
    """`exp` and `sig` from the query; empty (so invalid) when missing or given twice."""
    exp = sig = None
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if name == b"exp":
            if exp is not None:
                return "", ""
            exp = value
        elif name == b"sig":
            if sig is not None:
                return "", ""
            sig = value
    if exp is None or sig is None:
        return "", ""
    return exp.decode("latin-1"), sig.decode("latin-1")


def _request_headers(raw: list[tuple[bytes, bytes]]) -> dict[bytes, str]:
    wanted: dict[bytes, str] = {}
    for name, value in raw:
        if name in _CONDITIONAL:
            text = value.decode("latin-1")
            # Repeated fields combine into one list (RFC 9110 5.3): two Ranges are two ranges.
            wanted[name] = f"{wanted[name]}, {text}" if name in wanted else text
    return wanted


_CONDITIONAL = frozenset({b"range", b"if-range", b"if-none-match", b"if-modified-since"})


async def _problem(
    send: Send, method: str, kind: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    status, response = _PROBLEMS[kind]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*response.raw_headers, *_NO_STORE, *(headers or ())],
        }
    )
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else response.body})


# Rendered once: refusing a flood of bad links should cost next to nothing.
_PROBLEMS = {
    kind: (status, problem(status, kind=kind, title=title, detail=detail))
    for kind, status, title, detail in [
        ("method-not-allowed", 405, "Method not allowed", "The audio edge answers GET and HEAD"),
        ("not-found", 404, "Not found", "No such audio file"),
        ("invalid-signature", 403, "Invalid signature", "This link is not signed for this file"),
        ("expired-url", 403, "Link expired", "This link has expired; ask for a new one"),
        ("range-not-satisfiable", 416, "Range not satisfiable", "The range starts past the end"),
        ("edge-failure", 503, "Audio unavailable", "The audio store could not be read; retry"),
    ]
}


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_size)


def _quoted(etag: str) -> str:
    # Store ETags are hex digests (S3's may end in -N); anything else is hashed into one.
    if _PLAIN_ETAG.fullmatch(etag):
        return f'"{etag}"'
    return f'"{hashlib.blake2b(etag.encode(), digest_size=16).hexdigest()}"'


def _close(chunks: Iterator[bytes]) -> None:
    close: Any = getattr(chunks, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()
