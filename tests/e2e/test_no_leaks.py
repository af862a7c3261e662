"""No secret, credential, stack trace or source path in any answer or any log line, whatever
goes wrong: internal errors (a dependency that raises, with secrets in its message), bad and
forged tokens, wrong passwords, Subsonic credentials in the query, signed audio URLs, and
uvicorn's access log lines for all of them."""

import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

import encore
from encore import log_hygiene
from encore.api.app import create_app
from encore.bootstrap import Services, secrets_of
from encore.subsonic import routes as subsonic_routes
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import LOOPBACK, PASSWORD, Listener
from tests.e2e.test_stream_api import _seed as seed_tracks

SECRET = "master-secret-for-the-leak-test-0123456789abcdef"
SIGNING_KEY = "stream-signing-key-for-the-leak-test-0123456789"
METRICS_TOKEN = "metrics-token-for-the-leak-test-0123456789"
WRONG_PASSWORD = "wrong horse battery staple"
SOURCE = str(Path(encore.__file__).resolve().parent)


def test_no_secret_or_trace_in_any_answer_or_log_line(
    make_services: Callable[..., Services],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = make_services(
        secret_key=SECRET, stream_signing_keys=[SIGNING_KEY], metrics_token=METRICS_TOKEN
    )
    undo = log_hygiene.install(secrets_of(services.settings))
    caplog.set_level(logging.DEBUG)
    try:
        answers, issued, credentials = _provoke(services, monkeypatch)
    finally:
        undo()
    never = {
        "the master secret": SECRET,
        "the signing key": SIGNING_KEY,
        "the metrics token": METRICS_TOKEN,
        "a password": PASSWORD,
        "a wrong password": WRONG_PASSWORD,
        "a stack trace": "Traceback",
        "a source path": SOURCE,
        **credentials,
    }
    for response in answers:
        shown = response.text + repr(dict(response.headers))
        for what, text in never.items():
            if response in issued and what in credentials:
                continue  # the answer that hands out a token or URL shows that one
            assert text not in shown, f"{what} in {response.request.url.path}: {shown[:300]}"
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = [formatter.format(record) for record in caplog.records]
    assert any("Internal" in line or "boom" in line for line in lines), "nothing was logged"
    for line in lines:
        for what, text in never.items():
            assert text not in line, f"{what} in a log line: {line[:300]}"


def _provoke(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[httpx.Response], list[httpx.Response], dict[str, str]]:
    answers: list[httpx.Response] = []
    issued: list[httpx.Response] = []
    with TestClient(create_app(services), raise_server_exceptions=False, client=LOOPBACK) as client:
        me = Listener(client, "ada@example.com")
        tracks = seed_tracks(services)
        add_tracks(services, 1)
        stream = client.get(f"/api/v1/tracks/{tracks.lossy}/stream", headers=me.auth)
        subsonic = client.post("/api/v1/me/subsonic-credentials", headers=me.auth)
        issued += [stream, subsonic]
        url = urlsplit(stream.json()["stream_url"])
        sig = parse_qs(url.query)["sig"][0]
        login = subsonic.json()
        bad = {"Authorization": f"Bearer {me.access_token[:-4]}AAAA"}
        answers += [
            stream,
            subsonic,
            client.post(
                "/api/v1/auth/token",
                data={"grant_type": "password", "username": me.email, "password": WRONG_PASSWORD},
            ),
            client.post(
                "/api/v1/auth/token",
                data={"grant_type": "refresh_token", "refresh_token": me.refresh_token + "x"},
            ),
            client.get("/api/v1/me", headers=bad),
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {SECRET}"}),
            client.get(f"/api/v1/tracks/{tracks.lossy}/stream", headers=bad),
            client.get(f"{url.path}?{url.query}"),  # no audio bytes behind it: a 404
            client.get(f"{url.path}?exp=1&sig={sig}"),
            client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}x"}),
            client.post("/api/v1/users", json={"email": "x@example.com", "password": "short"}),
            client.request(
                "DELETE", "/api/v1/me", headers=me.auth, json={"password": WRONG_PASSWORD}
            ),
            client.get(
                "/rest/ping",
                params={"u": login["username"], "p": WRONG_PASSWORD, "v": "1.16", "c": "t"},
            ),
            client.get(
                "/rest/ping",
                params={"u": login["username"], "p": login["password"], "v": "1.16", "c": "t"},
            ),
            client.get("/rest/ping", params={"apiKey": login["api_key"] + "x", "v": "1", "c": "t"}),
        ]

        def boom(*_: object, **__: object) -> None:
            raise RuntimeError(f"boom: password={PASSWORD} secret {SECRET} in {SOURCE}/x.py")

        # Internal errors: a route's dependency, a fast path's and a Subsonic method's.
        monkeypatch.setattr(services.accounts, "get_account", boom)
        monkeypatch.setattr(services.streams, "grant_if_warm", boom)
        monkeypatch.setattr(services.streams, "grant", boom)
        monkeypatch.setitem(subsonic_routes.METHODS, "getLicense", boom)
        answers += [
            client.get("/api/v1/me", headers=me.auth),
            client.get(f"/api/v1/tracks/{tracks.lossy}/stream", headers=me.auth),
            client.get("/rest/getLicense", params={"apiKey": login["api_key"], "v": "1", "c": "t"}),
        ]
        assert answers[-3].status_code == 500
        # uvicorn's access log, as it logs each of these requests (with `access_log` on).
        access = logging.getLogger("uvicorn.access")
        for response in answers:
            request = response.request
            target = request.url.raw_path.decode()
            access.info(
                '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", request.method, target, "1.1", 200
            )
            access.info("headers %s", dict(request.headers))
    credentials = {
        "an access token": me.access_token,
        "a refresh token": me.refresh_token,
        "a URL signature": sig,
        "a Subsonic password": login["password"],
        "a Subsonic API key": login["api_key"],
    }
    return answers, issued, credentials
