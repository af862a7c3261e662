"""The web player in Chromium against a real server with the demo: sign in, search with a typo
and play, skip, add to a playlist, reorder, Discover Weekly, plays made offline synced later."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from encore.demo.repertoire import all_pieces
from tests.browser.conftest import HARNESS, SMALL_DEMO, DemoServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
EMAIL = "premium@demo.encore"


def _typo(title: str) -> str:
    """The title with one letter of its longest word dropped: a typo search must forgive."""
    words = title.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    words[longest] = word[: len(word) // 2] + word[len(word) // 2 + 1 :]
    return " ".join(words).lower()


class Api:
    """The API as one demo user, to compare what the page shows with what the server says."""

    def __init__(self, server: DemoServer, email: str = EMAIL) -> None:
        self.client = httpx.Client(base_url=server.url, timeout=10)
        tokens = self.client.post(
            "/api/v1/auth/token",
            data={"grant_type": "password", "username": email, "password": server.passwords[email]},
        )
        tokens.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"

    def get(self, path: str) -> Any:
        answer = self.client.get(path)
        answer.raise_for_status()
        return answer.json()

    def playlist(self, name: str) -> dict[str, Any]:
        page = self.get("/api/v1/me/playlists?limit=50")
        found = next(p for p in page["items"] if p["name"] == name)
        return self.get(f"/api/v1/playlists/{found['id']}")  # type: ignore[no-any-return]

    def plays_since(self, since: datetime) -> int:
        page = self.get("/api/v1/me/player/recently-played?limit=50")
        return sum(
            datetime.fromisoformat(item["played_at"].replace("Z", "+00:00")) >= since
            for item in page["items"]
        )


@pytest.fixture(scope="module")
def api(demo_server: DemoServer) -> Iterator[Api]:
    made = Api(demo_server)
    yield made
    made.client.close()


@pytest.fixture(scope="module")
def page(chromium: Any, demo_server: DemoServer) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, **HARNESS)
    made = context.new_page()
    errors: list[str] = []
    made.on("pageerror", lambda error: errors.append(str(error)))
    made.goto(demo_server.url)
    made.fill("#signin-email", EMAIL)
    made.fill("#signin-password", demo_server.passwords[EMAIL])
    made.click("form.signin button[type=submit]")
    made.wait_for_selector("h1:has-text('Good to hear you')")
    yield made
    context.close()
    assert not errors, errors


def _time(page: Any) -> float:
    return float(page.evaluate("window.encore.player.audio.currentTime"))


def _playing_id(page: Any) -> str:
    return str(page.evaluate("window.encore.player.track && window.encore.player.track.id"))


def _advances(page: Any) -> None:
    page.wait_for_function("window.encore.player.audio.currentTime > 0.3", timeout=15_000)
    first = _time(page)
    page.wait_for_function(
        f"window.encore.player.audio.currentTime > {first + 0.3}", timeout=15_000
    )


def test_search_with_a_typo_and_play_the_first_result(page: Any, artifacts: Path) -> None:
    page.screenshot(path=str(artifacts / "home.png"), full_page=True)
    title = all_pieces()[0].title
    page.keyboard.press("/")
    page.fill("#search-input", _typo(title))
    first = page.locator("#group-tracks ~ .tracks .track-play").first
    first.wait_for()
    assert title in first.inner_text()
    page.screenshot(path=str(artifacts / "search.png"))
    first.click()
    _advances(page)
    assert page.inner_text("#quality").strip()  # the chosen quality is shown


def test_play_a_playlist_and_skip(page: Any, api: Api, artifacts: Path) -> None:
    playlist = api.playlist("Night Drive")
    page.goto(page.url.split("#")[0] + f"#/playlist/{playlist['id']}")
    page.click("section.playlist .actions button.primary")
    _advances(page)
    before = _playing_id(page)
    assert before == playlist["tracks"]["items"][0]["track"]["id"]
    page.screenshot(path=str(artifacts / "playlist.png"))
    page.click("#next")
    page.wait_for_function(f"window.encore.player.track.id !== '{before}'")
    _advances(page)
    second = playlist["tracks"]["items"][1]["track"]
    assert _playing_id(page) == second["id"]
    # The lock screen knows what plays; space pauses and plays again.
    assert page.evaluate("navigator.mediaSession.metadata.title") == second["name"]
    page.focus("#main")
    page.keyboard.press(" ")
    page.wait_for_function("window.encore.player.audio.paused")
    page.keyboard.press(" ")
    _advances(page)
    page.click("#queue-button")
    page.screenshot(path=str(artifacts / "queue.png"))
    page.click("#queue-button")


def test_reorder_the_queue(page: Any, api: Api) -> None:
    items = [item["track"] for item in api.playlist("Night Drive")["tracks"]["items"]]
    page.goto(page.url.split("#")[0] + f"#/playlist/{api.playlist('Night Drive')['id']}")
    page.click("section.playlist .actions button.primary")
    _advances(page)
    page.click("#queue-button")
    upcoming = "window.encore.player.upcoming().map((t) => t.id)"
    assert page.evaluate(upcoming) == [t["id"] for t in items[1:3]]
    page.click(f"#queue-panel button[aria-label='Move {items[2]['name']} up']")
    assert page.evaluate(upcoming) == [items[2]["id"], items[1]["id"]]
    rows = page.locator("#queue-panel .queue-item")
    rows.nth(0).drag_to(rows.nth(1))  # and back, by dragging
    assert page.evaluate(upcoming) == [items[1]["id"], items[2]["id"]]
    page.click("#next")
    page.wait_for_function(f"window.encore.player.track.id === '{items[1]['id']}'")
    page.click("#queue-button")


def test_add_a_track_to_a_playlist_from_its_menu(page: Any, api: Api) -> None:
    playlist = api.playlist("Night Drive")
    before = playlist["tracks"]["total"]
    title = all_pieces()[SMALL_DEMO.pieces - 1].title
    page.goto(page.url.split("#")[0] + f"#/search/{title}")
    row = page.locator("#group-tracks ~ .tracks .track").first
    row.wait_for()
    row.locator(".track-more").click()
    page.locator(".menu button", has_text="Night Drive").click()
    page.wait_for_selector("#toast:has-text('Added')")
    after = api.playlist("Night Drive")
    assert after["tracks"]["total"] == before + 1
    assert after["tracks"]["items"][-1]["track"]["name"] == title


def test_reorder_a_playlist_by_dragging(page: Any, api: Api) -> None:
    playlist = api.playlist("Night Drive")
    order = [item["track"]["id"] for item in playlist["tracks"]["items"]]
    page.goto(page.url.split("#")[0] + f"#/playlist/{playlist['id']}")
    rows = page.locator("section.playlist .track")
    rows.nth(2).wait_for()
    rows.nth(0).drag_to(rows.nth(2))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = [item["track"]["id"] for item in api.playlist("Night Drive")["tracks"]["items"]]
        if now != order:
            break
        time.sleep(0.2)
    assert now == [order[1], order[2], order[0], *order[3:]]


def test_discover_weekly_opens(page: Any, api: Api, artifacts: Path) -> None:
    mix = api.get("/api/v1/playlists/discover-weekly")
    page.goto(page.url.split("#")[0] + "#/playlist/discover-weekly")
    # The page lists what the server made, and says what it is made from. Only tracks with
    # audio are recommended: in this small demo, those of its few pieces not played lately.
    page.wait_for_selector("section.discover .mix-source")
    rows = page.locator("section.discover ol.tracks .track-name")
    assert rows.count() == len(mix["tracks"])
    if not mix["tracks"]:
        assert page.locator("section.discover ol.tracks li.empty").count() == 1
    assert all(item.get("track", item)["streamable"] for item in mix["tracks"])
    source = page.get_attribute("section.discover .mix-source", "data-source")
    assert source == mix.get("source", "model")
    page.screenshot(path=str(artifacts / "discover-weekly.png"))


def test_plays_made_offline_are_synced_when_back_online(page: Any, api: Api) -> None:
    playlist = api.playlist("Night Drive")
    page.goto(page.url.split("#")[0] + f"#/playlist/{playlist['id']}")
    page.click(".offline-button")
    page.wait_for_selector(".offline-status[data-state='saved']", timeout=30_000)
    # The play under way ends here, online, so that only the plays below are made offline.
    page.evaluate("window.encore.player.audio.pause(); window.encore.player.closePlay('skipped')")
    page.wait_for_selector("#banner[data-pending='0']", state="attached")
    since = datetime.now(UTC)
    page.context.set_offline(True)
    try:
        page.wait_for_selector("#banner:has-text('offline')")
        page.click("section.playlist .actions button.primary")
        _advances(page)
        assert page.inner_text("#quality") == "Offline copy"
        page.click("#next")
        _advances(page)
        page.click("#next")  # two plays closed by a skip
        _advances(page)
        # Three starts and the two skips that closed two plays wait in IndexedDB.
        page.wait_for_selector("#banner[data-pending='5']")
        assert api.plays_since(since) == 0
    finally:
        page.context.set_offline(False)
    page.wait_for_selector("#banner[data-pending='0']", state="attached", timeout=15_000)
    deadline = time.monotonic() + 15
    while api.plays_since(since) < 2 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert api.plays_since(since) == 2


def test_main_pages_render(page: Any, artifacts: Path, api: Api) -> None:
    base = page.url.split("#")[0]
    track = api.playlist("Night Drive")["tracks"]["items"][0]["track"]
    for name, hash_, ready in [
        ("album", f"#/album/{track['album']['id']}", "section.album"),
        ("artist", f"#/artist/{track['artists'][0]['id']}", "section.artist"),
        ("liked", "#/liked", "section.liked"),
        ("library", "#/library", "section.library .cards"),
        ("wrapped", "#/wrapped", "section.wrapped .loading:not([aria-busy])"),
        ("settings", "#/settings", "section.settings"),
    ]:
        page.goto(base + hash_)
        page.wait_for_selector(ready)
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "#/")
    page.wait_for_selector("section.home")
    page.screenshot(path=str(artifacts / "phone-home.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_settings_hand_out_a_subsonic_password_that_signs_an_app_in(page: Any) -> None:
    base = page.url.split("#")[0]
    page.goto(base + "#/settings")
    page.click("text=Create or rotate Subsonic password")
    page.wait_for_selector("section.settings .subsonic code.secret")
    username = page.inner_text(".subsonic code.username").removeprefix("username ").strip()
    password = page.inner_text(".subsonic code.secret").removeprefix("password ").strip()
    api_key = page.inner_text(".subsonic code.api-key").removeprefix("API key ").strip()
    common = {"v": "1.16.1", "c": "browser-test", "f": "json"}
    for credentials in ({"u": username, "p": password}, {"apiKey": api_key}):
        answer = httpx.get(f"{base}rest/ping.view", params={**common, **credentials}).json()
        assert answer["subsonic-response"]["status"] == "ok"
    # Revoked from the same page: the app is signed out.
    page.click("text=Revoke")
    page.wait_for_selector("text=Subsonic access revoked.")
    answer = httpx.get(f"{base}rest/ping.view", params={**common, "u": username, "p": password})
    assert answer.json()["subsonic-response"]["error"]["code"] == 40
