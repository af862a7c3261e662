"""Security headers on every kind of answer (framework, fast paths, audio edge, web player,
errors), HSTS over https only, no-store on personal JSON, and CORS for configured origins only."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from encore.api.app import create_app
from encore.bootstrap import Services
from encore.config import load_settings
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import LOOPBACK, Listener

PLAYER = "https://player.example"


@pytest.fixture
def cors_client(make_services: Callable[..., Services]) -> Iterator[TestClient]:
    services = make_services(cors_origins=[PLAYER, "http://127.0.0.1:5173/"])
    with TestClient(create_app(services), raise_server_exceptions=False, client=LOOPBACK) as c:
        yield c


def _every_kind_of_answer(
    client: TestClient, services: Services, listener: Listener
) -> dict[str, Any]:
    track = add_tracks(services, 1)[0]
    auth = listener.auth
    client.get(f"/api/v1/tracks/{track}", headers=auth)  # rendered and cached: the fast path next
    return {
        "framework JSON": client.get("/api/v1/me", headers=auth),
        "fast path document": client.get(f"/api/v1/tracks/{track}", headers=auth),
        "problem": client.get("/api/v1/me"),
        "validation problem": client.get("/api/v1/search", headers=auth),
        "unmatched": client.get("/nowhere"),
        "audio refusal": client.get("/audio/ab/cd/x/160.ogg"),
        "player page": client.get("/"),
        "player file": client.get("/static/app.css"),
        "health": client.get("/healthz"),
        "subsonic": client.get("/rest/ping", params={"f": "json"}),
    }


def test_every_answer_carries_the_security_headers(
    client: TestClient, services: Services, listener: Listener
) -> None:
    answers = _every_kind_of_answer(client, services, listener)
    for what, response in answers.items():
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", what
        assert headers["referrer-policy"] == "no-referrer", what
        assert headers["x-frame-options"] == "DENY", what
        policy = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, what
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, what
        assert "strict-transport-security" not in headers, f"{what}: HSTS over plain http"
        assert "access-control-allow-origin" not in headers, what
    # Personal answers are not stored; files keep their own policy.
    for what in ("framework JSON", "fast path document", "problem", "validation problem"):
        assert answers[what].headers["cache-control"] == "no-store", what
    assert answers["player file"].headers["cache-control"] == "no-cache"
    assert answers["player page"].headers["cache-control"] == "no-cache"


def test_hsts_only_over_https(services: Services) -> None:
    answer = TestClient(create_app(services), base_url="https://encore.example").get("/healthz")
    assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_hsts_can_be_turned_off(make_services: Callable[..., Services]) -> None:
    services = make_services(hsts_max_age_s=0)
    secure = TestClient(create_app(services), base_url="https://encore.example")
    assert "strict-transport-security" not in secure.get("/healthz").headers


def test_the_policy_lets_audio_come_from_the_cdn_origins(
    make_services: Callable[..., Services],
) -> None:
    services = make_services(cdn_origins={"eu": ["https://eu1.cdn.example"]})
    policy = TestClient(create_app(services)).get("/").headers["content-security-policy"]
    assert "media-src 'self' blob: https://eu1.cdn.example" in policy
    assert "connect-src 'self' https://eu1.cdn.example" in policy


def test_no_cors_by_default(client: TestClient, listener: Listener) -> None:
    simple = client.get("/api/v1/me", headers={**listener.auth, "Origin": PLAYER})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers
    preflight = client.options(
        "/api/v1/me",
        headers={"Origin": PLAYER, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 403
    assert preflight.headers["content-type"] == "application/problem+json"
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_for_a_configured_origin(cors_client: TestClient) -> None:
    listener = Listener(cors_client, "ada@example.com")
    preflight = cors_client.options(
        "/api/v1/playlists",
        headers={
            "Origin": PLAYER,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type, If-Match",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == PLAYER
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in preflight.headers
    assert preflight.headers["vary"] == "Origin"
    answer = cors_client.get("/api/v1/me", headers={**listener.auth, "Origin": PLAYER})
    assert answer.headers["access-control-allow-origin"] == PLAYER
    assert "ETag" in answer.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in answer.headers
    assert answer.headers["vary"] == "Origin"
    # A trailing slash in the setting names the same origin.
    other = cors_client.get("/healthz", headers={"Origin": "http://127.0.0.1:5173"})
    assert other.headers["access-control-allow-origin"] == "http://127.0.0.1:5173"


REFUSED = [
    ("https://evil.example", "Authorization"),
    ("https://player.example.evil.example", "Authorization"),
    ("null", "Authorization"),
    (PLAYER, "Authorization, X-Sneaky"),
]


def test_cors_refuses_other_origins_and_headers(cors_client: TestClient) -> None:
    for origin, headers in REFUSED:
        preflight = cors_client.options(
            "/api/v1/me",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": headers,
            },
        )
        assert preflight.status_code == 403, origin
        assert preflight.headers["content-type"] == "application/problem+json"
        assert "access-control-allow-origin" not in preflight.headers
        if origin != PLAYER:
            simple = cors_client.get("/healthz", headers={"Origin": origin})
            assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize("origin", ["*", "https://player.example/app", "player.example", ""])
def test_cors_origins_must_be_origins(tmp_path: Path, origin: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        load_settings(data_dir=tmp_path, cors_origins=[origin])


def test_metrics_for_loopback_or_the_token(
    make_services: Callable[..., Services], services: Services
) -> None:
    # Without the lifespan (no `with`): only the route is asked, nothing else runs.
    app = create_app(services)
    refused = TestClient(app, client=("198.51.100.4", 1234)).get("/metrics")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert TestClient(app, client=("::1", 1234)).get("/metrics").status_code == 200
    tokened = make_services(metrics_token="scrape-me-please-0123456789")
    remote = TestClient(create_app(tokened), client=("198.51.100.4", 1234))
    assert remote.get("/metrics").status_code == 401
    wrong = remote.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    right = {"Authorization": "Bearer scrape-me-please-0123456789"}
    assert "encore_http_requests_total" in remote.get("/metrics", headers=right).text
