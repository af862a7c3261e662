"""The origin health checker against real HTTP servers: one that fails, one that is gone."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from encore.adapters.cdn_health import OriginHealthChecker
from encore.streaming.cdn import OriginSelector


class Origin:
    def __init__(self) -> None:
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(owner.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def origins() -> Iterator[tuple[Origin, Origin]]:
    made = Origin(), Origin()
    yield made
    for origin in made:
        origin.close()


def test_a_failing_origin_is_skipped_until_it_recovers(origins: tuple[Origin, Origin]) -> None:
    first, second = origins
    selector = OriginSelector({"eu": [first.url, second.url]})
    checker = OriginHealthChecker(selector, path="/healthz", interval_s=60, failures_to_down=2)
    assert checker.check_once() == {first.url: True, second.url: True}
    first.status = 503
    checker.check_once()
    assert selector.choose("eu") == first.url  # one failure is not enough
    checker.check_once()
    assert selector.choose("eu") == second.url
    first.status = 404  # answering at all, below 500, counts as up
    checker.check_once()
    assert selector.choose("eu") == first.url


def test_an_unreachable_origin_is_marked_down(origins: tuple[Origin, Origin]) -> None:
    first, second = origins
    gone = first.url
    first.close()
    selector = OriginSelector({"us": [gone, second.url]})
    checker = OriginHealthChecker(
        selector, path="healthz", interval_s=0.01, timeout_s=0.5, failures_to_down=1
    )
    checker.start()
    try:
        for _ in range(200):
            if selector.is_down(gone):
                break
            threading.Event().wait(0.01)
    finally:
        checker.stop()
    assert selector.choose("us") == second.url
