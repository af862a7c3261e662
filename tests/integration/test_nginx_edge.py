"""Encore's nginx edge (deploy/nginx) serving the local media store: a real nginx with the njs
check, driven with URLs signed by the independent implementation in `signed_audio`.

Every refused request must get its status with a problem+json body, so it can never carry a
byte of any file; every accepted one must carry exactly the bytes asked for.
"""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from encore.catalog.audio import audio_key
from encore.ids import is_valid_id
from tests.integration.nginx import RunningNginx, start_edge
from tests.integration.signed_audio import (
    A_96,
    A_320,
    A_FLAC,
    B_96,
    KEYS,
    MISSING,
    RETIRED_KEY,
    SECRET,
    TRACK_A,
    TRACK_B,
    TRACK_WITHOUT_FILES,
    Answer,
    fetch,
    make_media,
    sign,
    signed,
)

pytestmark = pytest.mark.nginx


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    root = tmp_path_factory.mktemp("media")
    return root, make_media(root)


@pytest.fixture(scope="module")
def files(media: tuple[Path, dict[str, bytes]]) -> dict[str, bytes]:
    return media[1]


@pytest.fixture(scope="module")
def edge(
    tmp_path_factory: pytest.TempPathFactory, media: tuple[Path, dict[str, bytes]]
) -> Iterator[RunningNginx]:
    with start_edge(tmp_path_factory.mktemp("edge"), keys=KEYS, media_root=media[0]) as running:
        yield running


def get(
    edge: RunningNginx, target: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> Answer:
    return fetch(edge.port, target, method=method, headers=headers)


def refused(answer: Answer, status: int, kind: str | None = None) -> None:
    assert answer.status == status, (answer.status, answer.body[:200])
    problem = answer.problem()
    if kind is not None:
        assert problem["type"] == f"/problems/{kind}"


def test_the_test_urls_follow_the_layout() -> None:
    for track, path in ((TRACK_A, A_320), (TRACK_B, B_96), (TRACK_WITHOUT_FILES, MISSING)):
        assert is_valid_id(track)
        assert path.startswith(f"/{audio_key(track, '')}")


def test_a_signed_url_gets_the_whole_file(edge: RunningNginx, files: dict[str, bytes]) -> None:
    answer = get(edge, signed(A_320))

    assert answer.status == 200
    assert answer.body == files[A_320]
    assert answer.header("Content-Type") == "audio/ogg"
    assert answer.header("Accept-Ranges") == "bytes"
    assert answer.header("ETag")
    cache_control = answer.header("Cache-Control") or ""
    match = re.fullmatch(r"public, max-age=(\d+)", cache_control)
    assert match is not None, cache_control
    assert 3590 <= int(match.group(1)) <= 3600  # until the signature expires


def test_flac_is_served_as_audio_flac(edge: RunningNginx, files: dict[str, bytes]) -> None:
    answer = get(edge, signed(A_FLAC, key=KEYS[1]))

    assert answer.status == 200
    assert answer.header("Content-Type") == "audio/flac"
    assert answer.body == files[A_FLAC]


@pytest.mark.parametrize(
    ("range_header", "first", "last"),
    [
        ("bytes=0-1048575", 0, 1048575),
        ("bytes=1000000-1000099", 1000000, 1000099),
        ("bytes=2599900-", 2599900, 2599999),
        ("bytes=-100", 2599900, 2599999),
        ("bytes=2599990-9999999", 2599990, 2599999),
    ],
)
def test_a_range_gets_exactly_its_bytes(
    edge: RunningNginx, files: dict[str, bytes], range_header: str, first: int, last: int
) -> None:
    answer = get(edge, signed(A_320), headers={"Range": range_header})

    assert answer.status == 206
    assert answer.body == files[A_320][first : last + 1]
    assert answer.header("Content-Range") == f"bytes {first}-{last}/{len(files[A_320])}"


@pytest.mark.parametrize("range_header", ["bytes=2600000-", "bytes=9999999-10000000"])
def test_a_range_past_the_end_is_416(edge: RunningNginx, range_header: str) -> None:
    answer = get(edge, signed(A_320), headers={"Range": range_header})

    refused(answer, 416)
    assert answer.header("Content-Range") == "bytes */2600000"


@pytest.mark.parametrize("range_header", ["bytes=abc", "bytes=5-2", "bytes=-0", "bytes=--1"])
def test_a_malformed_byte_range_is_416(edge: RunningNginx, range_header: str) -> None:
    refused(get(edge, signed(A_320), headers={"Range": range_header}), 416)


@pytest.mark.parametrize("range_header", ["items=0-5", "0-5", ""])
def test_a_range_in_another_unit_is_ignored(
    edge: RunningNginx, files: dict[str, bytes], range_header: str
) -> None:
    answer = get(edge, signed(A_320), headers={"Range": range_header})

    assert answer.status == 200
    assert answer.body == files[A_320]


def test_head_answers_the_headers_only(edge: RunningNginx, files: dict[str, bytes]) -> None:
    whole = get(edge, signed(A_320), method="HEAD")
    part = get(edge, signed(A_320), method="HEAD", headers={"Range": "bytes=0-9"})
    tampered = get(edge, signed(A_320).replace("exp=", "exp=1"), method="HEAD")

    assert (whole.status, whole.header("Content-Length"), whole.body) == (200, "2600000", b"")
    assert (part.status, part.header("Content-Range"), part.body) == (206, "bytes 0-9/2600000", b"")
    assert (tampered.status, tampered.body) == (403, b"")


def test_other_methods_are_405(edge: RunningNginx) -> None:
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        answer = get(edge, signed(A_320), method=method)
        refused(answer, 405)
        assert answer.header("Allow") == "GET, HEAD"


def test_every_active_key_verifies_and_no_other(
    edge: RunningNginx, files: dict[str, bytes]
) -> None:
    for key in KEYS:
        answer = get(edge, signed(B_96, key=key))
        assert (answer.status, answer.body) == (200, files[B_96])

    refused(get(edge, signed(B_96, key=RETIRED_KEY)), 403, "invalid-signature")


def _query(path: str, exp: int, sig: str) -> str:
    return f"{path}?exp={exp}&sig={sig}"


def test_tampering_with_any_part_is_403(edge: RunningNginx) -> None:
    exp = int(time.time()) + 3600
    sig = sign(A_320, exp, KEYS[0])
    flipped = ("0" if sig[10] != "0" else "1").join((sig[:10], sig[11:]))
    other_track = A_320.replace(TRACK_A, TRACK_B).replace("/Ab/3d/", "/Zy/9x/")

    assert get(edge, _query(A_320, exp, sig)).status == 200
    for target in (
        _query(A_FLAC, exp, sig),  # another rendition of the same track
        _query(A_96, exp, sig),
        _query(other_track, exp, sig),  # another track
        _query(A_320, exp + 1, sig),  # a later expiry
        _query(A_320, exp, flipped),  # the signature itself
    ):
        refused(get(edge, target), 403, "invalid-signature")


def test_an_expired_url_is_403_even_though_signed(edge: RunningNginx) -> None:
    refused(get(edge, signed(A_320, lifetime_s=-5)), 403, "expired-url")
    refused(get(edge, _query(A_320, 0, sign(A_320, 0, KEYS[0]))), 403, "expired-url")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?exp={exp}",
        "?sig={sig}",
        "?exp={exp}&sig={upper}",  # the contract's hex is lowercase
        "?exp={exp}&sig={sig}0",
        "?exp={exp}&sig={short}",
        "?exp=+{exp}&sig={sig}",
        "?exp={exp}.0&sig={sig}",
        "?exp=1e12&sig={sig}",
        "?exp=-1&sig={sig}",
        "?exp=9999999999999&sig={sig}",
        "?exp={exp}&exp={exp}&sig={sig}",  # repeated: which one was signed?
        "?exp={exp}&sig={sig}&sig={sig}",
        "?exp={exp}&sig={sig}&exp={exp}",
        "?sig={sig}&exp={exp}",  # the order the API emits, and no other
        "?exp={head}%3{last}&sig={sig}",  # escapes are not decoded
        "?EXP={exp}&SIG={sig}",
    ],
)
def test_a_malformed_query_is_403(edge: RunningNginx, query: str) -> None:
    exp = int(time.time()) + 3600
    sig = sign(A_320, exp, KEYS[0])
    target = A_320 + query.format(
        exp=exp, sig=sig, upper=sig.upper(), short=sig[:63], head=str(exp)[:-1], last=str(exp)[-1]
    )

    refused(get(edge, target), 403, "malformed-stream-url")


def test_unknown_query_parameters_are_ignored(edge: RunningNginx, files: dict[str, bytes]) -> None:
    answer = get(edge, signed(A_320) + "&player=web")

    assert (answer.status, answer.body) == (200, files[A_320])


# Each path is signed correctly over its raw text, as if the signer had been tricked into it, so
# only the edge's refusal of anything but the plain layout keeps the wrong file from being served.
TRAVERSALS = [
    f"/audio/Ab/3d/{TRACK_A}/../../../../secret.bin",
    f"/audio/Ab/3d/{TRACK_A}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.bin",
    f"/audio/Zy/9x/{TRACK_B}/..%2f..%2f..%2fAb%2f3d%2f{TRACK_A}%2f320.ogg",
    f"/audio/Zy/9x/{TRACK_B}/..%2F..%2F..%2FAb%2F3d%2F{TRACK_A}%2F320.ogg",
    f"/audio/Zy/9x/{TRACK_B}/../../../Ab/3d/{TRACK_A}/320.ogg",
    f"/audio/Ab/3d/{TRACK_A}%2F320.ogg",
    f"/audio/Ab/3d/{TRACK_A}/%33%32%30.ogg",
    f"/audio/Ab/3d/{TRACK_A}/./320.ogg",
    f"//audio/Ab/3d/{TRACK_A}/320.ogg",
    f"/audio//Ab/3d/{TRACK_A}/320.ogg",
    f"/audio/Ab/3d/{TRACK_A}/320.ogg/",
    f"/audio/Ab/3d/{TRACK_A}/320.ogg%00.txt",
    f"/audio/Ab/3d/{TRACK_A}/..\\..\\..\\..\\secret.bin",
    f"/audio/Ab/3d/{TRACK_A}/320.ogg;.txt",
    "/audio/../secret.bin",
    "/audio/%2e%2e/secret.bin",
    "/secret.bin",
    f"/audio/Xx/3d/{TRACK_A}/320.ogg",  # directories that do not match the id
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_path_trick_reaches_a_file(edge: RunningNginx, path: str) -> None:
    exp = int(time.time()) + 3600
    answer = get(edge, _query(path, exp, sign(path, exp, KEYS[0])))

    assert answer.status in (400, 403, 404), (answer.status, answer.body[:200])
    answer.problem()


def test_the_media_root_outside_audio_is_not_served(edge: RunningNginx) -> None:
    refused(get(edge, SECRET), 404)
    refused(get(edge, signed(SECRET)), 404)


def test_a_signed_url_for_a_missing_file_is_404(edge: RunningNginx) -> None:
    refused(get(edge, signed(MISSING)), 404)


def test_the_etag_revalidates(edge: RunningNginx) -> None:
    etag = get(edge, signed(A_FLAC), method="HEAD").header("ETag")
    assert etag is not None

    answer = get(edge, signed(A_FLAC), headers={"If-None-Match": etag})

    assert (answer.status, answer.body) == (304, b"")


def test_without_keys_the_edge_refuses_everything(
    tmp_path: Path, media: tuple[Path, dict[str, bytes]]
) -> None:
    with start_edge(tmp_path, keys=(), media_root=media[0]) as keyless:
        answer = get(keyless, signed(A_320))
        error_log = (keyless.state_dir / "error.log").read_text()

    refused(answer, 503, "edge-unavailable")
    assert "ENCORE_STREAM_KEYS is empty" in error_log
