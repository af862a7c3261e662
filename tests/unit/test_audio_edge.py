"""The audio edge as a bare ASGI app, driven with exact raw paths and headers."""

import asyncio
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from encore.adapters.media.disk_cache import DiskCachedStore
from encore.adapters.media.local import LocalMediaStore
from encore.media import MediaStore, StoredObject
from encore.streaming.edge import AudioEdge, AudioEdgeMount
from encore.streaming.paths import audio_path
from encore.streaming.signing import UrlSigner

KEY = "k" * 64
TRACK = "AbCdEfGhIjKlMnOpQrStUv"
OTHER = "ZyXwVuTsRqPoNmLkJiHgFe"
PATH = audio_path(TRACK, "160.ogg")
CHUNK = 64 * 1024
DATA = os.urandom(3 * CHUNK + 17)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    messages: list[dict[str, Any]] = field(default_factory=list)

    def problem_type(self) -> str:
        assert self.headers["content-type"] == "application/problem+json"
        kind: str = json.loads(self.body)["type"]
        return kind


def call(
    edge: AudioEdge,
    raw_path: str | bytes,
    *,
    query: str = "",
    method: str = "GET",
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Reply:
    raw = raw_path if isinstance(raw_path, bytes) else raw_path.encode()
    pairs = list(headers.items()) if isinstance(headers, dict) else headers or []
    scope = {
        "type": "http",
        "method": method,
        "path": raw.decode("latin-1"),
        "raw_path": raw,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in pairs],
        "extensions": extensions or {},
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.zerocopysend":
            handle = message["file"]
            message = {
                **message,
                "read": os.pread(handle.fileno(), message["count"], message["offset"]),
            }
        messages.append(message)

    asyncio.run(edge(scope, receive, send))
    start = messages[0]
    body = b"".join(bytes(m.get("body", b"")) for m in messages[1:])
    decoded = {k.decode(): v.decode() for k, v in start["headers"]}
    return Reply(start["status"], decoded, body, messages)


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def signer() -> UrlSigner:
    return UrlSigner([KEY], ttl_s=3600)


@pytest.fixture
def store(tmp_path: Path) -> LocalMediaStore:
    store = LocalMediaStore(tmp_path / "media")
    store.put_bytes(PATH[1:], DATA, content_type="audio/ogg")
    store.put_bytes(audio_path(TRACK, "320.ogg")[1:], b"other bitrate", content_type="audio/ogg")
    store.put_bytes(audio_path(OTHER, "160.ogg")[1:], b"other track", content_type="audio/ogg")
    return store


@pytest.fixture
def edge(store: LocalMediaStore, signer: UrlSigner, clock: Clock) -> AudioEdge:
    return AudioEdge(media=store, signer=signer, clock=clock, chunk_size=CHUNK)


def query(signer: UrlSigner, path: str, now: float) -> str:
    return signer.sign(path, now).query


def test_whole_file(edge: AudioEdge, signer: UrlSigner, clock: Clock) -> None:
    reply = call(edge, PATH, query=query(signer, PATH, clock.now))
    assert reply.status == 200
    assert reply.body == DATA
    assert reply.headers["content-length"] == str(len(DATA))
    assert reply.headers["content-type"] == "audio/ogg"
    assert reply.headers["accept-ranges"] == "bytes"
    assert reply.headers["etag"].startswith('"') and reply.headers["etag"].endswith('"')
    assert reply.headers["last-modified"].endswith(" GMT")
    assert reply.headers["cache-control"] == "public, max-age=3600, immutable"
    assert "content-range" not in reply.headers
    # Sent in chunks, the last one closing the body.
    assert len(reply.messages) == 1 + 4
    assert [m["more_body"] for m in reply.messages[1:]] == [True, True, True, False]


def test_the_cache_lifetime_never_outlives_the_url(
    edge: AudioEdge, signer: UrlSigner, clock: Clock
) -> None:
    signed = query(signer, PATH, clock.now)
    clock.now += 3000
    reply = call(edge, PATH, query=signed)
    assert reply.headers["cache-control"] == "public, max-age=600, immutable"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        (f"bytes=0-{CHUNK - 1}", 0, CHUNK - 1),
        ("bytes=1000-", 1000, len(DATA) - 1),
        ("bytes=-100", len(DATA) - 100, len(DATA) - 1),
        ("bytes=5-5", 5, 5),
        (f"bytes={len(DATA) - 9}-99999999", len(DATA) - 9, len(DATA) - 1),
    ],
)
def test_ranges(
    edge: AudioEdge, signer: UrlSigner, clock: Clock, header: str, first: int, last: int
) -> None:
    reply = call(edge, PATH, query=query(signer, PATH, clock.now), headers={"Range": header})
    assert reply.status == 206
    assert reply.body == DATA[first : last + 1]
    assert reply.headers["content-range"] == f"bytes {first}-{last}/{len(DATA)}"
    assert reply.headers["content-length"] == str(last - first + 1)


def test_head_has_the_headers_and_no_body(edge: AudioEdge, signer: UrlSigner, clock: Clock) -> None:
    signed = query(signer, PATH, clock.now)
    get = call(edge, PATH, query=signed, headers={"Range": "bytes=0-99"})
    head = call(edge, PATH, query=signed, method="HEAD", headers={"Range": "bytes=0-99"})
    assert head.status == 206
    assert head.body == b""
    assert head.headers == get.headers


def test_a_range_past_the_end_is_416(edge: AudioEdge, signer: UrlSigner, clock: Clock) -> None:
    reply = call(
        edge,
        PATH,
        query=query(signer, PATH, clock.now),
        headers={"Range": f"bytes={len(DATA)}-"},
    )
    assert reply.status == 416
    assert reply.headers["content-range"] == f"bytes */{len(DATA)}"
    assert reply.problem_type() == "/problems/range-not-satisfiable"
    assert reply.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("header", ["bytes=9-2", "bytes=a-b", "bytes=0-1,5-6", "lines=1-2", "="])
def test_a_range_to_ignore_gives_the_whole_file(
    edge: AudioEdge, signer: UrlSigner, clock: Clock, header: str
) -> None:
    reply = call(edge, PATH, query=query(signer, PATH, clock.now), headers={"Range": header})
    assert (reply.status, reply.body) == (200, DATA)


def test_two_range_fields_are_two_ranges_so_ignored(
    edge: AudioEdge, signer: UrlSigner, clock: Clock
) -> None:
    signed = query(signer, PATH, clock.now)
    reply = call(
        edge, PATH, query=signed, headers=[("Range", "bytes=0-9"), ("Range", "bytes=20-29")]
    )
    assert (reply.status, reply.body) == (200, DATA)


def test_conditional_requests(edge: AudioEdge, signer: UrlSigner, clock: Clock) -> None:
    signed = query(signer, PATH, clock.now)
    etag = call(edge, PATH, query=signed, method="HEAD").headers["etag"]
    not_modified = call(edge, PATH, query=signed, headers={"If-None-Match": f'"x", {etag}'})
    assert not_modified.status == 304
    assert not_modified.body == b""
    assert not_modified.headers["etag"] == etag
    assert "content-length" not in not_modified.headers
    same = call(edge, PATH, query=signed, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert (same.status, same.body) == (206, DATA[:10])
    changed = call(edge, PATH, query=signed, headers={"Range": "bytes=0-9", "If-Range": '"x"'})
    assert (changed.status, changed.body) == (200, DATA)


# --- refusals: the right status, never a byte of any file ---------------------------------------


def assert_refused(reply: Reply, status: int, kind: str, *, head: bool = False) -> None:
    assert reply.status == status
    if head:
        assert reply.body == b""
        assert reply.headers["content-type"] == "application/problem+json"
    else:
        assert reply.problem_type() == kind
    assert reply.headers["cache-control"] == "no-store"
    for content in (DATA[:64], b"other bitrate", b"other track"):
        assert content not in reply.body


def test_tampered_urls_are_403(edge: AudioEdge, signer: UrlSigner, clock: Clock) -> None:
    signed = signer.sign(PATH, clock.now)
    for path, q in [
        (audio_path(TRACK, "320.ogg"), signed.query),  # another bitrate
        (audio_path(OTHER, "160.ogg"), signed.query),  # another track
        (PATH, f"exp={signed.expires_at + 1}&sig={signed.signature}"),
        (PATH, f"exp={signed.expires_at}&sig={'0' * 64}"),
        (PATH, f"exp={signed.expires_at}"),
        (PATH, f"sig={signed.signature}"),
        (PATH, ""),
        (PATH, f"{signed.query}&exp={signed.expires_at}"),  # a second exp
        (PATH, f"{signed.query}&sig={signed.signature}"),
        (PATH, f"exp={signed.expires_at}&sig=%{signed.signature[1:]}"),
    ]:
        assert_refused(call(edge, path, query=q), 403, "/problems/invalid-signature")


def test_unknown_query_parameters_are_ignored(
    edge: AudioEdge, signer: UrlSigner, clock: Clock
) -> None:
    signed = query(signer, PATH, clock.now)
    assert call(edge, PATH, query=f"cdn=1&{signed}&x").status == 200


def test_an_expired_url_is_403_with_its_own_type(
    edge: AudioEdge, signer: UrlSigner, clock: Clock
) -> None:
    signed = query(signer, PATH, clock.now)
    clock.now += 3600
    assert_refused(call(edge, PATH, query=signed), 403, "/problems/expired-url")
    head = call(edge, PATH, query=signed, method="HEAD")
    assert_refused(head, 403, "/problems/expired-url", head=True)


@pytest.mark.parametrize(
    "raw",
    [
        f"/audio/Ab/Cd/{TRACK}/../../../../../secret.key",
        f"/audio/Ab/Cd/{TRACK}/..%2F..%2F{OTHER}%2F160.ogg",
        f"/audio/Ab/Cd/{TRACK}%2F160.ogg",
        f"/audio/Ab%2FCd/{TRACK}/160.ogg",
        f"/audio/Ab/Cd/{TRACK}/%31%36%30.ogg",
        f"/audio/Ab/Cd/{TRACK}/160%2Eogg",
        f"/audio//Ab/Cd/{TRACK}/160.ogg",
        f"/audio/Ab/Cd/{TRACK}/./160.ogg",
        f"/audio/Ab/Cd/{TRACK}/160.ogg%00",
        f"/audio/Fe/Zy/{TRACK}/160.ogg",
        "/audio/../media/audio",
        "/audio/",
    ],
)
def test_paths_outside_the_layout_are_404_even_when_signed(
    edge: AudioEdge, signer: UrlSigner, clock: Clock, raw: str
) -> None:
    # Signed with the real key: the layout alone keeps these out.
    reply = call(edge, raw, query=query(signer, raw, clock.now))
    assert_refused(reply, 404, "/problems/not-found")


def test_a_decoded_path_is_not_trusted(edge: AudioEdge, signer: UrlSigner, clock: Clock) -> None:
    # The server decoded `%2F` into the path; the raw path is what counts.
    raw = f"/audio/Ab/Cd/{TRACK}%2F160.ogg".encode()

    async def run() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": PATH,
            "raw_path": raw,
            "query_string": query(signer, PATH, clock.now).encode(),
            "headers": [],
        }
        await edge(scope, receive, send)
        return sent

    assert asyncio.run(run())[0]["status"] == 404


def test_a_missing_file_is_404(edge: AudioEdge, signer: UrlSigner, clock: Clock) -> None:
    path = audio_path(TRACK, "lossless.flac")
    assert_refused(
        call(edge, path, query=query(signer, path, clock.now)), 404, "/problems/not-found"
    )


def test_other_methods_are_405(edge: AudioEdge, signer: UrlSigner, clock: Clock) -> None:
    reply = call(edge, PATH, query=query(signer, PATH, clock.now), method="POST")
    assert_refused(reply, 405, "/problems/method-not-allowed")
    assert reply.headers["allow"] == "GET, HEAD"


def test_flac_is_served_as_flac(
    edge: AudioEdge, store: LocalMediaStore, signer: UrlSigner, clock: Clock
) -> None:
    path = audio_path(TRACK, "lossless.flac")
    store.put_bytes(path[1:], b"fLaC....", content_type="audio/flac")
    reply = call(edge, path, query=query(signer, path, clock.now))
    assert (reply.status, reply.headers["content-type"], reply.body) == (
        200,
        "audio/flac",
        b"fLaC....",
    )


# --- versions --------------------------------------------------------------------------------


def test_a_replaced_file_is_never_served_under_the_old_headers(
    edge: AudioEdge, store: LocalMediaStore, signer: UrlSigner, clock: Clock
) -> None:
    signed = query(signer, PATH, clock.now)
    old = call(edge, PATH, query=signed)
    store.put_bytes(PATH[1:], b"a new version", content_type="audio/ogg")
    new = call(edge, PATH, query=signed)  # within the time the old facts are remembered
    assert new.body == b"a new version"
    assert new.headers["content-length"] == "13"
    assert new.headers["etag"] != old.headers["etag"]
    store.delete(PATH[1:])
    assert call(edge, PATH, query=signed).status == 404


def test_the_etag_survives_a_restart(
    store: LocalMediaStore, signer: UrlSigner, clock: Clock, tmp_path: Path
) -> None:
    signed = query(signer, PATH, clock.now)
    first = call(
        AudioEdge(media=store, signer=signer, clock=clock), PATH, query=signed, method="HEAD"
    )
    again = LocalMediaStore(tmp_path / "media")
    second = call(
        AudioEdge(media=again, signer=signer, clock=clock), PATH, query=signed, method="HEAD"
    )
    assert first.headers["etag"] == second.headers["etag"]
    assert first.headers["last-modified"] == second.headers["last-modified"]


# --- zero-copy sends, where the server offers them -------------------------------------------


def test_zero_copy_send_is_used_when_offered(
    edge: AudioEdge, signer: UrlSigner, clock: Clock
) -> None:
    reply = call(
        edge,
        PATH,
        query=query(signer, PATH, clock.now),
        headers={"Range": "bytes=100-199"},
        extensions={"http.response.zerocopysend": {}},
    )
    assert reply.status == 206
    (message,) = reply.messages[1:]
    assert message["type"] == "http.response.zerocopysend"
    assert (message["offset"], message["count"]) == (100, 100)
    assert message["read"] == DATA[100:200]


def test_path_send_is_used_for_whole_files_only(
    edge: AudioEdge, store: LocalMediaStore, signer: UrlSigner, clock: Clock
) -> None:
    signed = query(signer, PATH, clock.now)
    offered = {"http.response.pathsend": {}}
    whole = call(edge, PATH, query=signed, extensions=offered)
    (message,) = whole.messages[1:]
    assert message == {"type": "http.response.pathsend", "path": str(store.local_path(PATH[1:]))}
    part = call(edge, PATH, query=signed, extensions=offered, headers={"Range": "bytes=0-9"})
    assert part.body == DATA[:10]
    assert all(m["type"] == "http.response.body" for m in part.messages[1:])


# --- a store without local files --------------------------------------------------------------


class RemoteOnly:
    """A store whose objects are nowhere on this machine (like S3 without a cache)."""

    def __init__(self, inner: MediaStore) -> None:
        self._inner = inner

    def stat(self, key: str) -> StoredObject | None:
        return self._inner.stat(key)

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        return self._inner.read_range(key, start, end)

    def local_path(self, key: str) -> None:
        return None


def test_a_remote_store_is_streamed(
    store: LocalMediaStore, signer: UrlSigner, clock: Clock
) -> None:
    edge = AudioEdge(media=RemoteOnly(store), signer=signer, clock=clock)  # type: ignore[arg-type]
    signed = query(signer, PATH, clock.now)
    whole = call(edge, PATH, query=signed)
    assert (whole.status, whole.body) == (200, DATA)
    assert "last-modified" not in whole.headers
    part = call(edge, PATH, query=signed, headers={"Range": "bytes=10-19"})
    assert (part.status, part.body) == (206, DATA[10:20])
    missing = audio_path(OTHER, "96.ogg")
    assert call(edge, missing, query=query(signer, missing, clock.now)).status == 404


class Bucket(LocalMediaStore):
    """A directory playing a remote store: no local files."""

    def local_path(self, key: str) -> None:  # type: ignore[override]
        return None


def test_a_cached_copy_evicted_between_requests_is_fetched_again(
    tmp_path: Path, signer: UrlSigner, clock: Clock
) -> None:
    bucket = Bucket(tmp_path / "bucket")
    first, second = PATH, audio_path(OTHER, "160.ogg")
    bucket.put_bytes(first[1:], DATA, content_type="audio/ogg")
    bucket.put_bytes(second[1:], b"second" * 1000, content_type="audio/ogg")
    cache = DiskCachedStore(bucket, tmp_path / "cache", max_bytes=len(DATA))  # room for one
    edge = AudioEdge(media=cache, signer=signer, clock=clock)
    assert call(edge, first, query=query(signer, first, clock.now)).body == DATA
    assert call(edge, second, query=query(signer, second, clock.now)).body == b"second" * 1000
    assert cache.cached_keys() == [second[1:]]
    # The edge still remembers where the first one was; it is gone, so it is fetched again.
    again = call(edge, first, query=query(signer, first, clock.now), headers={"Range": "bytes=-5"})
    assert (again.status, again.body) == (206, DATA[-5:])
    assert cache.cached_keys() == [first[1:]]


class Unreachable(LocalMediaStore):
    """A store whose backend has gone away: every look-up fails."""

    def local_path(self, key: str) -> Path | None:
        raise ConnectionError("the media store is unreachable")

    def stat(self, key: str) -> StoredObject | None:
        raise ConnectionError("the media store is unreachable")


def test_a_failing_store_is_a_problem_before_the_first_byte(
    tmp_path: Path, signer: UrlSigner, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    edge = AudioEdge(media=Unreachable(tmp_path / "gone"), signer=signer, clock=clock)

    async def framework(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("an /audio/ path never reaches the framework")

    mounted = AudioEdgeMount(framework, edge=edge)
    reply = call(mounted, PATH, query=query(signer, PATH, clock.now))  # type: ignore[arg-type]
    assert reply.status == 503
    assert reply.problem_type().endswith("/edge-failure")
    assert reply.headers["cache-control"] == "no-store"
    assert "media store is unreachable" in caplog.text
