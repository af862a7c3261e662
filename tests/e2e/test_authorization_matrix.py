"""Who may read or change what: every route of the app, asked by every role, answers as the
table says. A route missing from the table fails the test, so a new route cannot ship without
someone deciding who may call it.

Roles: anonymous; `other` and `free`, free listeners with no tie to anything asked about;
`premium`; `family_owner` (family plan) and `family_member` (a member of that plan);
`collaborator` (invited to the owner's collaborative playlist); `owner` (of the playlists and
the radio station asked about); `admin` (an operator, otherwise a free listener).

Playlists belong to `owner`: `public`, `private` and `shared` (private and collaborative, with
`collaborator` invited). A playlist a caller may not see is a 404, as if it did not exist; one
they may see but not change is a 403.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from encore.subsonic.routes import BINARY
from encore.subsonic.routes import METHODS as SUBSONIC_CALLS
from tests.e2e.authorization_world import ROLES, SIGNED_IN, World, build_world

Body = Callable[[str, World], Any]


@dataclass(frozen=True)
class Row:
    method: str
    template: str
    expect: dict[str, int]
    path: str | None = None  # the template filled in: `{name}` from the world's ids
    json: Body | None = None
    data: Body | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    fresh: bool = False  # its writes change the roles themselves: a world of its own

    @property
    def id(self) -> str:
        return f"{self.method} {self.template}"


def expect(anon: int = 401, signed: int = 200, **roles: int) -> dict[str, int]:
    unknown = set(roles) - set(SIGNED_IN)
    assert not unknown, unknown
    return {"anonymous": anon} | {role: roles.get(role, signed) for role in SIGNED_IN}


PUBLIC = expect(anon=200)
OWNER_ONLY = expect(signed=404, owner=200)  # a private playlist: nobody else sees it
SHARED = expect(signed=404, owner=200, collaborator=200)
PLANS_WITH_LOSSLESS = {"premium": 200, "family_owner": 200, "family_member": 200}


def _event(role: str, world: World) -> dict[str, Any]:
    return {
        "events": [
            {
                "id": f"e-{role}-{len(role)}",
                "type": "play",
                "track_id": world.ids["track"],
                "timestamp": "2026-01-05T10:00:00Z",
                "duration_played_ms": 60_000,
                "completed": False,
            }
        ]
    }


def _sign_in(role: str, world: World) -> dict[str, str]:
    who = "other" if role == "anonymous" else role
    return {
        "grant_type": "password",
        "username": f"{who.replace('_', '-')}@example.com",
        "password": "correct horse battery",
    }


def _refresh(role: str, world: World) -> dict[str, str]:
    return {"token": world.tokens.get(role, {}).get("refresh", "not-a-token")}


ROWS = [
    # Operations, documentation and the web player: anyone.
    Row("GET", "/openapi.json", PUBLIC),
    Row("GET", "/docs", PUBLIC),
    Row("GET", "/docs/oauth2-redirect", PUBLIC),
    Row("GET", "/redoc", PUBLIC),
    Row("GET", "/healthz", PUBLIC),
    # Loopback or the metrics token only: a listener's token is not it (see metrics_access).
    Row("GET", "/metrics", expect(anon=403, signed=403)),
    Row("GET", "/", PUBLIC),
    Row("GET", "/sw.js", PUBLIC),
    Row("GET", "/static", PUBLIC, path="/static/app.css"),
    Row("GET", "/api/v1/markets", PUBLIC),
    Row(
        "GET",
        "/api/v1/albums/{album_id}/cover",
        expect(anon=404, signed=404),
        path="/api/v1/albums/{album}/cover",
    ),
    # Accounts: sign-up and sign-in are open; the rest is the caller's own.
    Row(
        "POST",
        "/api/v1/users",
        expect(anon=201, signed=201),
        json=lambda role, _: {
            "email": f"new-{role.replace('_', '-')}@example.com",
            "password": "correct horse battery",
            "country": "SE",
        },
    ),
    Row("POST", "/api/v1/auth/token", PUBLIC, data=_sign_in),
    Row("POST", "/api/v1/auth/revoke", PUBLIC, data=_refresh),
    Row("GET", "/api/v1/me", expect()),
    Row("PATCH", "/api/v1/me", expect(), json=lambda role, _: {"display_name": f"{role}!"}),
    Row(
        "PUT",
        "/api/v1/me/plan",
        expect(family_member=409),  # they leave the family plan first
        json=lambda role, _: {"plan": "premium"},
        headers={"Idempotency-Key": "matrix-plan"},
        fresh=True,
    ),
    Row("GET", "/api/v1/me/plan/history", expect()),
    Row("GET", "/api/v1/me/plan/members", expect()),
    Row(
        "POST",
        "/api/v1/me/plan/members",
        expect(signed=409, family_owner=201),
        json=lambda role, _: {"email": "free@example.com"},
        fresh=True,
    ),
    Row(
        "DELETE",
        "/api/v1/me/plan/members/{member_id}",
        expect(signed=404, family_owner=204),
        path="/api/v1/me/plan/members/{family_member}",
        fresh=True,
    ),
    Row(
        "POST",
        "/api/v1/me/plan/invitations/{owner_id}",
        expect(signed=404, family_member=200),
        path="/api/v1/me/plan/invitations/{family_owner}",
        fresh=True,
    ),
    Row(
        "DELETE",
        "/api/v1/me/plan/membership",
        expect(signed=422, family_member=204),
        fresh=True,
    ),
    Row("GET", "/api/v1/me/export", expect()),
    Row(
        "DELETE",
        "/api/v1/me",
        expect(signed=204),
        json=lambda role, _: {"password": "correct horse battery"},
        fresh=True,
    ),
    Row("GET", "/api/v1/admin/users", expect(signed=403, admin=200)),
    Row("GET", "/api/v1/admin/status", expect(signed=403, admin=200)),
    # The catalog, search and streams: any listener; the top qualities need a paid plan.
    Row("GET", "/api/v1/tracks/{track_id}", expect(), path="/api/v1/tracks/{track}"),
    Row("GET", "/api/v1/albums/{album_id}", expect(), path="/api/v1/albums/{album}"),
    Row("GET", "/api/v1/artists/{artist_id}", expect(), path="/api/v1/artists/{artist}"),
    Row(
        "GET",
        "/api/v1/tracks/{track_id}/stream",
        expect(signed=403, **PLANS_WITH_LOSSLESS),
        path="/api/v1/tracks/{lossless}/stream",
        params={"quality": "lossless"},
    ),
    Row("GET", "/api/v1/search", expect(), params={"q": "song", "type": "track"}),
    Row("GET", "/api/v1/search/suggest", expect(), params={"q": "son"}),
    # Recommendations: the caller's own; a station is its creator's.
    Row("GET", "/api/v1/playlists/discover-weekly", expect()),
    Row("GET", "/api/v1/me/daily-mixes", expect()),
    Row("GET", "/api/v1/me/release-radar", expect()),
    Row(
        "POST",
        "/api/v1/radio",
        expect(signed=201),
        json=lambda _, world: {"seed_type": "track", "seed_id": world.ids["track"]},
    ),
    Row(
        "GET",
        "/api/v1/radio/{station_id}/next",
        expect(signed=404, owner=200),
        path="/api/v1/radio/{station}/next",
    ),
    # Playlists.
    Row(
        "POST",
        "/api/v1/playlists",
        expect(signed=201),
        json=lambda role, _: {"name": f"{role}'s"},
    ),
    Row("GET", "/api/v1/playlists/{playlist_id}", OWNER_ONLY, path="/api/v1/playlists/{private}"),
    Row(
        "PATCH",
        "/api/v1/playlists/{playlist_id}",
        expect(signed=403, owner=200),
        path="/api/v1/playlists/{public}",
        json=lambda role, _: {"description": f"by {role}"},
    ),
    Row(
        "DELETE",
        "/api/v1/playlists/{playlist_id}",
        expect(signed=404, collaborator=403, owner=204),
        path="/api/v1/playlists/{shared}",
        fresh=True,
    ),
    Row(
        "POST",
        "/api/v1/playlists/{playlist_id}/tracks",
        expect(signed=404, owner=201, collaborator=201),
        path="/api/v1/playlists/{shared}/tracks",
        json=lambda _, world: {"track_ids": [world.ids["track"]]},
    ),
    Row(
        "PUT",
        "/api/v1/playlists/{playlist_id}/tracks",
        expect(signed=403, owner=200),
        path="/api/v1/playlists/{public}/tracks",
        json=lambda _, world: {"range_start": 0, "insert_before": 2},
    ),
    Row(
        "DELETE",
        "/api/v1/playlists/{playlist_id}/tracks",
        expect(signed=404, owner=200, collaborator=200),
        path="/api/v1/playlists/{shared}/tracks",
        json=lambda _, world: {"track_ids": [world.ids["track"]]},
        fresh=True,
    ),
    Row(
        "POST",
        "/api/v1/playlists/{playlist_id}/collaborators",
        expect(signed=404, collaborator=403, owner=201),
        path="/api/v1/playlists/{shared}/collaborators",
        json=lambda _, world: {"user": "free"},
        fresh=True,
    ),
    Row(
        "PUT",
        "/api/v1/playlists/{playlist_id}/collaborators/{user_id}",
        expect(signed=404, collaborator=403, owner=204),
        path="/api/v1/playlists/{shared}/collaborators/{free}",
        fresh=True,
    ),
    Row(
        "DELETE",
        "/api/v1/playlists/{playlist_id}/collaborators/{user_id}",
        expect(signed=404, collaborator=403, owner=204),
        path="/api/v1/playlists/{shared}/collaborators/{collaborator}",
        fresh=True,
    ),
    Row(
        "PUT",
        "/api/v1/playlists/{playlist_id}/followers",
        expect(signed=404, owner=204),
        path="/api/v1/playlists/{private}/followers",
    ),
    Row(
        "DELETE",
        "/api/v1/playlists/{playlist_id}/followers",
        expect(signed=204),
        path="/api/v1/playlists/{public}/followers",
    ),
    Row("GET", "/api/v1/me/playlists", expect()),
    # The caller's own library, history and Subsonic credentials.
    Row("PUT", "/api/v1/me/tracks", expect(signed=204), params={"ids": "{track}"}),
    Row("DELETE", "/api/v1/me/tracks", expect(signed=204), params={"ids": "{track}"}),
    Row("GET", "/api/v1/me/tracks", expect()),
    Row("GET", "/api/v1/me/tracks/contains", expect(), params={"ids": "{track}"}),
    Row(
        "PUT",
        "/api/v1/me/following",
        expect(signed=204),
        params={"type": "artist", "ids": "{artist}"},
    ),
    Row(
        "DELETE",
        "/api/v1/me/following",
        expect(signed=204),
        params={"type": "artist", "ids": "{artist}"},
    ),
    Row("GET", "/api/v1/me/following", expect(), params={"type": "artist"}),
    Row("POST", "/api/v1/me/player/events", expect(signed=202), json=_event),
    Row(
        "PUT",
        "/api/v1/me/player/now-playing",
        expect(signed=204),
        json=lambda _, world: {"track_id": world.ids["track"]},
        fresh=True,
    ),
    Row("GET", "/api/v1/me/player/now-playing", expect(signed=204)),
    Row("GET", "/api/v1/me/player/recently-played", expect()),
    Row("GET", "/api/v1/me/wrapped", expect(signed=404), params={"year": "2025"}),
    Row("POST", "/api/v1/me/subsonic-credentials", expect(signed=201), fresh=True),
    Row("GET", "/api/v1/me/subsonic-credentials", expect(signed=404)),
    Row("DELETE", "/api/v1/me/subsonic-credentials", expect(signed=204)),
]
# Answered outside the framework's router, or with a protocol of their own: their own tests below.
OWN_TESTS = {("GET", "/rest/{method}"), ("HEAD", "/rest/{method}"), ("POST", "/rest/{method}")}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("matrix") / "template")


@pytest.fixture(scope="module")
def world(template: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made = template.copy(tmp_path_factory.mktemp("matrix") / "shared", start=True)
    # Stations live in the cache, not in the copied files: the owner starts one here.
    station = made.client.post(
        "/api/v1/radio",
        json={"seed_type": "track", "seed_id": made.ids["track"]},
        headers=made.headers("owner"),
    )
    assert station.status_code == 201, station.text
    made.ids["station"] = station.json()["id"]
    yield made
    made.close()


def test_every_route_is_in_the_table(world: World) -> None:
    served = {
        (method, context.path)
        for context in iter_route_contexts(world.app.routes)
        for method in (context.methods or {"GET"}) - {"HEAD"}
    }
    tabled = {(row.method, row.template) for row in ROWS} | OWN_TESTS
    assert served - tabled == set(), "routes nobody decided about"
    assert tabled - served - OWN_TESTS == set(), "rows for routes that are gone"
    assert len({row.id for row in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.id)
def test_each_role_gets_what_the_table_says(
    row: Row, world: World, template: World, tmp_path: Path
) -> None:
    here = template.copy(tmp_path / "own", start=False) if row.fresh else world
    try:
        answers = {role: _ask(here, row, role) for role in ROLES}
    finally:
        if row.fresh:
            here.close()
    got = {role: status for role, (status, _, _) in answers.items()}
    assert got == row.expect, {r: answers[r][2][:200] for r in ROLES if got[r] != row.expect[r]}
    for role, (status, content_type, _) in answers.items():
        if status >= 400 and row.template.startswith("/api/"):
            assert content_type == "application/problem+json", (role, status)


def _ask(world: World, row: Row, role: str) -> tuple[int, str, str]:
    fill = lambda text: text.format(**world.ids)  # noqa: E731
    response = world.client.request(
        row.method,
        fill(row.path or row.template),
        params={name: fill(value) for name, value in row.params.items()},
        json=row.json(role, world) if row.json else None,
        data=row.data(role, world) if row.data else None,
        headers={**row.headers, **world.headers(role)},
    )
    return response.status_code, response.headers.get("content-type", ""), response.text


# --- the Subsonic API: HTTP 200, with the protocol's own error codes -----------------------------

SUBSONIC_AUTH_ERRORS = {10, 40, 41, 42, 43, 44}
OK = 0  # a Subsonic answer with status="ok"
SUBSONIC_METHODS = sorted({*SUBSONIC_CALLS, *BINARY})


@pytest.fixture(scope="module")
def subsonic(template: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A copy whose listeners hold Subsonic API keys (kept apart: the table above expects
    none)."""
    made = template.copy(tmp_path_factory.mktemp("matrix") / "subsonic", start=False)
    for role in SIGNED_IN:
        issued = made.client.post("/api/v1/me/subsonic-credentials", headers=made.headers(role))
        assert issued.status_code == 201, issued.text
        made.tokens[role]["api_key"] = issued.json()["api_key"]
        made.ids[f"{role}_name"] = issued.json()["username"]
    yield made
    made.close()


def _subsonic(world: World, role: str, method: str, **params: str) -> int:
    """The Subsonic error code of the answer, or OK."""
    query = {"v": "1.16.1", "c": "matrix", "f": "json", **params}
    if role != "anonymous":
        query["apiKey"] = world.tokens[role]["api_key"]
    response = world.client.get(f"/rest/{method}", params=query, headers=world.headers(role))
    assert response.status_code == 200, response.text
    if not response.headers["content-type"].startswith("application/json"):
        return OK  # audio or art bytes
    body = response.json()["subsonic-response"]
    return OK if body["status"] == "ok" else int(body["error"]["code"])


@pytest.mark.parametrize("method", SUBSONIC_METHODS)
def test_every_subsonic_method_needs_credentials(method: str, subsonic: World) -> None:
    # A bearer token is not a Subsonic credential: anonymous here sends none, and the
    # signed-in roles' bearer tokens are sent with a bad key.
    assert _subsonic(subsonic, "anonymous", method) in SUBSONIC_AUTH_ERRORS
    query = {"v": "1.16.1", "c": "matrix", "f": "json", "apiKey": "not-a-key"}
    refused = subsonic.client.get(
        f"/rest/{method}", params=query, headers=subsonic.headers("admin")
    )
    assert refused.json()["subsonic-response"]["error"]["code"] == 44


SUBSONIC_ROWS = [
    # method, parameters, expected code by role (OK or the protocol's error)
    ("getPlaylist", {"id": "{private}"}, expect(anon=10, signed=70, owner=OK)),
    ("getPlaylist", {"id": "{shared}"}, expect(anon=10, signed=70, owner=OK, collaborator=OK)),
    ("getPlaylist", {"id": "{public}"}, expect(anon=10, signed=OK)),
    (
        "updatePlaylist",
        {"playlistId": "{public}", "comment": "x"},
        expect(anon=10, signed=50, owner=OK),
    ),
    (
        "updatePlaylist",
        {"playlistId": "{private}", "comment": "x"},
        expect(anon=10, signed=70, owner=OK),
    ),
    (
        "updatePlaylist",
        {"playlistId": "{shared}", "songIdToAdd": "{track}"},
        expect(anon=10, signed=70, owner=OK, collaborator=OK),
    ),
    ("getPlaylists", {"username": "{owner_name}"}, expect(anon=10, signed=50, owner=OK)),
    ("getUser", {"username": "{owner_name}"}, expect(anon=10, signed=50, owner=OK)),
    ("getSong", {"id": "{track}"}, expect(anon=10, signed=OK)),
]


@pytest.mark.parametrize(("method", "params", "expected"), SUBSONIC_ROWS)
def test_subsonic_callers_reach_what_the_api_lets_them(
    method: str, params: dict[str, str], expected: dict[str, int], subsonic: World
) -> None:
    filled = {name: value.format(**subsonic.ids) for name, value in params.items()}
    got = {role: _subsonic(subsonic, role, method, **filled) for role in ROLES}
    assert got == expected


def test_audio_needs_a_signature_not_a_role(world: World) -> None:
    """`/audio/...` answers whoever holds a valid signed URL, and nobody else, whatever their
    bearer token."""
    granted = world.client.get(
        f"/api/v1/tracks/{world.ids['track']}/stream", headers=world.headers("free")
    )
    assert granted.status_code == 200, granted.text
    url = granted.json()["stream_url"]
    path, _, query = url.partition("://")[2].partition("/")[2].partition("?")
    for role in ROLES:
        signed = world.client.get(f"/{path}?{query}", headers=world.headers(role))
        # The seeded renditions have no bytes in the store: past the signature check, a 404.
        assert signed.status_code == 404, (role, signed.text)
        unsigned = world.client.get(f"/{path}", headers=world.headers(role))
        assert unsigned.status_code == 403, (role, unsigned.text)
        forged = world.client.get(f"/{path}?{query[:-1]}0", headers=world.headers(role))
        assert forged.status_code in (403,), (role, forged.text)
