"""The Subsonic API in process: every response against the schema, entitlements and licences
as the main API has them, and every bad input answered with the protocol's error code."""

from pathlib import Path
from typing import Any

import pytest
import xmlschema
from fastapi.testclient import TestClient

from encore.accounts.model import Plan
from encore.bootstrap import Services
from encore.ids import new_id
from tests.e2e.conftest import Listener
from tests.e2e.subsonic_fixture import Seeded, jpeg_size, seed, subsonic_login, token_params

SCHEMA = xmlschema.XMLSchema(str(Path(__file__).with_name("subsonic.xsd")))
NS = "{http://subsonic.org/restapi}"


@pytest.fixture
def seeded(services: Services, tmp_path: Path) -> Seeded:
    return seed(services, tmp_path)


@pytest.fixture
def login(client: TestClient, listener: Listener) -> dict[str, str]:
    return subsonic_login(client, listener.auth)


@pytest.fixture
def auth(login: dict[str, str]) -> dict[str, str]:
    return token_params(login["username"], login["password"])


def call(client: TestClient, method: str, params: dict[str, Any]) -> Any:
    answer = client.get(f"/rest/{method}.view", params=params)
    assert answer.status_code == 200, answer.text
    return answer


def xml_ok(client: TestClient, method: str, params: dict[str, Any]) -> Any:
    answer = call(client, method, params)
    SCHEMA.validate(answer.text)
    document = SCHEMA.to_dict(answer.text)
    assert document["@status"] == "ok", answer.text
    return document


def error_of(client: TestClient, method: str, params: dict[str, Any]) -> int:
    answer = call(client, method, {**params, "f": "json"})
    body = answer.json()["subsonic-response"]
    assert body["status"] == "failed", answer.text
    return int(body["error"]["code"])


def test_every_method_answers_valid_xml(
    client: TestClient, seeded: Seeded, auth: dict[str, str], login: dict[str, str]
) -> None:
    song = seeded.track_ids[0]
    assert xml_ok(client, "ping", auth)["@openSubsonic"] is True
    xml_ok(client, "star", {**auth, "id": song, "albumId": seeded.album_id})
    xml_ok(client, "star", {**auth, "artistId": seeded.artist_id})
    xml_ok(client, "setRating", {**auth, "id": song, "rating": 4})
    xml_ok(client, "scrobble", {**auth, "id": song, "submission": "false"})
    created = xml_ok(client, "createPlaylist", {**auth, "name": "Mix", "songId": song})
    playlist_id = created["playlist"]["@id"]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("getLicense", {}),
        ("getMusicFolders", {}),
        ("getIndexes", {}),
        ("getArtists", {}),
        ("getArtist", {"id": seeded.artist_id}),
        ("getArtistInfo2", {"id": seeded.artist_id}),
        ("getAlbum", {"id": seeded.album_id}),
        ("getAlbumInfo2", {"id": seeded.album_id}),
        ("getSong", {"id": song}),
        ("getGenres", {}),
        ("getSongsByGenre", {"genre": "folk"}),
        ("getRandomSongs", {"size": 2}),
        ("search3", {"query": ""}),
        ("search3", {"query": "harbour"}),
        ("getStarred2", {}),
        ("getPlaylists", {}),
        ("getPlaylist", {"id": playlist_id}),
        ("getNowPlaying", {}),
        ("getSimilarSongs2", {"id": seeded.artist_id}),
        ("getTopSongs", {"artist": "Harbour Lights"}),
        ("getUser", {"username": login["username"]}),
        ("getLyricsBySongId", {"id": song}),
        ("getOpenSubsonicExtensions", {}),
    ]
    calls += [
        ("getAlbumList2", {"type": kind})
        for kind in (
            "random",
            "newest",
            "frequent",
            "recent",
            "starred",
            "highest",
            "alphabeticalByName",
            "alphabeticalByArtist",
        )
    ]
    calls += [("getAlbumList2", {"type": "byYear", "fromYear": 2030, "toYear": 1900})]
    calls += [("getAlbumList2", {"type": "byGenre", "genre": "Folk"})]
    for method, extra in calls:
        xml_ok(client, method, {**auth, **extra})
    album = xml_ok(client, "getAlbum", {**auth, "id": seeded.album_id})["album"]
    assert [s["@title"] for s in album["song"]] == [
        "Midnight Harbour",
        "Silver Rain",
        "Open Road",
        "Border Song",
    ]
    assert album["@starred"]
    starred = xml_ok(client, "getStarred2", auth)["starred2"]
    assert [s["@id"] for s in starred["song"]] == [song]
    assert starred["song"][0]["@userRating"] == 4
    assert [a["@id"] for a in starred["album"]] == [seeded.album_id]
    assert [a["@id"] for a in starred["artist"]] == [seeded.artist_id]
    now = xml_ok(client, "getNowPlaying", auth)["nowPlaying"]["entry"]
    assert [e["@id"] for e in now] == [song]
    # What a listener's Subsonic client stars is what the main API shows as liked.
    assert error_of(client, "getAlbum", {**auth, "id": new_id()}) == 70


def test_json_and_jsonp(client: TestClient, seeded: Seeded, auth: dict[str, str]) -> None:
    answer = call(client, "getGenres", {**auth, "f": "json"})
    body = answer.json()["subsonic-response"]
    assert body["status"] == "ok"
    assert (body["version"], body["type"], body["openSubsonic"]) == ("1.16.1", "encore", True)
    assert body["genres"]["genre"] == [{"songCount": 4, "albumCount": 1, "value": "folk"}]
    wrapped = call(client, "ping", {**auth, "f": "jsonp", "callback": "player.onAnswer"})
    assert wrapped.headers["content-type"].startswith("application/javascript")
    assert wrapped.text.startswith("player.onAnswer({") and wrapped.text.endswith("});")


def stream(client: TestClient, auth: dict[str, str], track: str, **extra: Any) -> Any:
    return client.get("/rest/stream", params={**auth, "id": track, **extra})


def test_stream_picks_the_ladder_within_the_plan(
    client: TestClient, services: Services, listener: Listener, seeded: Seeded, auth: dict[str, str]
) -> None:
    song = seeded.track_ids[0]
    store = services.media

    def served(**extra: Any) -> bytes:
        answer = stream(client, auth, song, **extra)
        assert answer.status_code == 200, answer.text[:300]
        assert answer.headers["content-type"] == "audio/ogg"
        return answer.content

    def rung(file: str) -> bytes:
        key = f"audio/{song[:2]}/{song[2:4]}/{song}/{file}"
        return b"".join(store.read_range(key, 0, store.stat(key).size - 1))  # type: ignore[union-attr]

    assert served() == rung("160.ogg")  # a free plan's best
    assert served(maxBitRate=320) == rung("160.ogg")  # never above the plan
    assert served(maxBitRate=128) == rung("96.ogg")  # the nearest rung below
    assert served(maxBitRate=10) == rung("24.ogg")
    assert served(format="raw") == rung("160.ogg")
    services.accounts.change_plan(
        user_id=listener.id, plan=Plan.PREMIUM, idempotency_key=new_id(), changed_by="test"
    )
    assert served() == rung("320.ogg")
    part = stream(client, auth, song, maxBitRate=96)
    ranged = client.get(
        "/rest/stream",
        params={**auth, "id": song, "maxBitRate": 96},
        headers={"Range": "bytes=10-19"},
    )
    assert ranged.status_code == 206
    assert ranged.content == part.content[10:20]
    assert "private" in ranged.headers["cache-control"]
    later = stream(client, auth, song, timeOffset=1)
    assert later.status_code == 200 and later.content.startswith(b"OggS")
    assert len(later.content) < len(part.content) * 4


def test_a_track_not_licensed_here_is_error_70(
    client: TestClient, seeded: Seeded, auth: dict[str, str]
) -> None:
    answer = stream(client, auth, seeded.us_only, f="json")
    assert answer.json()["subsonic-response"]["error"]["code"] == 70


def test_credentials_rotate_and_revoke(
    client: TestClient, listener: Listener, login: dict[str, str]
) -> None:
    old = token_params(login["username"], login["password"])
    assert error_of(client, "ping", {**old, "t": "0" * 32}) == 40
    assert call(client, "ping", {**old, "f": "json"}).json()["subsonic-response"]["status"] == "ok"
    by_key = {"apiKey": login["api_key"], "v": "1.16.1", "c": "tests", "f": "json"}
    assert call(client, "ping", by_key).json()["subsonic-response"]["status"] == "ok"
    plain = {"u": login["username"], "p": login["password"], "v": "1.16", "c": "t"}
    assert (
        call(client, "ping", {**plain, "f": "json"}).json()["subsonic-response"]["status"] == "ok"
    )
    hexed = {**plain, "p": "enc:" + login["password"].encode().hex()}
    assert (
        call(client, "ping", {**hexed, "f": "json"}).json()["subsonic-response"]["status"] == "ok"
    )
    described = client.get("/api/v1/me/subsonic-credentials", headers=listener.auth).json()
    assert described["username"] == login["username"] and "password" not in described
    rotated = subsonic_login(client, listener.auth)
    assert error_of(client, "ping", old) == 40
    assert error_of(client, "ping", {k: v for k, v in by_key.items() if k != "f"}) == 44
    fresh = token_params(rotated["username"], rotated["password"])
    assert (
        call(client, "ping", {**fresh, "f": "json"}).json()["subsonic-response"]["status"] == "ok"
    )
    assert (
        client.delete("/api/v1/me/subsonic-credentials", headers=listener.auth).status_code == 204
    )
    assert error_of(client, "ping", fresh) == 40
    assert client.get("/api/v1/me/subsonic-credentials", headers=listener.auth).status_code == 404
    assert client.post("/api/v1/me/subsonic-credentials").status_code == 401


BAD_INPUT: list[tuple[str, str, dict[str, Any], int]] = [
    ("missing u", "ping", {"u": None}, 10),
    ("missing v", "ping", {"v": None}, 10),
    ("missing c", "ping", {"c": None}, 10),
    ("missing token and password", "ping", {"t": None, "s": None}, 10),
    ("missing salt", "ping", {"s": None}, 10),
    ("wrong token", "ping", {"t": "f" * 32}, 40),
    ("unknown user", "ping", {"u": "nobody@example.com"}, 40),
    ("token not ASCII", "ping", {"t": "é" * 32}, 40),
    ("salt not ASCII", "ping", {"s": "sél"}, 40),
    ("password not ASCII", "ping", {"t": None, "s": None, "p": "pässwörd"}, 40),
    ("unknown API key", "ping", {"u": None, "t": None, "s": None, "apiKey": "nope"}, 44),
    ("token and password", "ping", {"p": "x"}, 43),
    ("apiKey and u", "ping", {"apiKey": "k"}, 43),
    ("bad enc: password", "ping", {"t": None, "s": None, "p": "enc:zz"}, 40),
    ("version 2", "ping", {"v": "2.0.0"}, 30),
    ("version 0", "ping", {"v": "0.9"}, 20),
    ("not a version", "ping", {"v": "latest"}, 0),
    ("unknown method", "getVideos", {}, 0),
    ("unknown song", "getSong", {"id": "nope"}, 70),
    ("unknown album", "getAlbum", {"id": "nope"}, 70),
    ("unknown artist", "getArtist", {"id": "nope"}, 70),
    ("missing id", "getSong", {}, 10),
    ("bad number", "getAlbumList2", {"type": "newest", "size": "ten"}, 0),
    ("negative offset", "getAlbumList2", {"type": "newest", "offset": "-1"}, 0),
    ("number too long", "search3", {"query": "a", "songOffset": "9" * 40}, 0),
    ("unknown list type", "getAlbumList2", {"type": "loudest"}, 0),
    ("byYear without years", "getAlbumList2", {"type": "byYear"}, 10),
    ("byGenre without genre", "getAlbumList2", {"type": "byGenre"}, 10),
    ("rating out of range", "setRating", {"id": "x", "rating": 9}, 0),
    ("star nothing", "star", {}, 10),
    ("star unknown", "star", {"id": "nope"}, 70),
    ("scrobble unknown", "scrobble", {"id": "nope"}, 70),
    ("bad boolean", "scrobble", {"id": "nope", "submission": "maybe"}, 0),
    ("another user", "getUser", {"username": "someone@example.com"}, 50),
    ("playlist of nobody", "getPlaylist", {"id": "nope"}, 70),
    ("stream unknown", "stream", {"id": "nope"}, 70),
    ("cover unknown", "getCoverArt", {"id": "nope"}, 70),
]


@pytest.mark.parametrize(
    ("case", "method", "change", "code"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_gets_the_protocols_error(
    client: TestClient,
    auth: dict[str, str],
    case: str,
    method: str,
    change: dict[str, Any],
    code: int,
) -> None:
    params = {**auth, **change}
    params = {k: v for k, v in params.items() if v is not None}
    assert error_of(client, method, params) == code, case


def test_huge_counts_are_brought_down(
    client: TestClient, seeded: Seeded, auth: dict[str, str]
) -> None:
    found = xml_ok(
        client, "search3", {**auth, "query": "", "songCount": 10**12, "artistCount": 10**9}
    )
    assert len(found["searchResult3"]["song"]) == 4
    listed = xml_ok(
        client, "getAlbumList2", {**auth, "type": "newest", "size": 10**15, "offset": 10**9}
    )
    assert not listed["albumList2"]


@pytest.mark.parametrize("callback", ["alert(1)//", "a;b", "x y", "1abc", "<script>", "a" * 300])
def test_a_jsonp_callback_must_be_an_identifier(
    client: TestClient, auth: dict[str, str], callback: str
) -> None:
    answer = call(client, "ping", {**auth, "f": "jsonp", "callback": callback})
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["subsonic-response"]["error"]["code"] == 0
    assert not answer.text.startswith(callback[:3])
    missing = call(client, "ping", {**auth, "f": "jsonp"})
    assert missing.json()["subsonic-response"]["error"]["code"] == 10


def test_deprecated_methods_are_gone(client: TestClient, auth: dict[str, str]) -> None:
    answer = client.get("/rest/search.view", params=auth)
    assert answer.status_code == 410


def test_api_keys_only_when_passwords_are_off(make_services: Any, tmp_path: Path) -> None:
    from encore.api.app import create_app

    services = make_services(subsonic_password_auth=False)
    with TestClient(create_app(services)) as client:
        listener = Listener(client, "key@example.com")
        login = subsonic_login(client, listener.auth)
        params = token_params(login["username"], login["password"])
        assert error_of(client, "ping", params) == 41
        plain = {"u": login["username"], "p": login["password"], "v": "1.16.1", "c": "t"}
        assert error_of(client, "ping", plain) == 42
        by_key = {"apiKey": login["api_key"], "v": "1.16.1", "c": "t", "f": "json"}
        assert call(client, "ping", by_key).json()["subsonic-response"]["status"] == "ok"


def test_form_posts_are_read_and_bad_bodies_refused(
    client: TestClient, auth: dict[str, str]
) -> None:
    posted = client.post("/rest/ping.view", data={**auth, "f": "json"})
    assert posted.json()["subsonic-response"]["status"] == "ok"
    broken = client.post(
        "/rest/ping.view",
        content=b"--xx\r\nContent-Disposition: form-data\r\n\r\nnope",
        headers={"content-type": "multipart/form-data; boundary=xx"},
    )
    assert broken.status_code == 200
    assert 'code="0"' in broken.text


def test_cover_art_whole_and_at_a_size(
    client: TestClient, services: Services, seeded: Seeded, auth: dict[str, str]
) -> None:
    whole = client.get("/rest/getCoverArt", params={**auth, "id": seeded.album_id})
    assert whole.status_code == 200 and whole.headers["content-type"] == "image/jpeg"
    assert jpeg_size(whole.content) == (600, 400)
    for item in (seeded.album_id, seeded.track_ids[0]):
        small = client.get("/rest/getCoverArt", params={**auth, "id": item, "size": 100})
        assert small.status_code == 200, small.text
        assert jpeg_size(small.content) == (128, 85)  # the 128 px size, aspect kept
    assert services.media.stat("covers/128/night-tides.jpg") is not None
    huge = client.get("/rest/getCoverArt", params={**auth, "id": seeded.album_id, "size": 5000})
    assert jpeg_size(huge.content) == (600, 400)  # never larger than the original


def test_scrobbles_with_times_count_once(
    client: TestClient, services: Services, seeded: Seeded, auth: dict[str, str], listener: Listener
) -> None:
    import time

    now_ms = int(time.time() * 1000)
    songs = seeded.track_ids[:2]
    params = {**auth, "id": songs, "time": [now_ms - 60_000, now_ms]}
    assert (
        call(client, "scrobble", {**params, "f": "json"}).json()["subsonic-response"]["status"]
        == "ok"
    )
    assert (
        call(client, "scrobble", {**params, "f": "json"}).json()["subsonic-response"]["status"]
        == "ok"
    )
    assert error_of(client, "scrobble", {**auth, "id": songs, "time": [now_ms]}) == 0
    services.pipeline.catch_up()
    played = client.get("/api/v1/me/player/recently-played", headers=listener.auth).json()
    assert sorted(item["track"]["id"] for item in played["items"]) == sorted(songs)


def test_players_without_vorbis_get_mp3_made_on_the_fly(
    client: TestClient, seeded: Seeded, auth: dict[str, str]
) -> None:
    import subprocess

    from encore.adapters.audio.ffmpeg import find_ffmpeg

    answer = stream(client, auth, seeded.track_ids[0], format="mp3", maxBitRate=128)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "audio/mpeg"
    probe = subprocess.run(
        [str(find_ffmpeg()), "-hide_banner", "-i", "pipe:0", "-f", "null", "-"],
        input=answer.content,
        capture_output=True,
        check=True,
    )
    assert b"Audio: mp3" in probe.stderr
    assert b"96 kb/s" in probe.stderr  # the nearest rung below 128, in mp3


def _now_playing(client: TestClient, params: dict[str, str]) -> list[tuple[str, str]]:
    entries = xml_ok(client, "getNowPlaying", params)["nowPlaying"].get("entry", [])
    return [(e["@id"], e["@username"]) for e in entries]


def _playing(client: TestClient, params: dict[str, str], track_id: str) -> None:
    answer = call(client, "scrobble", {**params, "id": track_id, "submission": "false"})
    assert 'status="ok"' in answer.text


def test_now_playing_shows_the_servers_listeners_by_display_name(
    client: TestClient,
    seeded: Seeded,
    auth: dict[str, str],
    login: dict[str, str],
    listener: Listener,
) -> None:
    bob = Listener(client, "bob@example.com")
    bob_user, bob_password = _login_pair(client, bob)
    bob_auth = token_params(bob_user, bob_password)
    _playing(client, bob_auth, seeded.track_ids[1])
    _playing(client, auth, seeded.track_ids[0])
    # Latest first; others by their display names (never by the e-mail they sign in with), the
    # caller by the name they sign in with.
    assert _now_playing(client, bob_auth) == [
        (seeded.track_ids[0], _display_name(client, listener)),
        (seeded.track_ids[1], bob_user),
    ]
    assert _now_playing(client, auth) == [
        (seeded.track_ids[0], login["username"]),
        (seeded.track_ids[1], _display_name(client, bob)),
    ]
    assert "@" not in _display_name(client, bob)


def test_now_playing_can_stay_private(make_services: Any, tmp_path: Path) -> None:
    from encore.api.app import create_app

    services = make_services(subsonic_now_playing="own")
    seeded = seed(services, tmp_path)
    with TestClient(create_app(services)) as client:
        ada, bob = Listener(client, "ada@example.com"), Listener(client, "bob@example.com")
        ada_auth = token_params(*_login_pair(client, ada))
        bob_auth = token_params(*_login_pair(client, bob))
        _playing(client, ada_auth, seeded.track_ids[0])
        _playing(client, bob_auth, seeded.track_ids[1])
        assert [track for track, _ in _now_playing(client, ada_auth)] == [seeded.track_ids[0]]
        assert [track for track, _ in _now_playing(client, bob_auth)] == [seeded.track_ids[1]]


def _login_pair(client: TestClient, listener: Listener) -> tuple[str, str]:
    login = subsonic_login(client, listener.auth)
    return login["username"], login["password"]


def _display_name(client: TestClient, listener: Listener) -> str:
    name: str = client.get("/api/v1/me", headers=listener.auth).json()["display_name"]
    return name
