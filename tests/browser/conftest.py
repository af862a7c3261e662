"""A small demo served on a free port, and Debian's Chromium driven by Playwright.

The demo is built once per session (a few pieces, a small catalog and few listeners: what the
player needs, in well under a minute); the server runs as a real `encore serve` process.
"""

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from encore.bootstrap import bootstrap
from encore.config import load_settings
from encore.demo.build import Demo, DemoOptions
from tests.e2e.conftest import FAST_PASSWORDS
from tests.e2e.running import running_encore
from tests.servers import require_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
# Kept after the run (CI collects this folder); ENCORE_TEST_ARTIFACTS puts it elsewhere.
ARTIFACTS = (
    Path(
        os.environ.get(
            "ENCORE_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"
        )
    )
    / "browser"
)
# The tests wait on conditions written as JavaScript strings, which Playwright evaluates with
# eval: the player's Content-Security-Policy forbids that, so their contexts bypass it.
# test_player_csp.py runs the player under the policy itself.
HARNESS = {"bypass_csp": True}
SMALL_DEMO = DemoOptions(pieces=4, listeners=4, catalog_size=100, weeks=2, jobs=2)


@dataclass(frozen=True)
class DemoServer:
    url: str
    data: Path
    passwords: dict[str, str]


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    # While working on the player: ENCORE_BROWSER_DEMO=URL,DATA points the tests at a demo
    # already served (`encore demo` into DATA, `encore serve` at URL) instead of building one.
    reuse = os.environ.get("ENCORE_BROWSER_DEMO")
    if reuse:
        url, folder = reuse.split(",", 1)
        saved = (Path(folder) / "demo" / "credentials.json").read_text(encoding="utf-8")
        yield DemoServer(url.rstrip("/"), Path(folder), json.loads(saved))
        return
    data = tmp_path_factory.mktemp("player-demo")
    services = bootstrap(load_settings(data_dir=data), passwords=FAST_PASSWORDS)
    try:
        Demo(services, Console(quiet=True)).build(SMALL_DEMO)
    finally:
        services.close()
    passwords = json.loads((data / "demo" / "credentials.json").read_text(encoding="utf-8"))
    # Every test signs in and searches from 127.0.0.1, within minutes: more than one person
    # would, so the sign-in and search limits are raised (the others stay as shipped).
    raised = {"ENCORE_RATE_LIMIT_LOGIN_BURST": "10000", "ENCORE_RATE_LIMIT_SEARCH_BURST": "10000"}
    with running_encore(data, env=raised) as server:
        yield DemoServer(f"http://127.0.0.1:{server.port}", data, passwords)


# Per module, not per session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, which would break every later test that runs a loop of its own.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        require_server("Chromium", f"{CHROMIUM} is missing; install Debian's `chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
