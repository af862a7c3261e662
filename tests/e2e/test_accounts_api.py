"""Sign-up, sign-in, tokens and `GET /me` over HTTP."""

import time
from collections.abc import Callable

import jwt
import pytest
from fastapi.testclient import TestClient

from encore.api.app import create_app
from encore.bootstrap import Services
from tests.e2e.conftest import PASSWORD, Listener

PROBLEM = "application/problem+json"


def _token(client: TestClient, **form: str) -> tuple[int, dict[str, object]]:
    response = client.post("/api/v1/auth/token", data=form)
    return response.status_code, response.json()


def test_sign_up_then_sign_in_then_me(client: TestClient) -> None:
    created = client.post(
        "/api/v1/users",
        json={
            "email": "Ada@Example.com",
            "password": PASSWORD,
            "country": "se",
            "display_name": "Ada",
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["email"] == "ada@example.com"
    assert body["country"] == "SE"
    assert body["plan"] == body["product"] == "free"
    assert "password" not in created.text and "argon2" not in created.text

    status, tokens = _token(
        client, grant_type="password", username="ADA@example.com", password=PASSWORD
    )
    assert status == 200
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == body["id"]
    assert me.json()["display_name"] == "Ada"


def test_duplicate_email_is_a_conflict(client: TestClient, listener: Listener) -> None:
    again = client.post(
        "/api/v1/users", json={"email": "ADA@example.com", "password": PASSWORD, "country": "GB"}
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == PROBLEM
    assert again.json()["type"] == "/problems/already-exists"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "country": "SE"}, "email"),
        ({"email": "a@example.com", "password": "short", "country": "SE"}, "password"),
        ({"email": "a@example.com", "password": "x" * 1025, "country": "SE"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "country": "Sweden"}, "country"),
        ({"email": "a@example.com", "password": PASSWORD}, "country"),
        ({"email": "a@example.com", "password": 12345678, "country": "SE"}, "password"),
        (
            {"email": "a@example.com", "password": PASSWORD, "country": "SE", "plan": "premium"},
            "plan",
        ),
    ],
)
def test_bad_sign_ups_are_refused_and_store_nothing(
    client: TestClient, services: Services, body: dict[str, object], field: str
) -> None:
    response = client.post("/api/v1/users", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422
    assert any(field in error["location"] for error in problem["errors"])
    assert services.accounts.list_accounts() == []


def test_unknown_country_code_is_refused(client: TestClient, services: Services) -> None:
    response = client.post(
        "/api/v1/users", json={"email": "a@example.com", "password": PASSWORD, "country": "QQ"}
    )
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation"
    assert response.json()["errors"][0]["location"] == ["body", "country"]
    assert services.accounts.list_accounts() == []


def test_sql_looking_input_is_stored_verbatim_not_executed(client: TestClient) -> None:
    name = "Robert'); DROP TABLE users;--"
    created = client.post(
        "/api/v1/users",
        json={
            "email": "bobby@example.com",
            "password": "' OR '1'='1' --",
            "country": "SE",
            "display_name": name,
        },
    )
    assert created.status_code == 201
    status, tokens = _token(
        client, grant_type="password", username="bobby@example.com", password="' OR '1'='1' --"
    )
    assert status == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["display_name"] == name
    # An injection through the username finds nobody.
    status, _ = _token(
        client, grant_type="password", username="' OR 1=1 --", password="' OR '1'='1' --"
    )
    assert status == 401


def test_closed_sign_up_is_forbidden(make_services: Callable[..., Services]) -> None:
    from encore.api.app import create_app

    services = make_services(signup_open=False)
    with TestClient(create_app(services)) as client:
        response = client.post(
            "/api/v1/users", json={"email": "a@example.com", "password": PASSWORD, "country": "SE"}
        )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_wrong_password_and_unknown_user_look_the_same(
    client: TestClient, listener: Listener
) -> None:
    def timed(username: str) -> tuple[float, int, dict[str, object]]:
        started = time.perf_counter()
        status, body = _token(
            client, grant_type="password", username=username, password="wrong password"
        )
        return time.perf_counter() - started, status, body

    wrong_time, wrong_status, wrong = timed(listener.email)
    unknown_time, unknown_status, unknown = timed("nobody@example.com")
    assert wrong_status == unknown_status == 401
    assert wrong["detail"] == unknown["detail"]
    assert wrong["type"] == unknown["type"]
    # Both verify an Argon2 hash; neither answers in a fraction of the other's time. The
    # fastest of a few tries each, so that a busy machine's pause does not decide it.
    wrong_time = min([wrong_time] + [timed(listener.email)[0] for _ in range(2)])
    unknown_time = min([unknown_time] + [timed("nobody@example.com")[0] for _ in range(2)])
    assert unknown_time > wrong_time / 5


def test_failed_sign_ins_are_limited_per_account_and_address(
    make_services: Callable[..., Services],
) -> None:
    app = create_app(make_services(login_delay_max_s=0))
    with TestClient(app, client=("10.0.0.1", 5000)) as guesser:
        owner = Listener(guesser, "ada@example.com")
        statuses = [
            _token(guesser, grant_type="password", username=owner.email, password="nope nope")[0]
            for _ in range(11)
        ]
        assert statuses[:10] == [401] * 10
        assert statuses[10] == 429
        response = guesser.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": owner.email, "password": PASSWORD},
        )
        assert response.status_code == 429
        # Ten failures a minute: the next is allowed within six seconds.
        assert 1 <= int(response.headers["retry-after"]) <= 6
        assert response.headers["content-type"] == PROBLEM
        # The guesser cannot lock the owner out: from the owner's own address the account opens.
        elsewhere = TestClient(app, client=("10.0.0.2", 5000))
        status, _ = _token(
            elsewhere, grant_type="password", username=owner.email, password=PASSWORD
        )
        assert status == 200


def test_refresh_token_rotates_and_a_reused_one_revokes_the_family(
    client: TestClient, listener: Listener
) -> None:
    status, first = _token(client, grant_type="refresh_token", refresh_token=listener.refresh_token)
    assert status == 200
    assert first["refresh_token"] != listener.refresh_token
    # The spent token again: theft is assumed, and the whole chain dies.
    status, _ = _token(client, grant_type="refresh_token", refresh_token=listener.refresh_token)
    assert status == 401
    status, _ = _token(
        client, grant_type="refresh_token", refresh_token=str(first["refresh_token"])
    )
    assert status == 401


def test_revoked_refresh_token_stops_working(client: TestClient, listener: Listener) -> None:
    assert (
        client.post("/api/v1/auth/revoke", data={"token": listener.refresh_token}).status_code
        == 200
    )
    status, _ = _token(client, grant_type="refresh_token", refresh_token=listener.refresh_token)
    assert status == 401


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "password", "username": "ada@example.com"},
        {"grant_type": "refresh_token"},
        {"grant_type": "client_credentials"},
        {},
    ],
)
def test_incomplete_token_requests_are_refused(client: TestClient, form: dict[str, str]) -> None:
    response = client.post("/api/v1/auth/token", data=form)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    flipped = "A" if signature[5] != "A" else "B"
    return f"{header}.{payload}.{signature[:5]}{flipped}{signature[6:]}"


def test_tampered_forged_and_missing_tokens_are_401(client: TestClient, listener: Listener) -> None:
    claims = jwt.decode(listener.access_token, options={"verify_signature": False})
    forged = jwt.encode(
        {**claims, "sub": "someone-else"}, "a guessed key, long enough for HS256", "HS256"
    )
    unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    for headers in (
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YTpi"},
        {"Authorization": f"Bearer {_tamper(listener.access_token)}"},
        {"Authorization": f"Bearer {forged}"},
        {"Authorization": f"Bearer {unsigned}"},
        {"Authorization": "Bearer ' OR 1=1 --"},
    ):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_expired_access_token_is_401(make_services: Callable[..., Services]) -> None:
    from encore.api.app import create_app

    services = make_services()
    listener_client = TestClient(create_app(services))
    with listener_client as client:
        listener = Listener(client, "old@example.com")
        claims = jwt.decode(listener.access_token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 900
        tokens = services.access_tokens
        # The same key, a token that expired a minute ago.
        key = tokens._key
        expired = jwt.encode(
            {**claims, "iat": int(time.time()) - 1000, "exp": int(time.time()) - 60}, key, "HS256"
        )
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["reason"] == "expired"


def test_token_for_a_deleted_user_is_not_found(client: TestClient, services: Services) -> None:
    token = services.access_tokens.issue("A" * 22)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_two_listeners_see_themselves(
    make_listener: Callable[[str], Listener], client: TestClient
) -> None:
    ada, bob = make_listener("ada@example.com"), make_listener("bob@example.com")
    assert client.get("/api/v1/me", headers=ada.auth).json()["email"] == "ada@example.com"
    assert client.get("/api/v1/me", headers=bob.auth).json()["email"] == "bob@example.com"


def test_the_listener_changes_country_and_name(client: TestClient, listener: Listener) -> None:
    markets = client.get("/api/v1/markets").json()["markets"]
    assert "SE" in markets and "GB" in markets and markets == sorted(markets)
    changed = client.patch(
        "/api/v1/me", json={"country": "gb", "display_name": " Ada L. "}, headers=listener.auth
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["country"], changed.json()["display_name"]) == ("GB", "Ada L.")
    me = client.get("/api/v1/me", headers=listener.auth).json()
    assert (me["country"], me["display_name"]) == ("GB", "Ada L.")
    # Nothing given changes nothing.
    assert client.patch("/api/v1/me", json={}, headers=listener.auth).json()["country"] == "GB"


@pytest.mark.parametrize(
    "body",
    [{"country": "XX"}, {"country": "GBR"}, {"country": 46}, {"display_name": ""}, {"plan": "x"}],
)
def test_a_bad_profile_change_is_refused_and_changes_nothing(
    client: TestClient, listener: Listener, body: dict[str, object]
) -> None:
    refused = client.patch("/api/v1/me", json=body, headers=listener.auth)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM
    me = client.get("/api/v1/me", headers=listener.auth).json()
    assert (me["country"], me["display_name"]) == ("SE", "ada")


def test_a_profile_change_needs_a_session(client: TestClient) -> None:
    assert client.patch("/api/v1/me", json={"country": "GB"}).status_code == 401
