"""Rate limits over HTTP: 429 problem+json with `Retry-After` on each limited route class, per
listener when signed in and per client address when not, and the same on the Subsonic API."""

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from encore.api.app import create_app
from encore.bootstrap import Services
from encore.ids import new_id
from tests.e2e.conftest import PASSWORD, Listener
from tests.e2e.subsonic_fixture import subsonic_login, token_params

BURST = 3
# Slow enough that nothing refills during a test: an empty bucket waits 1 / rate = 100 s.
RATE_PER_S = 0.01
LIMITS = {
    f"rate_limit_{route_class}_{part}": value
    for route_class in ("login", "search", "stream", "events")
    for part, value in (("per_s", RATE_PER_S), ("burst", BURST))
}
# (method, path, body) of one request of each class; the answers before the limit vary.
ROUTES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "login": (
        "POST",
        "/api/v1/auth/token",
        {"data": {"grant_type": "password", "username": "x@example.com", "password": "nope"}},
    ),
    "search": ("GET", "/api/v1/search?q=harbour&type=track", {}),
    "suggest": ("GET", "/api/v1/search/suggest?q=har", {}),
    "stream": ("GET", f"/api/v1/tracks/{new_id()}/stream?quality=low", {}),
    "events": ("POST", "/api/v1/me/player/events", {"json": {"events": []}}),
}


@pytest.fixture
def limited(make_services: Callable[..., Services]) -> Services:
    return make_services(**LIMITS)


@pytest.fixture
def limited_client(limited: Services) -> Iterator[TestClient]:
    with TestClient(create_app(limited), client=("10.0.0.1", 5000)) as client:
        yield client


def send(client: TestClient, route: str, headers: dict[str, str] | None = None) -> Any:
    method, path, body = ROUTES[route]
    return client.request(method, path, headers=headers, **body)


def assert_limited(answer: Any) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/rate-limited"
    # An empty bucket at 0.01 tokens a second: a token in (just under) 100 s, rounded up.
    assert answer.headers["retry-after"] == "100"
    assert answer.json()["retry_after"] == 100


@pytest.mark.parametrize("route", ["search", "suggest", "stream", "events"])
def test_a_signed_in_listener_is_limited_on_their_own(
    limited_client: TestClient, route: str
) -> None:
    ada = Listener(limited_client, "ada@example.com")
    bob = Listener(limited_client, "bob@example.com")
    for _ in range(BURST):
        assert send(limited_client, route, ada.auth).status_code != 429
    assert_limited(send(limited_client, route, ada.auth))
    # Another listener behind the same address has a bucket of their own.
    assert send(limited_client, route, bob.auth).status_code != 429


@pytest.mark.parametrize("route", ["login", "search", "stream", "events"])
def test_signed_out_requests_are_limited_per_address(limited: Services, route: str) -> None:
    app = create_app(limited)
    with TestClient(app, client=("10.0.0.1", 5000)) as here:
        for _ in range(BURST):
            assert send(here, route).status_code != 429
        assert_limited(send(here, route))
        # A bad token is no way around it: it counts as signed out.
        assert_limited(send(here, route, {"Authorization": "Bearer forged"}))
        elsewhere = TestClient(app, client=("10.0.0.2", 5000))
        assert send(elsewhere, route).status_code != 429


def test_limits_can_be_turned_off(make_services: Callable[..., Services]) -> None:
    with TestClient(create_app(make_services(**LIMITS, rate_limits=False))) as client:
        statuses = {send(client, "search").status_code for _ in range(BURST * 3)}
        assert statuses == {401}


def subsonic_failure(answer: Any) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()["subsonic-response"]
    assert body["status"] == "failed", answer.text
    return body["error"]


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("search3", {"query": "harbour"}),
        ("stream", {"id": new_id()}),
        ("scrobble", {"id": new_id()}),
    ],
)
def test_subsonic_methods_are_limited_per_listener(
    limited_client: TestClient, method: str, extra: dict[str, str]
) -> None:
    ada = Listener(limited_client, "ada@example.com")
    login = subsonic_login(limited_client, ada.auth)
    params = {**token_params(login["username"], login["password"]), "f": "json", **extra}
    for _ in range(BURST):
        assert limited_client.get(f"/rest/{method}", params=params).status_code == 200
    answer = limited_client.get(f"/rest/{method}.view", params=params)
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "100"
    assert subsonic_failure(answer)["code"] == 0
    # Other methods are not limited.
    assert limited_client.get("/rest/ping", params=params).status_code == 200


def test_subsonic_sign_in_failures_are_limited_per_address(limited_client: TestClient) -> None:
    # Signed up from elsewhere: the API's sign-in would take a token from this address's bucket.
    elsewhere = TestClient(limited_client.app, client=("10.0.0.2", 5000))
    login = subsonic_login(elsewhere, Listener(elsewhere, "ada@example.com").auth)
    good = {**token_params(login["username"], login["password"]), "f": "json"}
    # Signing in with every request is no sign-in attempt: only failures count.
    for _ in range(BURST * 2):
        assert limited_client.get("/rest/ping", params=good).status_code == 200
    wrong = {**token_params(login["username"], "wrong"), "f": "json"}
    for _ in range(BURST):
        answer = limited_client.get("/rest/ping", params=wrong)
        assert answer.status_code == 200
        assert subsonic_failure(answer)["code"] == 40
    for params in (wrong, good, {"apiKey": "nope", "v": "1.16.1", "c": "t", "f": "json"}):
        answer = limited_client.get("/rest/ping", params=params)
        assert answer.status_code == 429
        assert answer.headers["retry-after"] == "100"
        assert subsonic_failure(answer)["code"] == 0


def test_a_failing_account_answers_slower_without_holding_the_server(
    make_services: Callable[..., Services],
) -> None:
    app = create_app(make_services(login_delay_max_s=0.6))
    with TestClient(app) as client:
        ada = Listener(client, "ada@example.com")
        wrong = {"grant_type": "password", "username": ada.email, "password": "nope nope"}

        def timed_failure() -> float:
            started = time.perf_counter()
            assert client.post("/api/v1/auth/token", data=wrong).status_code == 401
            return time.perf_counter() - started

        # Three failures are typos; then 0.25 s, 0.5 s, and the cap.
        waits = [timed_failure() for _ in range(6)]
        assert sum(waits[:4]) < 1.0
        assert 0.25 <= waits[4] < 0.5 <= waits[5] < 0.6 + 0.5
        # While a sign-in waits out the cap, the server answers everyone else.
        waiting = threading.Thread(target=timed_failure)
        waiting.start()
        time.sleep(0.05)
        assert client.get("/api/v1/me", headers=ada.auth).status_code == 200
        assert waiting.is_alive()
        waiting.join()
        # The right password still opens the account, after the wait.
        right = {**wrong, "password": PASSWORD}
        assert client.post("/api/v1/auth/token", data=right).status_code == 200
