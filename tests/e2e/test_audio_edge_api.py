"""The audio edge through the whole application: in-process, and on a real uvicorn server."""

import http.client
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from encore.adapters.media.local import LocalMediaStore
from encore.api.app import create_app
from encore.bootstrap import Services
from encore.cli import app as cli
from encore.keys import derive_key
from encore.streaming.paths import audio_path
from encore.streaming.signing import UrlSigner
from tests.e2e.running import running_encore

TRACK = "AbCdEfGhIjKlMnOpQrStUv"
PATH = audio_path(TRACK, "96.ogg")
DATA = os.urandom(700_001)
NEW_KEY = "n" * 40
OLD_KEY = "o" * 40


@pytest.fixture
def stored(services: Services) -> Services:
    services.media.put_bytes(PATH[1:], DATA, content_type="audio/ogg")
    services.media.put_bytes(audio_path(TRACK, "320.ogg")[1:], b"320", content_type="audio/ogg")
    return services


def signed(services: Services, path: str = PATH, at: float | None = None) -> str:
    return services.url_signer.sign(path, time.time() if at is None else at).path_and_query


def test_a_signed_url_is_served_whole_and_by_range(client: TestClient, stored: Services) -> None:
    url = signed(stored)
    whole = client.get(url)
    assert whole.status_code == 200
    assert whole.content == DATA
    assert whole.headers["content-type"] == "audio/ogg"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["cache-control"].startswith("public, max-age=")
    part = client.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.content == DATA[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(DATA)}"
    head = client.head(url)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(DATA))
    assert head.headers["etag"] == whole.headers["etag"]


def test_conditional_and_bad_ranges(client: TestClient, stored: Services) -> None:
    url = signed(stored)
    etag = client.head(url).headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
    assert (stale.status_code, stale.content) == (200, DATA)
    past = client.get(url, headers={"Range": f"bytes={len(DATA)}-"})
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{len(DATA)}"
    malformed = client.get(url, headers={"Range": "bytes=oops"})
    assert (malformed.status_code, malformed.content) == (200, DATA)


def test_tampered_and_expired_urls_are_refused(client: TestClient, stored: Services) -> None:
    url = signed(stored)
    other_bitrate = url.replace("96.ogg", "320.ogg")
    for bad in (other_bitrate, url.replace("exp=", "exp=1"), url[:-1] + "x", PATH):
        answer = client.get(bad)
        assert answer.status_code == 403, bad
        assert answer.json()["type"] == "/problems/invalid-signature"
        assert answer.headers["content-type"] == "application/problem+json"
    expired = client.get(signed(stored, at=time.time() - 3601))
    assert expired.status_code == 403
    assert expired.json()["type"] == "/problems/expired-url"


def test_the_edge_is_counted_under_one_route(client: TestClient, stored: Services) -> None:
    client.get(signed(stored))
    metrics = client.get("/metrics").text
    assert 'route="/audio/{a}/{b}/{track_id}/{file}",status="200"' in metrics


def test_rotated_keys_from_the_settings(make_services: Callable[..., Services]) -> None:
    services = make_services(stream_signing_keys=f"{NEW_KEY},{OLD_KEY}")
    services.media.put_bytes(PATH[1:], DATA, content_type="audio/ogg")
    old_url = UrlSigner([OLD_KEY], ttl_s=3600).sign(PATH, time.time()).path_and_query
    retired = UrlSigner(["r" * 40], ttl_s=3600).sign(PATH, time.time()).path_and_query
    with TestClient(create_app(services)) as client:
        assert client.get(old_url).status_code == 200
        assert client.get(signed(services)).status_code == 200
        assert client.get(retired).status_code == 403
    assert services.url_signer.sign(PATH, 0) == UrlSigner([NEW_KEY], ttl_s=3600).sign(PATH, 0)


def test_edge_keys_prints_what_nginx_needs(tmp_path: Path) -> None:
    runner = CliRunner()
    derived = runner.invoke(cli, ["edge", "keys", "--data", str(tmp_path)])
    assert derived.exit_code == 0, derived.output
    master = bytes.fromhex((tmp_path / "secret.key").read_text().strip())
    assert derived.output == derive_key(master, "stream-url").hex() + "\n"
    configured = runner.invoke(
        cli,
        ["edge", "keys", "--data", str(tmp_path)],
        env={"ENCORE_STREAM_SIGNING_KEYS": f"{NEW_KEY}, {OLD_KEY}"},
    )
    assert configured.output == f"{NEW_KEY},{OLD_KEY}\n"
    weak = runner.invoke(
        cli, ["edge", "keys", "--data", str(tmp_path)], env={"ENCORE_STREAM_SIGNING_KEYS": "abc"}
    )
    assert weak.exit_code == 2
    assert "stream_signing_keys" in weak.output


# --- a real server: the bytes on the wire, raw paths as sent ---------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, UrlSigner, Path]]:
    data = tmp_path_factory.mktemp("edge-server")
    LocalMediaStore(data / "media").put_bytes(PATH[1:], DATA, content_type="audio/ogg")
    keys = CliRunner().invoke(cli, ["edge", "keys", "--data", str(data)]).output.strip()
    with running_encore(data) as server:
        yield server.port, UrlSigner(keys.split(","), ttl_s=3600), data


def raw_get(
    port: int, target: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        # http.client sends the target as given: no normalising of `..` or `%2F`.
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.slow
def test_ranges_on_the_wire(server: tuple[int, UrlSigner, Path]) -> None:
    port, signer, _ = server
    query = signer.sign(PATH, time.time()).query
    status, headers, body = raw_get(port, f"{PATH}?{query}", {"Range": "bytes=0-524287"})
    assert (status, body) == (206, DATA[:524288])
    assert headers["content-length"] == "524288"
    status, _, body = raw_get(port, f"{PATH}?{query}")
    assert (status, body) == (200, DATA)


@pytest.mark.slow
@pytest.mark.parametrize(
    "target",
    [
        f"/audio/Ab/Cd/{TRACK}/../../../../secret.key",
        f"/audio/Ab/Cd/{TRACK}/..%2F..%2F..%2F..%2Fsecret.key",
        f"/audio/Ab/Cd/{TRACK}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.key",
        f"/audio/Ab/Cd/{TRACK}%2F96.ogg",
        f"/audio/Ab%2FCd/{TRACK}/96.ogg",
        f"/audio/%41b/Cd/{TRACK}/96.ogg",
        f"/audio//Ab/Cd/{TRACK}/96.ogg",
        "/audio/../secret.key",
        "/audio/%2e%2e/secret.key",
        "/%61udio/../secret.key",
    ],
)
def test_traversal_never_reaches_another_file(
    server: tuple[int, UrlSigner, Path], target: str
) -> None:
    port, signer, data = server
    secret = (data / "secret.key").read_bytes().strip()
    # Signed with the real key for the exact path sent: only the layout keeps it out.
    query = signer.sign(target, time.time()).query
    status, headers, body = raw_get(port, f"{target}?{query}", {"Range": "bytes=0-"})
    assert status in (403, 404)
    assert headers["content-type"] == "application/problem+json"
    assert secret not in body and DATA[:32] not in body
