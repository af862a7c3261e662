"""A real Subsonic client library (py-sonic) against a real `encore serve`: sign in, browse
artists to an album to a song, search with a typo, play a song and decode it, make a playlist,
scrobble, star. py-sonic posts its parameters as a form (OpenSubsonic `formPost`)."""

import json
import struct
import subprocess
import urllib.request
from pathlib import Path

import libsonic

from encore.adapters.audio.ffmpeg import find_ffmpeg
from encore.bootstrap import bootstrap
from encore.config import load_settings
from tests.e2e.conftest import PASSWORD
from tests.e2e.running import running_encore
from tests.e2e.subsonic_fixture import seed


def _post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    request = urllib.request.Request(url, body, headers=headers, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310  # our own server
        found: dict[str, str] = json.load(answer)
        return found


def _sign_up(base: str) -> dict[str, str]:
    user = {"email": "dsub@example.com", "password": PASSWORD, "country": "SE"}
    _post(f"{base}/api/v1/users", json.dumps(user).encode(), {"Content-Type": "application/json"})
    form = f"grant_type=password&username=dsub%40example.com&password={PASSWORD.replace(' ', '+')}"
    tokens = _post(
        f"{base}/api/v1/auth/token",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    return _post(
        f"{base}/api/v1/me/subsonic-credentials",
        b"",
        {"Authorization": f"Bearer {tokens['access_token']}"},
    )


def _first_second(audio: bytes) -> bytes:
    """The first second decoded to 8 kHz mono 16-bit samples."""
    decoded = subprocess.run(
        [
            str(find_ffmpeg()),
            "-v",
            "error",
            "-i",
            "pipe:0",
            "-t",
            "1",
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            "8000",
            "pipe:1",
        ],
        input=audio,
        capture_output=True,
        check=True,
    )
    return decoded.stdout


def test_a_subsonic_client_browses_plays_and_collects(tmp_path: Path) -> None:
    data = tmp_path / "instance"
    services = bootstrap(load_settings(data_dir=data))
    seeded = seed(services, tmp_path)
    services.close()
    with running_encore(data) as server:
        base = f"http://127.0.0.1:{server.port}"
        login = _sign_up(base)
        client = libsonic.Connection(
            "http://127.0.0.1", login["username"], login["password"], port=server.port
        )
        assert client.ping()

        index = client.getArtists()["artists"]["index"]
        artists = [a for i in index for a in i["artist"]]
        assert [a["name"] for a in artists] == ["Harbour Lights"]
        artist = client.getArtist(artists[0]["id"])["artist"]
        assert [a["name"] for a in artist["album"]] == ["Night Tides"]
        album = client.getAlbum(artist["album"][0]["id"])["album"]
        songs = album["song"]
        assert [s["title"] for s in songs][:3] == ["Midnight Harbour", "Silver Rain", "Open Road"]
        song = client.getSong(songs[0]["id"])["song"]
        assert (song["title"], song["suffix"], song["bitRate"]) == ("Midnight Harbour", "ogg", 160)

        found = client.search3("midnite harbor")["searchResult3"]
        assert found["song"][0]["id"] == seeded.track_ids[0]

        played = client.stream(song["id"]).read()
        samples = _first_second(played)
        assert len(samples) == 16_000  # one second at 8 kHz, 2 bytes each
        values = struct.unpack(f"<{len(samples) // 2}h", samples)
        assert max(abs(v) for v in values) > 1_000  # a tone, not silence

        made = client.createPlaylist(name="Harbour", songIds=seeded.track_ids[:2])["playlist"]
        listed = client.getPlaylists()["playlists"]["playlist"]
        assert [p["id"] for p in listed] == [made["id"]]
        playlist = client.getPlaylist(made["id"])["playlist"]
        assert [e["id"] for e in playlist["entry"]] == seeded.track_ids[:2]

        assert client.scrobble(song["id"], submission=False)
        now = client.getNowPlaying()["nowPlaying"]["entry"]
        assert [e["id"] for e in now] == [song["id"]]
        assert client.scrobble(song["id"])

        assert client.star(sids=[song["id"]], albumIds=[album["id"]])
        starred = client.getStarred2()["starred2"]
        assert [s["id"] for s in starred["song"]] == [song["id"]]
        assert [a["id"] for a in starred["album"]] == [album["id"]]
        assert client.unstar(sids=[song["id"]])
        assert "song" not in client.getStarred2()["starred2"]
