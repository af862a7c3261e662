"""Playlists, liked tracks and followed artists over HTTP: shapes, If-Match, errors."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from encore.bootstrap import Services
from encore.library.service import PlaylistNotice
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import Listener


def new_playlist(client: TestClient, listener: Listener) -> str:
    created = client.post("/api/v1/playlists", json={"name": "P"}, headers=listener.auth)
    return f"/api/v1/playlists/{created.json()['id']}"


def test_a_playlist_over_http(client: TestClient, services: Services, listener: Listener) -> None:
    tracks = add_tracks(services, 3)
    created = client.post(
        "/api/v1/playlists",
        json={"name": "Mix", "description": "mine", "public": True},
        headers=listener.auth,
    )
    assert created.status_code == 201, created.text
    playlist_id = created.json()["id"]
    assert created.headers["location"] == f"/api/v1/playlists/{playlist_id}"
    url = f"/api/v1/playlists/{playlist_id}"
    added = client.post(f"{url}/tracks", json={"track_ids": tracks}, headers=listener.auth)
    assert added.status_code == 201
    moved = client.put(
        f"{url}/tracks",
        json={"range_start": 2, "insert_before": 0},
        headers={**listener.auth, "If-Match": f'"{added.json()["snapshot_id"]}"'},
    )
    assert moved.status_code == 200, moved.text
    got = client.get(url, headers=listener.auth)
    body = got.json()
    assert got.headers["etag"] == f'"{moved.json()["snapshot_id"]}"'
    assert body["snapshot_id"] == moved.json()["snapshot_id"]
    assert [i["track"]["id"] for i in body["tracks"]["items"]] == [tracks[2], tracks[0], tracks[1]]
    assert body["tracks"]["items"][0]["added_by"] == {"id": listener.id}
    assert body["tracks"]["items"][0]["track"]["album"]["id"]
    assert body["followers"] == {"total": 0}
    assert body["owner"] == {"id": listener.id}
    # The cover is served where the URL says, to anyone (an <img> sends no token).
    (image,) = body["images"]
    assert (
        image["url"] == f"/api/v1/albums/{body['tracks']['items'][0]['track']['album']['id']}/cover"
    )
    art = b"\xff\xd8\xff\xe0 a jpeg's first bytes"
    services.media.put_bytes("covers/ab/cover.jpg", art, content_type="image/jpeg")
    cover = client.get(image["url"])
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/jpeg"
    assert cover.content == art
    removed = client.request(
        "DELETE", f"{url}/tracks", json={"track_ids": [tracks[0]]}, headers=listener.auth
    )
    assert removed.status_code == 200
    assert client.get(url, headers=listener.auth).json()["tracks"]["total"] == 2
    renamed = client.patch(url, json={"name": "Renamed"}, headers=listener.auth)
    assert renamed.status_code == 200
    mine = client.get("/api/v1/me/playlists", headers=listener.auth).json()
    assert [p["name"] for p in mine["items"]] == ["Renamed"] and mine["total"] == 1
    assert client.delete(url, headers=listener.auth).status_code == 204
    assert client.get(url, headers=listener.auth).status_code == 404


def test_a_conflicting_write_gets_412_with_the_current_state(
    client: TestClient, services: Services, listener: Listener
) -> None:
    tracks = add_tracks(services, 3)
    url = new_playlist(client, listener)
    old = client.post(f"{url}/tracks", json={"track_ids": tracks[:2]}, headers=listener.auth)
    client.post(
        f"{url}/tracks", json={"track_ids": [tracks[2]], "position": 0}, headers=listener.auth
    )
    stale = client.put(
        f"{url}/tracks",
        json={"range_start": 1, "insert_before": 0},
        headers={**listener.auth, "If-Match": old.json()["snapshot_id"]},
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    problem = stale.json()
    assert problem["type"] == "/problems/precondition-failed"
    assert problem["snapshot_id"] == problem["playlist"]["snapshot_id"]
    assert [i["track"]["id"] for i in problem["playlist"]["tracks"]["items"]] == [
        tracks[2],
        tracks[0],
        tracks[1],
    ]
    # An append against the same old snapshot does not depend on positions: it merges.
    merged = client.post(
        f"{url}/tracks",
        json={"track_ids": [tracks[0]]},
        headers={**listener.auth, "If-Match": old.json()["snapshot_id"]},
    )
    assert merged.status_code == 201


def test_bad_playlist_requests_are_problems_not_crashes(
    client: TestClient,
    services: Services,
    listener: Listener,
    make_listener: Callable[[str], Listener],
) -> None:
    tracks = add_tracks(services, 1)
    url = new_playlist(client, listener)
    other = make_listener("other@example.com")
    cases = [
        (client.post("/api/v1/playlists", json={"name": ""}, headers=listener.auth), 422),
        (
            client.post(
                "/api/v1/playlists",
                json={"name": "x", "public": True, "collaborative": True},
                headers=listener.auth,
            ),
            422,
        ),
        (client.post(f"{url}/tracks", json={"track_ids": ["a" * 22]}, headers=listener.auth), 404),
        (
            client.post(
                f"{url}/tracks", json={"track_ids": tracks, "position": 9}, headers=listener.auth
            ),
            422,
        ),
        (
            client.post(f"{url}/tracks", json={"track_ids": tracks * 101}, headers=listener.auth),
            422,
        ),
        (
            client.put(
                f"{url}/tracks", json={"range_start": 0, "insert_before": 0}, headers=listener.auth
            ),
            422,
        ),
        (client.post(f"{url}/tracks", json={"track_ids": tracks}, headers=other.auth), 403),
        (client.patch(url, json={"name": "mine"}, headers=other.auth), 403),
        (client.get("/api/v1/playlists/" + "z" * 22, headers=listener.auth), 404),
        (client.get("/api/v1/playlists/bad", headers=listener.auth), 422),
        (client.get(url), 401),
        (client.put("/api/v1/me/tracks?ids=nope", headers=listener.auth), 422),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.url, response.text)
        assert response.headers["content-type"] == "application/problem+json"


def test_the_owner_invites_by_email_or_display_name(
    client: TestClient, listener: Listener, make_listener: Callable[[str], Listener]
) -> None:
    friend = make_listener("friend@example.com")
    named = make_listener("bo@example.com")
    assert (
        client.patch("/api/v1/me", json={"display_name": "Bo Diddley"}, headers=named.auth)
    ).status_code == 200
    stranger = make_listener("stranger@example.com")
    created = client.post(
        "/api/v1/playlists",
        json={"name": "Together", "public": False, "collaborative": True},
        headers=listener.auth,
    ).json()
    url = f"/api/v1/playlists/{created['id']}/collaborators"

    by_email = client.post(url, json={"user": " Friend@Example.com "}, headers=listener.auth)
    assert by_email.status_code == 201, by_email.text
    assert by_email.json() == {"id": friend.id, "display_name": "friend"}
    by_name = client.post(url, json={"user": "bo diddley"}, headers=listener.auth)
    assert by_name.json() == {"id": named.id, "display_name": "Bo Diddley"}
    again = client.post(url, json={"user": "bo diddley"}, headers=listener.auth)
    assert again.status_code == 201  # inviting twice is harmless
    body = client.get(f"/api/v1/playlists/{created['id']}", headers=listener.auth).json()
    assert sorted(c["id"] for c in body["collaborators"]) == sorted([friend.id, named.id])

    missing = client.post(url, json={"user": "nobody@example.com"}, headers=listener.auth)
    assert missing.status_code == 404 and missing.json()["field"] == "user"
    assert client.post(url, json={"user": "Nobody"}, headers=listener.auth).status_code == 404
    assert client.post(url, json={"user": ""}, headers=listener.auth).status_code == 422
    self_invite = client.post(url, json={"user": "ada@example.com"}, headers=listener.auth)
    assert self_invite.status_code == 422
    # Two listeners share a name: the owner is asked for an e-mail instead.
    client.patch("/api/v1/me", json={"display_name": "Bo Diddley"}, headers=stranger.auth)
    shared = client.post(url, json={"user": "Bo Diddley"}, headers=listener.auth)
    assert shared.status_code == 409 and "e-mail" in shared.json()["detail"]

    # Nobody but the owner learns whether an address has an account: the answer is the same
    # for an address that has one and one that does not.
    for who in ("friend@example.com", "nobody@example.com"):
        anonymous = client.post(url, json={"user": who})
        assert anonymous.status_code == 401
        other = client.post(url, json={"user": who}, headers=stranger.auth)
        assert other.status_code == 404  # a private playlist the caller cannot see
        as_guest = client.post(url, json={"user": who}, headers=friend.auth)
        assert as_guest.status_code == 403  # a collaborator may edit tracks, not invite
    body = client.get(f"/api/v1/playlists/{created['id']}", headers=listener.auth).json()
    assert len(body["collaborators"]) == 2


def test_collaborators_followers_likes_and_artists(
    client: TestClient,
    services: Services,
    listener: Listener,
    make_listener: Callable[[str], Listener],
) -> None:
    tracks = add_tracks(services, 2)
    friend = make_listener("friend@example.com")
    created = client.post(
        "/api/v1/playlists",
        json={"name": "Together", "public": False, "collaborative": True},
        headers=listener.auth,
    ).json()
    url = f"/api/v1/playlists/{created['id']}"
    assert client.put(f"{url}/collaborators/{friend.id}", headers=listener.auth).status_code == 204
    assert (
        client.post(
            f"{url}/tracks", json={"track_ids": tracks[:1]}, headers=friend.auth
        ).status_code
        == 201
    )
    body = client.get(url, headers=friend.auth).json()
    assert body["collaborators"] == [{"id": friend.id}]
    assert body["tracks"]["items"][0]["added_by"] == {"id": friend.id}
    assert client.put(f"{url}/followers", headers=friend.auth).status_code == 204
    assert client.get(url, headers=listener.auth).json()["followers"] == {"total": 1}
    assert client.delete(f"{url}/followers", headers=friend.auth).status_code == 204

    ids = ",".join(tracks)
    assert client.put(f"/api/v1/me/tracks?ids={ids}", headers=listener.auth).status_code == 204
    liked = client.get("/api/v1/me/tracks", headers=listener.auth).json()
    assert liked["total"] == 2 and {i["track"]["id"] for i in liked["items"]} == set(tracks)
    contains = client.get(f"/api/v1/me/tracks/contains?ids={tracks[0]}", headers=listener.auth)
    assert contains.json() == [True]
    artist_id = liked["items"][0]["track"]["artists"][0]["id"]
    assert (
        client.put(f"/api/v1/me/following?ids={artist_id}", headers=listener.auth).status_code
        == 204
    )
    following = client.get("/api/v1/me/following?type=artist", headers=listener.auth).json()
    assert client.get("/api/v1/me/following?type=user", headers=listener.auth).status_code == 422
    assert following["artists"]["items"][0]["id"] == artist_id
    assert following["artists"]["total"] == 1


def test_the_library_tells_listeners_of_playlist_changes(
    client: TestClient, services: Services, listener: Listener
) -> None:
    notices: list[PlaylistNotice] = []
    services.library.on_change(notices.append)
    created = client.post("/api/v1/playlists", json={"name": "Seen"}, headers=listener.auth).json()
    client.patch(
        f"/api/v1/playlists/{created['id']}", json={"public": False}, headers=listener.auth
    )
    client.delete(f"/api/v1/playlists/{created['id']}", headers=listener.auth)
    assert [(n.playlist.public, n.deleted) for n in notices] == [
        (True, False),
        (False, False),
        (False, True),
    ]
