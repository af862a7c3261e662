"""Faults in the browser: a track that fails to load is skipped with a message, an expired
stream URL is refreshed without skipping, the server out of reach or not answering is said, an
expired session goes back to sign-in keeping the queue, and a save for offline cut off by the
network says so and resumes when the connection returns."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import HARNESS, DemoServer
from tests.browser.test_player import EMAIL, Api, _advances, _playing_id

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def api(demo_server: DemoServer) -> Iterator[Api]:
    made = Api(demo_server)
    yield made
    made.client.close()


def _sign_in(page: Any, server: DemoServer) -> None:
    page.fill("#signin-email", EMAIL)
    page.fill("#signin-password", server.passwords[EMAIL])
    page.click("form.signin button[type=submit]")


@pytest.fixture
def page(chromium: Any, demo_server: DemoServer) -> Iterator[Any]:
    context = chromium.new_context(**HARNESS)
    made = context.new_page()
    errors: list[str] = []
    made.on("pageerror", lambda error: errors.append(str(error)))
    made.goto(demo_server.url)
    _sign_in(made, demo_server)
    made.wait_for_selector("section.home")
    yield made
    context.close()
    assert not errors, errors


def _open(page: Any, hash_: str) -> None:
    page.goto(page.url.split("#")[0] + hash_)


def test_a_track_that_fails_to_load_is_skipped_with_a_message(page: Any, api: Api) -> None:
    items = api.playlist("Night Drive")["tracks"]["items"]
    broken, after = items[0]["track"], items[1]["track"]
    page.route(f"**/audio/**/{broken['id']}/**", lambda route: route.fulfill(status=404))
    _open(page, f"#/playlist/{api.playlist('Night Drive')['id']}")
    page.click("section.playlist .actions button.primary")
    page.wait_for_selector(f"#toast:has-text('play \"{broken['name']}\"')")
    assert "Skipped" in page.inner_text("#toast")
    _advances(page)
    assert _playing_id(page) == after["id"]


def test_an_expired_stream_url_is_refreshed_and_the_track_plays(page: Any, api: Api) -> None:
    track = api.playlist("Night Drive")["tracks"]["items"][0]["track"]
    refused: list[str] = []

    def expire_once(route: Any) -> None:
        if not refused:
            refused.append(route.request.url)
            route.fulfill(status=403, body="expired")
        else:
            route.continue_()

    page.route(f"**/audio/**/{track['id']}/**", expire_once)
    _open(page, f"#/playlist/{api.playlist('Night Drive')['id']}")
    page.click("section.playlist .actions button.primary")
    _advances(page)
    assert refused
    assert _playing_id(page) == track["id"]
    assert page.locator("#toast:has-text('Couldn')").count() == 0


def test_the_server_out_of_reach_is_said(page: Any) -> None:
    page.route("**/api/v1/search**", lambda route: route.abort("connectionrefused"))
    _open(page, "#/search")
    page.fill("#search-input", "anything")
    page.wait_for_selector("section.search [role=status]:has-text('Search failed')")
    assert "cannot be reached" in page.inner_text("section.search [role=status]")
    page.fill("#search-input", "anything at all")  # the page still answers
    page.wait_for_selector("section.search [role=status]:has-text('Search failed')")


def test_a_server_that_does_not_answer_is_said_and_the_page_goes_on(page: Any) -> None:
    held: list[Any] = []  # requests the "server" never answers
    page.route("**/api/v1/search**", lambda route: held.append(route))
    try:
        _open(page, "#/search")
        page.fill("#search-input", "anything")
        # The page is not frozen while the search hangs: another page opens and answers.
        page.evaluate("location.hash = '#/liked'")
        page.wait_for_selector("#main h1:has-text('Liked Songs')")
        page.evaluate("location.hash = '#/search'")
        page.fill("#search-input", "anything again")
        status = "section.search [role=status]:has-text('took too long')"
        page.wait_for_selector(status, timeout=20_000)
        assert held, "the search never reached the server"
    finally:
        page.unroute_all(behavior="ignoreErrors")


def test_an_expired_session_goes_back_to_sign_in_keeping_the_queue(
    page: Any, api: Api, demo_server: DemoServer
) -> None:
    _open(page, f"#/playlist/{api.playlist('Night Drive')['id']}")
    page.click("section.playlist .actions button.primary")
    _advances(page)
    queued = _playing_id(page)
    page.evaluate(
        """() => localStorage.setItem('encore.session', JSON.stringify(
             {access_token: 'expired', refresh_token: 'revoked', expires_at: 0}))"""
    )
    _open(page, "#/liked")
    page.wait_for_selector("form.signin")
    assert "Your queue is kept" in page.inner_text("body")
    _sign_in(page, demo_server)
    page.wait_for_selector("section.liked")
    assert _playing_id(page) == queued


def test_a_network_drop_while_saving_for_offline_says_so_and_resumes(page: Any, api: Api) -> None:
    playlist = api.playlist("Road Trip Together")
    page.route("**/audio/**", lambda route: route.abort("internetdisconnected"))
    _open(page, f"#/playlist/{playlist['id']}")
    page.click(".offline-button")
    status = page.locator(".offline-status[data-state='interrupted']")
    status.wait_for()
    assert "Connection lost" in status.inner_text()
    assert "resumes when you are back online" in status.inner_text()
    page.unroute("**/audio/**")
    page.context.set_offline(True)
    page.context.set_offline(False)  # the connection returns: the save goes on by itself
    page.wait_for_selector(".offline-status[data-state='saved']", timeout=30_000)


def test_adaptive_quality_steps_down_on_a_stall_and_back_up_on_recovery(page: Any) -> None:
    steps = page.evaluate(
        """async () => {
          const { AdaptiveQuality } = await import('/static/js/quality.js');
          let now = 0;
          const adaptive = new AdaptiveQuality({ product: 'premium', now: () => now });
          const seen = [adaptive.pick()];              // nothing measured yet: high
          adaptive.sample(1_000_000, 100);             // 80,000 kbit/s: the plan's best
          seen.push(adaptive.pick());
          seen.push(adaptive.stalled('lossless'));     // a stall: one rung down
          seen.push(adaptive.stalled('very_high'));    // another: one more
          adaptive.sample(1_000_000, 100);             // fast again, but within the hold
          seen.push(adaptive.pick());
          now += 31_000;                               // after the hold, recovery lifts the cap
          adaptive.sample(1_000_000, 100);
          seen.push(adaptive.pick());
          adaptive.sample(1_000_000, 100);
          seen.push(adaptive.pick());
          const slow = new AdaptiveQuality({ product: 'premium', now: () => now });
          slow.sample(100_000, 1000);                  // 800 kbit/s: 320 kbps fits, FLAC not
          seen.push(slow.pick());
          const free = new AdaptiveQuality({ product: 'free', now: () => now });
          free.sample(1_000_000, 100);
          seen.push(free.pick());                      // the free plan stops at high
          return seen;
        }"""
    )
    assert steps == [
        "high",
        "lossless",
        "very_high",
        "high",
        "high",
        "very_high",
        "lossless",
        "very_high",
        "high",
    ]
