"""The rest of the player's pages in Chromium against the demo: Wrapped with the demo's year,
Daily Mix, Release Radar, radio from a track's menu and skips that move it, settings that move
a listener to another country, a collaborator invited by e-mail, and the admin page."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from encore.demo.build import BLOCKED_PIECE
from encore.demo.repertoire import all_pieces
from tests.browser.conftest import HARNESS, DemoServer
from tests.browser.test_player import Api, _advances, _playing_id

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PREMIUM, FREE, ADMIN = "premium@demo.encore", "free@demo.encore", "admin@demo.encore"


def sign_in(chromium: Any, server: DemoServer, email: str, **context: Any) -> Any:
    page = chromium.new_context(**context, **HARNESS).new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(server.url)
    page.fill("#signin-email", email)
    page.fill("#signin-password", server.passwords[email])
    page.click("form.signin button[type=submit]")
    page.wait_for_selector("section.home")
    return page


@pytest.fixture
def client(demo_server: DemoServer) -> Iterator[Callable[[str], Api]]:
    made: list[Api] = []

    def make(email: str) -> Api:
        made.append(Api(demo_server, email))
        return made[-1]

    yield make
    for one in made:
        one.client.close()


@pytest.fixture
def premium(chromium: Any, demo_server: DemoServer) -> Iterator[Any]:
    page = sign_in(chromium, demo_server, PREMIUM)
    yield page
    page.context.close()
    assert not page.errors, page.errors


def _open(page: Any, hash_: str) -> None:
    page.goto(page.url.split("#")[0] + hash_)


def test_wrapped_shows_the_demo_years_numbers_and_charts(
    premium: Any, demo_server: DemoServer, client: Callable[[str], Api], artifacts: Path
) -> None:
    year = datetime.now(UTC).year
    expected = client(PREMIUM).get(f"/api/v1/me/wrapped?year={year}")
    assert expected["plays"] > 0
    _open(premium, "#/wrapped")
    premium.wait_for_selector("section.wrapped .stats")
    stats = premium.locator("section.wrapped .stat strong").all_inner_texts()
    shown = [int(text.replace(",", "").replace("\u202f", "")) for text in stats]
    assert shown == [
        expected["minutes_listened"],
        expected["plays"],
        expected["distinct_artists"],
    ]
    assert expected["personality"]["name"] in premium.inner_text("section.wrapped h2")
    charts = premium.locator("section.wrapped svg.chart[role=img]")
    assert charts.count() == 5
    top_artists = charts.nth(0)
    assert top_artists.get_attribute("aria-label") == "Top artists by minutes"
    names = top_artists.locator("text.label").all_text_contents()
    assert names == [artist["name"][:28] for artist in expected["top_artists"][:5]]
    # The month chart's bars carry the minutes of each month, and this month's bar is drawn.
    month = datetime.now(UTC).month
    bar = charts.nth(3).locator("rect.bar").nth(month - 1)
    assert float(bar.get_attribute("height") or 0) > 0
    premium.screenshot(path=str(artifacts / "wrapped.png"), full_page=True)


def test_daily_mix_and_release_radar_play_what_the_server_made(
    premium: Any, demo_server: DemoServer, client: Callable[[str], Api]
) -> None:
    api = client(PREMIUM)
    mixes = api.get("/api/v1/me/daily-mixes")["items"]
    card = premium.locator(".mixes .mix").first
    card.wait_for()
    assert premium.locator(".mixes .mix h3").all_inner_texts() == [m["name"] for m in mixes]
    # The mix plays from its first track with audio; tracks known by metadata only are left out
    # of the queue, and a mix with none says so instead of failing track after track.
    audible = [t for t in mixes[0]["tracks"] if t["streamable"]]
    play = card.locator("button.primary")
    if audible:
        play.click()
        _advances(premium)
        assert _playing_id(premium) == audible[0]["id"]
        queued = premium.evaluate("window.encore.player.upcoming().map((t) => t.id)")
        assert queued == [t["id"] for t in audible[1:]]
    else:
        assert play.is_disabled()
        assert "has audio" in card.inner_text()

    radar = api.get("/api/v1/me/release-radar")
    radar_tracks = [item.get("track", item) for item in radar["tracks"]]
    heading = premium.locator("section.home h2", has_text="Release Radar")
    rows = heading.locator("xpath=following-sibling::div[1]").locator("ol.tracks .track-name")
    if radar_tracks:
        rows.first.wait_for()
        assert rows.all_inner_texts() == [t["name"] for t in radar_tracks]
    else:
        premium.wait_for_selector("section.home .loading:not([aria-busy])")
        assert rows.count() == 0


def test_radio_starts_from_a_track_menu_and_skips_reach_the_station(
    premium: Any, demo_server: DemoServer, client: Callable[[str], Api]
) -> None:
    """The player starts a station from a track's menu, asks it for more as it plays, and
    reports a skip with the station as its context, which is what moves the station away
    (`tests/e2e/test_recommend_api.py` shows the station's side)."""
    sent: list[dict[str, Any]] = []
    premium.on(
        "request",
        lambda request: (
            sent.extend(request.post_data_json["events"])
            if request.url.endswith("/api/v1/me/player/events") and request.method == "POST"
            else None
        ),
    )
    seed_title = all_pieces()[0].title
    _open(premium, f"#/search/{seed_title}")
    row = premium.locator("#group-tracks ~ .tracks .track").first
    row.wait_for()
    with premium.expect_request(lambda r: "/next" in r.url and "/api/v1/radio/" in r.url) as more:
        row.locator(".track-more").click()
        premium.locator(".menu button", has_text="Start radio").click()
    assert more.value.response().status == 200
    _advances(premium)
    station = premium.evaluate("window.encore.player.radio.id")
    seed = _playing_id(premium)
    assert premium.inner_text("#now-title").startswith(seed_title)
    queued = premium.evaluate("window.encore.player.upcoming()")
    assert all(track["streamable"] is not False for track in queued)  # nothing silent queued
    # Wait for the skip itself to be sent: the outbox may be empty for a moment before the
    # skip is queued, so an empty outbox alone says nothing.
    with premium.expect_request(
        lambda r: (
            r.url.endswith("/api/v1/me/player/events")
            and r.method == "POST"
            and any(e["type"] == "skipped" for e in r.post_data_json["events"])
        ),
        timeout=15_000,
    ):
        premium.click("#next")
    skips = [e for e in sent if e["type"] == "skipped" and e["track_id"] == seed]
    assert skips and skips[0]["context"] == {"type": "radio", "id": station}


def test_settings_move_the_listener_to_another_country(
    chromium: Any, demo_server: DemoServer, client: Callable[[str], Api]
) -> None:
    """The free demo user lives in Germany, where one piece is not licensed: moving to the UK
    from the settings page makes it play, and moving back refuses it again."""
    page = sign_in(chromium, demo_server, FREE)
    api = client(FREE)
    blocked = all_pieces()[BLOCKED_PIECE].title
    found = api.get(f"/api/v1/search?q={blocked}&type=track&limit=1")["tracks"]["items"][0]
    stream = f"/api/v1/tracks/{found['id']}/stream?quality=low"
    assert api.client.get(stream).status_code == 451
    try:
        _open(page, "#/settings")
        page.wait_for_selector("#country option[value='GB']", state="attached")
        assert page.input_value("#country") == "DE"
        assert page.locator("label[for=country]").inner_text() == "Country"
        page.select_option("#country", "GB")
        page.click("form.profile button[type=submit]")
        page.wait_for_selector("form.profile [role=status]:has-text('United Kingdom')")
        assert api.get("/api/v1/me")["country"] == "GB"
        assert api.client.get(stream).status_code == 200
        # And the player plays it now.
        _open(page, f"#/search/{blocked}")
        page.locator("#group-tracks ~ .tracks .track-play").first.click()
        _advances(page)
        assert _playing_id(page) == found["id"]
        _open(page, "#/settings")
        page.wait_for_selector("#country option[value='DE']", state="attached")
        page.select_option("#country", "DE")
        page.click("form.profile button[type=submit]")
        page.wait_for_selector("form.profile [role=status]:has-text('Germany')")
        assert api.client.get(stream).status_code == 451
    finally:
        api.client.patch("/api/v1/me", json={"country": "DE"})
        page.context.close()
    assert not page.errors, page.errors


def test_a_collaborator_is_invited_by_email(
    premium: Any, demo_server: DemoServer, client: Callable[[str], Api]
) -> None:
    api = client(PREMIUM)
    mine = api.get("/api/v1/me/playlists?limit=50")["items"]
    together = next(p for p in mine if p["collaborative"])
    admin_id = client(ADMIN).get("/api/v1/me")["id"]
    _open(premium, f"#/playlist/{together['id']}")
    premium.wait_for_selector("form.invite")
    assert premium.locator("label[for=invite-user]").inner_text() == "Invite a collaborator"
    premium.fill("#invite-user", "nobody@demo.encore")
    premium.click("form.invite button[type=submit]")
    premium.wait_for_selector("#toast:has-text('Could not invite')")
    assert "e-mail" in premium.inner_text("#toast")
    premium.fill("#invite-user", ADMIN)
    premium.click("form.invite button[type=submit]")
    premium.wait_for_selector("#toast:has-text('Invited Demo Operator')")
    collaborators = api.get(f"/api/v1/playlists/{together['id']}")["collaborators"]
    assert admin_id in {c["id"] for c in collaborators}
    # The invited operator can now add to it.
    added = client(ADMIN).client.post(
        f"/api/v1/playlists/{together['id']}/tracks",
        json={
            "track_ids": [
                api.get(f"/api/v1/playlists/{together['id']}")["tracks"]["items"][0]["track"]["id"]
            ]
        },
    )
    assert added.status_code == 201


def test_the_admin_page_shows_users_plans_imports_and_batch_jobs(
    chromium: Any, demo_server: DemoServer, client: Callable[[str], Api], artifacts: Path
) -> None:
    status = client(ADMIN).get("/api/v1/admin/status")
    page = sign_in(chromium, demo_server, ADMIN)
    try:
        assert page.locator("nav .admin-only").is_visible()
        page.click("nav .admin-only a")
        page.wait_for_selector("section.admin table.users tbody tr")
        page.wait_for_selector("section.admin table.wrapped-years")
        users = page.locator("section.admin table.users tbody tr")
        rows = {
            cells[1]: cells
            for cells in (
                users.nth(i).locator("td").all_inner_texts() for i in range(users.count())
            )
        }
        assert rows[PREMIUM][3:5] == ["premium", "premium"]
        assert rows[FREE][3] == "free"
        assert rows[ADMIN][5] == "yes"
        assert f"{status['users']} accounts" in page.inner_text("section.admin")
        imports = page.inner_text("section.admin dl.imports")
        assert f"Audio files imported\n{status['imports']['imported_files']}" in imports
        assert status["imports"]["imported_files"] >= 4
        consumers = page.locator("section.admin table.consumers tbody tr td:first-child")
        assert set(consumers.all_inner_texts()) == {c["name"] for c in status["consumers"]}
        wrapped = page.locator("section.admin table.wrapped-years tbody tr").first
        year = str(datetime.now(UTC).year)
        assert wrapped.locator("td").first.inner_text() == year
        assert int(wrapped.locator("td").nth(1).inner_text()) > 0
        assert page.locator("section.admin table.batch-runs").count() == 1
        page.screenshot(path=str(artifacts / "admin.png"), full_page=True)
    finally:
        page.context.close()
    assert not page.errors, page.errors


def test_the_admin_page_is_closed_to_listeners(premium: Any) -> None:
    assert not premium.locator("nav .admin-only").is_visible()
    _open(premium, "#/admin")
    premium.wait_for_selector("[role=alert]:has-text('for operators')")
