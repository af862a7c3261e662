"""Encore's nginx edge in origin mode: the njs check, then proxy_cache in 1 MiB slices in front of
a remote origin (here a plain static nginx over the media directory, whose access log shows
every request that reaches it).
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.nginx import RunningNginx, start_edge, start_static
from tests.integration.signed_audio import (
    A_320,
    A_FLAC,
    B_96,
    KEYS,
    MISSING,
    Answer,
    fetch,
    make_media,
    signed,
)

pytestmark = pytest.mark.nginx


class Origin:
    """The origin nginx, and how many requests it has answered."""

    def __init__(self, running: RunningNginx) -> None:
        self.running = running

    def requests(self) -> int:
        # Its log line is written as it finishes a request, a moment after the edge may have
        # the last byte: read until two readings agree.
        count = -1
        while True:
            latest = len(self.running.access_log.read_text().splitlines())
            if latest == count:
                return count
            count = latest
            time.sleep(0.05)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("media")
    return root, make_media(root)


@pytest.fixture(scope="module")
def origin(
    tmp_path_factory: pytest.TempPathFactory, files: tuple[Path, dict[str, bytes]]
) -> Iterator[Origin]:
    with start_static(tmp_path_factory.mktemp("origin"), files[0]) as running:
        yield Origin(running)


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory, origin: Origin) -> Iterator[RunningNginx]:
    work_dir = tmp_path_factory.mktemp("edge")
    with start_edge(work_dir, keys=KEYS, origin=origin.running.url) as running:
        yield running


def get(edge: RunningNginx, target: str, range_header: str | None = None) -> Answer:
    return fetch(edge.port, target, headers={"Range": range_header} if range_header else None)


def test_a_second_signature_is_served_from_the_cache(
    edge: RunningNginx, origin: Origin, files: tuple[Path, dict[str, bytes]]
) -> None:
    audio = files[1][B_96]
    first = get(edge, signed(B_96, lifetime_s=600), "bytes=100-199")
    asked = origin.requests()
    second = get(edge, signed(B_96, key=KEYS[1], lifetime_s=900), "bytes=100-199")

    assert (first.status, first.header("X-Cache-Status")) == (206, "MISS")
    assert (second.status, second.header("X-Cache-Status")) == (206, "HIT")
    assert first.body == second.body == audio[100:200]
    assert second.header("Content-Range") == f"bytes 100-199/{len(audio)}"
    assert second.header("Content-Type") == "audio/ogg"
    assert origin.requests() == asked


def test_ranges_are_served_from_cached_slices(
    edge: RunningNginx, origin: Origin, files: tuple[Path, dict[str, bytes]]
) -> None:
    audio = files[1][A_320]
    whole = get(edge, signed(A_320))
    asked = origin.requests()
    # 1 MiB slices: this range spans the first two, the suffix lies in the third.
    across = get(edge, signed(A_320), "bytes=1048000-1049999")
    suffix = get(edge, signed(A_320), "bytes=-1000")

    assert (whole.status, whole.body) == (200, audio)
    assert (across.status, across.body) == (206, audio[1048000:1050000])
    assert across.header("Content-Range") == f"bytes 1048000-1049999/{len(audio)}"
    assert (suffix.status, suffix.body) == (206, audio[-1000:])
    assert across.header("X-Cache-Status") == suffix.header("X-Cache-Status") == "HIT"
    assert origin.requests() == asked


def test_the_whole_file_through_the_cache_keeps_its_headers(
    edge: RunningNginx, files: tuple[Path, dict[str, bytes]]
) -> None:
    answer = get(edge, signed(A_FLAC))

    assert (answer.status, answer.body) == (200, files[1][A_FLAC])
    assert answer.header("Content-Type") == "audio/flac"
    assert answer.header("ETag")
    assert (answer.header("Cache-Control") or "").startswith("public, max-age=")


def test_refused_requests_never_reach_the_origin(edge: RunningNginx, origin: Origin) -> None:
    get(edge, signed(A_FLAC))  # cached now
    asked = origin.requests()
    tampered = get(edge, signed(A_FLAC).replace("exp=", "exp=2"))
    expired = get(edge, signed(A_FLAC, lifetime_s=-1))
    traversal = get(edge, "/audio/Ab/3d/%2e%2e/%2e%2e/%2e%2e/secret.bin")

    assert (tampered.status, tampered.problem()["type"]) == (403, "/problems/invalid-signature")
    assert (expired.status, expired.problem()["type"]) == (403, "/problems/expired-url")
    assert traversal.status in (400, 403, 404)
    traversal.problem()
    assert origin.requests() == asked


def test_a_range_past_the_end_is_416(edge: RunningNginx) -> None:
    answer = get(edge, signed(A_320), "bytes=2600000-")

    assert answer.status == 416
    answer.problem()


def test_a_file_missing_at_the_origin_is_404(edge: RunningNginx) -> None:
    answer = get(edge, signed(MISSING))

    assert answer.status == 404
    answer.problem()


def test_head_is_answered_from_the_cache(edge: RunningNginx, origin: Origin) -> None:
    get(edge, signed(B_96))
    asked = origin.requests()
    answer = fetch(edge.port, signed(B_96), method="HEAD")

    assert (answer.status, answer.header("Content-Length"), answer.body) == (200, "200000", b"")
    assert origin.requests() == asked
