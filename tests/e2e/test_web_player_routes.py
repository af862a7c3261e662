"""What Encore adds for the web player: the page and its files at `/`, public album cover art,
and read-only admin views that only operators may see."""

import re

from fastapi.testclient import TestClient

from encore.bootstrap import Services
from encore.web.mount import STATIC
from tests.builders import make_album, make_artist
from tests.e2e.conftest import PASSWORD, Listener


def test_the_player_page_and_files_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<script type="module" src="/static/js/main.js">' in page.text
    assert page.headers["cache-control"] == "no-cache"
    script = client.get("/static/js/player.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/sw.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/nothing.js").status_code == 404
    # The player is not part of the API's document.
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_api_paths_still_answer_problems_not_the_page(client: TestClient) -> None:
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_album_cover_art_is_public_with_an_etag(client: TestClient, services: Services) -> None:
    artist = services.catalog.add_artist(make_artist(name="Painter"))
    key = "covers/ab/painted.png"
    services.media.put_bytes(key, b"\x89PNG fake", content_type="image/png")
    album = services.catalog.add_album(make_album(artist_ids=(artist.id,), cover_art_path=key))
    bare = services.catalog.add_album(make_album(artist_ids=(artist.id,), name="No art"))

    cover = client.get(f"/api/v1/albums/{album.id}/cover")
    assert cover.status_code == 200
    assert cover.content == b"\x89PNG fake"
    assert cover.headers["content-type"] == "image/png"
    again = client.get(
        f"/api/v1/albums/{album.id}/cover", headers={"If-None-Match": cover.headers["etag"]}
    )
    assert again.status_code == 304

    assert client.get(f"/api/v1/albums/{bare.id}/cover").status_code == 404
    assert client.get("/api/v1/albums/0000000000000000000000/cover").status_code == 404
    assert client.get("/api/v1/albums/not-an-id/cover").status_code == 422


def test_admin_views_are_for_operators_only(client: TestClient, services: Services) -> None:
    listener = Listener(client, "ada@example.com")
    assert client.get("/api/v1/admin/users", headers=listener.auth).status_code == 403
    assert client.get("/api/v1/admin/status", headers=listener.auth).status_code == 403
    assert client.get("/api/v1/admin/status").status_code == 401

    services.accounts.add_user(
        email="op@example.com", password=PASSWORD, country="SE", is_admin=True
    )
    tokens = client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "op@example.com", "password": PASSWORD},
    ).json()
    operator = {"Authorization": f"Bearer {tokens['access_token']}"}

    users = client.get("/api/v1/admin/users?limit=1", headers=operator)
    assert users.status_code == 200
    assert users.json()["total"] == 2 and len(users.json()["items"]) == 1
    assert client.get("/api/v1/admin/users?limit=0", headers=operator).status_code == 422
    assert client.get("/api/v1/admin/users?offset=-1", headers=operator).status_code == 422

    status = client.get("/api/v1/admin/status", headers=operator).json()
    assert status["users"] == 2
    assert status["playable_tracks"] == 0
    assert status["failing_checks"] == []
    assert {c["name"] for c in status["consumers"]} == set(services.pipeline.lag())
    assert status["imports"] == {"imported_files": 0, "last_import_at": None, "catalog_tracks": 0}
    assert status["batch_runs"] == [] and status["wrapped"] == []


def test_the_service_worker_keeps_every_file_of_the_player() -> None:
    """The player opens offline only if the service worker's list names every file."""
    listed = set(re.findall(r'"(/[^"]*)"', (STATIC / "sw.js").read_text(encoding="utf-8")))
    files = {
        f"/static/{path.relative_to(STATIC).as_posix()}"
        for path in STATIC.rglob("*")
        if path.is_file() and path.name not in {"sw.js", "index.html"}
    }
    assert files <= listed
    assert "/" in listed
