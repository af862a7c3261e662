"""Health, metrics, the OpenAPI document, and problem+json for every failure."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from encore.bootstrap import Services
from tests.e2e.conftest import Listener

PROBLEM = "application/problem+json"


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_reports_a_failing_part(client: TestClient, services: Services) -> None:
    def broken() -> None:
        raise ConnectionError("database went away")

    services.health_checks["database"] = broken
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["checks"] == ["database"]


def test_metrics_count_requests_per_route_template(client: TestClient, listener: Listener) -> None:
    for track_id in ("A" * 22, "B" * 22):
        client.get(f"/api/v1/tracks/{track_id}", headers=listener.auth)
    text = client.get("/metrics").text
    labels = 'method="GET",route="/api/v1/tracks/{track_id}",status="404"'
    assert f"encore_http_requests_total{{{labels}}} 2.0" in text
    bucket = 'le="0.005",method="GET",route="/api/v1/tracks/{track_id}"'
    assert f"encore_http_request_duration_seconds_bucket{{{bucket}}}" in text
    route = 'method="GET",route="/api/v1/tracks/{track_id}"'
    assert f'encore_http_request_duration_seconds_bucket{{le="+Inf",{route}}} 2.0' in text
    assert f"encore_http_request_duration_seconds_count{{{route}}} 2.0" in text
    assert "A" * 22 not in text


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert missing.json()["title"] == "Not Found"
    wrong_method = client.delete("/healthz")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == PROBLEM


def test_oversize_bodies_are_refused(client: TestClient, services: Services) -> None:
    limit = services.settings.max_body_bytes
    big = b'{"email": "a@example.com", "password": "' + b"x" * limit + b'", "country": "SE"}'
    declared = client.post(
        "/api/v1/users", content=big, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.headers["content-type"] == PROBLEM

    def chunks() -> object:
        for _ in range(limit // 1024 + 2):
            yield b"x" * 1024

    streamed = client.post(
        "/api/v1/users",
        content=chunks(),
        headers={"content-type": "application/json"},  # type: ignore[arg-type]
    )
    assert streamed.status_code == 413
    assert services.accounts.list_accounts() == []


def test_wrong_json_types_and_shapes(client: TestClient) -> None:
    for body in (b"[]", b'"text"', b"null", b'{"email": ["a@example.com"]}', b"{bad json"):
        response = client.post(
            "/api/v1/users", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code in (400, 422), body
        assert response.headers["content-type"] == PROBLEM


def test_crash_is_a_500_without_a_stack_trace(
    client: TestClient, listener: Listener, services: Services, monkeypatch: object
) -> None:
    def explode(user_id: str) -> None:
        raise RuntimeError("secret internals: /srv/encore/db.py line 42")

    services.accounts.get_account = explode  # type: ignore[method-assign,assignment]
    response = client.get("/api/v1/me", headers=listener.auth)
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_openapi_documents_the_catalog_shapes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    track = spec["paths"]["/api/v1/tracks/{track_id}"]["get"]
    assert track["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "TrackRead"
    )
    assert "/api/v1/auth/token" in spec["paths"]
    assert "/api/v1/me/plan" in spec["paths"]


def test_instances_do_not_share_state(make_services: Callable[..., Services]) -> None:
    from encore.api.app import create_app

    first, second = make_services(), make_services()
    with TestClient(create_app(first)) as one, TestClient(create_app(second)) as two:
        Listener(one, "ada@example.com")
        assert len(second.accounts.list_accounts()) == 0
        Listener(two, "ada@example.com")
    assert first.settings.data_dir != second.settings.data_dir
    assert (first.settings.data_dir / "secret.key").read_text() != (
        second.settings.data_dir / "secret.key"
    ).read_text()
