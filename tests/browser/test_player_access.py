"""Accessibility basics over the main pages (every control named, images described, text
contrast at WCAG AA, a visible focus that moves in reading order), the player on a phone-sized
screen. (The server out of reach, failed tracks and expired sessions: test_player_faults.py.)"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import HARNESS, DemoServer
from tests.browser.test_player import Api, _advances
from tests.browser.test_player_pages import ADMIN, PREMIUM, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What an accessibility checker would flag on the page, as readable lines.
AUDIT = "\n".join(
    line
    for line in (Path(__file__).parent / "audit.js").read_text(encoding="utf-8").splitlines()
    if not line.startswith("//")
)
FOCUS_STATE = """(el) => {
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const name = el.getAttribute('aria-label') || el.textContent || el.id || '';
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  return {
    tag: el.tagName,
    text: name.trim().slice(0, 40),
    ring: outline || style.boxShadow !== 'none',
    visible: box.width > 0 && box.height > 0,
  };
}"""


def _focus_order(page: Any, stops: int) -> list[str]:
    """Tab `stops` times from the top; the problems with where the focus went."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    problems: list[str] = []
    previous = None
    for _ in range(stops):
        page.keyboard.press("Tab")
        stop = page.evaluate_handle("document.activeElement")
        state = page.evaluate(FOCUS_STATE, stop)
        if state["tag"] == "BODY":
            break
        if not state["visible"]:
            problems.append(f"focus on something unseen: {state}")
        if not state["ring"]:
            problems.append(f"no focus ring on {state}")
        if previous is not None:
            follows = page.evaluate(
                "([a, b]) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING)",
                [previous, stop],
            )
            if not follows:
                problems.append(f"focus went back to {state}")
        previous = stop
    return problems


@pytest.fixture
def premium(chromium: Any, demo_server: DemoServer) -> Iterator[Any]:
    page = sign_in(chromium, demo_server, PREMIUM)
    yield page
    page.context.close()
    assert not page.errors, page.errors


def _open(page: Any, hash_: str, ready: str) -> None:
    page.goto(page.url.split("#")[0] + hash_)
    page.wait_for_selector(ready)
    page.wait_for_function("!document.querySelector('#main [aria-busy=true]')")


def _main_pages(demo_server: DemoServer) -> list[tuple[str, str, str]]:
    api = Api(demo_server, PREMIUM)
    try:
        mine = api.get("/api/v1/me/playlists?limit=50")["items"]
        playlist = api.get(f"/api/v1/playlists/{mine[0]['id']}")
    finally:
        api.client.close()
    track = playlist["tracks"]["items"][0]["track"]
    return [
        ("home", "#/", "section.home"),
        ("search", f"#/search/{track['name']}", "#group-tracks ~ .tracks .track"),
        ("playlist", f"#/playlist/{playlist['id']}", "section.playlist .track"),
        ("album", f"#/album/{track['album']['id']}", "section.album"),
        ("artist", f"#/artist/{track['artists'][0]['id']}", "section.artist"),
        ("liked", "#/liked", "section.liked"),
        ("library", "#/library", "section.library .cards"),
        ("discover-weekly", "#/playlist/discover-weekly", "section.discover ol.tracks li"),
        ("wrapped", "#/wrapped", "section.wrapped .stats"),
        ("settings", "#/settings", "section.settings form.profile"),
    ]


def test_the_main_pages_pass_an_accessibility_audit(premium: Any, demo_server: DemoServer) -> None:
    premium.locator("section.home .track-play").first.click()  # the player bar in use too
    _advances(premium)
    found: dict[str, list[str]] = {}
    for name, hash_, ready in _main_pages(demo_server):
        _open(premium, hash_, ready)
        problems = premium.evaluate(AUDIT)
        if problems:
            found[name] = problems
    assert not found, found


def test_the_sign_in_and_admin_pages_pass_the_audit(chromium: Any, demo_server: DemoServer) -> None:
    page = chromium.new_context(**HARNESS).new_page()
    page.goto(demo_server.url)
    page.wait_for_selector("form.signin")
    assert page.evaluate(AUDIT) == []
    page.context.close()
    admin = sign_in(chromium, demo_server, ADMIN)
    try:
        _open(admin, "#/admin", "section.admin table.users")
        assert admin.evaluate(AUDIT) == []
    finally:
        admin.context.close()


def test_focus_moves_in_reading_order_with_a_visible_ring(premium: Any) -> None:
    premium.locator("section.home .track-play").first.click()
    _advances(premium)
    # The skip link (the page's first stop) takes the keyboard past the navigation.
    premium.focus(".skip-link")
    focused = premium.evaluate_handle("document.activeElement")
    assert premium.evaluate(FOCUS_STATE, focused)["visible"]  # it comes on screen when focused
    premium.keyboard.press("Enter")
    premium.wait_for_function("document.activeElement.id === 'main'")
    assert "#main" not in premium.url and premium.locator("section.home").count() == 1
    assert _focus_order(premium, 40) == []
    # A track's menu opens from the keyboard and its first item takes the focus.
    premium.locator("section.home .track-more").first.focus()
    premium.keyboard.press("Enter")
    premium.wait_for_selector(".menu [role=menuitem]")
    assert premium.locator(".menu").get_attribute("aria-label", timeout=1000)
    premium.keyboard.press("Escape")
    premium.wait_for_selector(".menu", state="detached")


def test_the_player_works_on_a_phone_sized_screen(
    chromium: Any, demo_server: DemoServer, artifacts: Path
) -> None:
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    page = sign_in(chromium, demo_server, PREMIUM, **phone)
    try:
        page.locator("section.home .track-play").first.tap()
        _advances(page)
        for name, hash_, ready in _main_pages(demo_server):
            _open(page, hash_, ready)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{name} scrolls sideways ({width} px)"
            for control in ("#play-pause", "#next", "#queue-button"):
                box = page.locator(control).bounding_box()
                assert box is not None, f"{control} hidden on {name}"
                assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{control} off screen"
                assert box["y"] + box["height"] <= 844, f"{control} below the screen on {name}"
                assert min(box["width"], box["height"]) >= 24, f"{control} too small to tap"
            page.screenshot(path=str(artifacts / f"phone-{name}.png"))
        # Every page is in reach from the navigation, and the queue opens over the page.
        page.locator("nav.sidebar a", has_text="Settings").tap()
        page.wait_for_selector("section.settings")
        page.locator("#queue-button").tap()
        assert page.locator("#queue-panel").is_visible()
        page.locator("#queue-button").tap()
        page.locator("#play-pause").tap()
        page.wait_for_function("window.encore.player.audio.paused")
    finally:
        page.context.close()
    assert not page.errors, page.errors
