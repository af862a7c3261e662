"""The player under its own Content-Security-Policy (the other browser tests bypass it): sign
in, search, play, and visit every page with not one violation and not one page error."""

import time
from typing import Any

import pytest

from encore.demo.repertoire import all_pieces
from tests.browser.conftest import DemoServer
from tests.browser.test_player import EMAIL

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PAGES = ["#/", "#/search", "#/library", "#/liked", "#/wrapped", "#/settings"]


def test_the_player_runs_under_its_policy(chromium: Any, demo_server: DemoServer) -> None:
    context = chromium.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: violations.append(str(error)))
    answer = page.goto(demo_server.url)
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    page.fill("#signin-email", EMAIL)
    page.fill("#signin-password", demo_server.passwords[EMAIL])
    page.click("form.signin button[type=submit]")
    page.wait_for_selector("h1:has-text('Good to hear you')")
    page.keyboard.press("/")
    page.fill("#search-input", all_pieces()[0].title.lower())
    first = page.locator("#group-tracks ~ .tracks .track-play").first
    first.wait_for()
    first.click()
    # Polled from here: Playwright's own waits on a JavaScript condition need eval.
    deadline = time.monotonic() + 15
    while page.evaluate("window.encore.player.audio.currentTime") < 0.3:
        assert time.monotonic() < deadline, "the audio did not play"
        time.sleep(0.1)
    for route in PAGES:
        page.goto(demo_server.url + "/" + route)
        page.wait_for_selector("#main > *")
    context.close()
    assert not violations, violations
