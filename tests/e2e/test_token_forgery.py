"""Access tokens are verified with one pinned algorithm (HS256, Encore's own key): every forged,
altered, expired or incomplete token is a 401 problem+json, on the framework's routes and on
the fast paths alike (which hand anything doubtful to the route)."""

import base64
import hmac
import time
from collections.abc import Callable, Iterator

import jwt
import orjson
import pytest
from fastapi.testclient import TestClient

from encore.api.app import create_app
from encore.bootstrap import Services
from encore.keys import derive_key
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import Listener

SECRET = "a-master-secret-for-the-forgery-tests-0123456789"
KEY = derive_key(SECRET.encode(), "access-token")


@pytest.fixture
def known_key(make_services: Callable[..., Services]) -> Iterator[tuple[TestClient, Services]]:
    services = make_services(secret_key=SECRET)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        yield client, services


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(
    header: dict[str, object], claims: dict[str, object], key: bytes | None, digest: str = "sha256"
) -> str:
    """A JWT assembled by hand, so that any header (alg none included) can be sent."""
    signing_input = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(claims))}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def _claims(user_id: str, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": "encore",
        "sub": user_id,
        "iat": now,
        "exp": now + 600,
        "typ": "access",
        "jti": "forged",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _forgeries(user_id: str, genuine: str, victim_id: str) -> dict[str, str]:
    header, _, signature = genuine.split(".")
    swapped = _b64(orjson.dumps(_claims(victim_id)))
    return {
        "alg none": _token({"alg": "none", "typ": "JWT"}, _claims(user_id), None),
        "alg none, signature kept": _token({"alg": "none"}, _claims(user_id), None) + signature,
        "alg NONE": _token({"alg": "NONE"}, _claims(user_id), None),
        # The HS/RS confusion: a header naming RS256, signed with HMAC over the key Encore holds.
        "RS256 header, HMAC signature": _token({"alg": "RS256"}, _claims(user_id), KEY),
        "HS512 with the right key": _token({"alg": "HS512"}, _claims(user_id), KEY, "sha512"),
        "HS384 with the right key": _token({"alg": "HS384"}, _claims(user_id), KEY, "sha384"),
        "another key": jwt.encode(_claims(user_id), b"k" * 32, algorithm="HS256"),
        "the master secret itself as key": jwt.encode(
            _claims(user_id), SECRET.encode(), algorithm="HS256"
        ),
        "payload changed to someone else": f"{header}.{swapped}.{signature}",
        "payload changed, unsigned": f"{header}.{swapped}.",
        "expired": jwt.encode(
            _claims(user_id, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
            KEY,
            algorithm="HS256",
        ),
        "no exp": jwt.encode(_claims(user_id, exp=None), KEY, algorithm="HS256"),
        "no sub": jwt.encode(_claims(user_id, sub=None), KEY, algorithm="HS256"),
        "no iss": jwt.encode(_claims(user_id, iss=None), KEY, algorithm="HS256"),
        "another issuer": jwt.encode(_claims(user_id, iss="elsewhere"), KEY, algorithm="HS256"),
        "a refresh-typed token": jwt.encode(
            _claims(user_id, typ="refresh"), KEY, algorithm="HS256"
        ),
        "no typ": jwt.encode(_claims(user_id, typ=None), KEY, algorithm="HS256"),
        "kid pointing elsewhere": jwt.encode(
            _claims(user_id), b"k" * 32, algorithm="HS256", headers={"kid": "../../secret.key"}
        ),
        "garbage": "not.a.jwt",
        "empty segments": "..",
    }


def test_forged_tokens_are_refused_everywhere(known_key: tuple[TestClient, Services]) -> None:
    client, services = known_key
    me, victim = Listener(client, "ada@example.com"), Listener(client, "eve@example.com")
    track = add_tracks(services, 1)[0]
    # The genuine token works, and is cached by the fast path's token memory.
    assert client.get("/api/v1/me", headers=me.auth).status_code == 200
    assert jwt.decode(me.access_token, KEY, algorithms=["HS256"], issuer="encore")["sub"] == me.id
    client.get(f"/api/v1/tracks/{track}", headers=me.auth)
    places = [
        ("GET", "/api/v1/me"),
        ("GET", f"/api/v1/tracks/{track}"),  # the document fast path
        ("GET", f"/api/v1/tracks/{track}/stream"),  # the stream fast path
        ("POST", "/api/v1/me/player/events"),  # the events fast path
    ]
    for name, token in _forgeries(me.id, me.access_token, victim.id).items():
        for method, path in places:
            body = {"events": []} if method == "POST" else None
            answer = client.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, json=body
            )
            assert answer.status_code == 401, f"{name} on {path}: {answer.text}"
            assert answer.headers["content-type"] == "application/problem+json", name
            assert answer.headers["www-authenticate"].startswith("Bearer"), name
            assert victim.id not in answer.text
