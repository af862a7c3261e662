"""Probing the configured edge origins, so that stream URLs avoid one that is down.

Each origin's health path is fetched every `interval_s`; after `failures_to_down` failed probes
in a row (an error, a timeout, a 5xx) it is marked down in the `OriginSelector`, and one good
probe marks it up again. One flaky probe does not move a whole region's listeners.
"""

import logging
import threading
import urllib.error
import urllib.request

from encore.streaming.cdn import OriginSelector

log = logging.getLogger(__name__)


class OriginHealthChecker:
    def __init__(
        self,
        selector: OriginSelector,
        *,
        path: str,
        interval_s: float,
        timeout_s: float = 2.0,
        failures_to_down: int = 2,
    ) -> None:
        self._selector = selector
        self._path = path if path.startswith("/") else f"/{path}"
        self._interval = interval_s
        self._timeout = timeout_s
        self._failures_to_down = failures_to_down
        self._failures: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check_once(self) -> dict[str, bool]:
        """Probe every origin once and update the selector; whether each answered well."""
        results = {}
        for origin in self._selector.all_origins():
            healthy = self._probe(origin)
            results[origin] = healthy
            if healthy:
                self._failures[origin] = 0
                if self._selector.is_down(origin):
                    log.warning("Edge origin %s is back up", origin)
                    self._selector.mark_up(origin)
                continue
            self._failures[origin] = self._failures.get(origin, 0) + 1
            if self._failures[origin] >= self._failures_to_down and not self._selector.is_down(
                origin
            ):
                log.warning("Edge origin %s is down; stream URLs move to the next", origin)
                self._selector.mark_down(origin)
        return results

    def start(self) -> None:
        if self._thread is None and self._selector.configured:
            self._thread = threading.Thread(target=self._loop, name="origin-health", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_once()
            except Exception:  # a bug here must not end the checks for good
                log.exception("Edge origin health check failed")
            self._stop.wait(self._interval)

    def _probe(self, origin: str) -> bool:
        try:
            with urllib.request.urlopen(origin + self._path, timeout=self._timeout) as answer:  # noqa: S310 - operator-configured URL
                return bool(answer.status < 500)
        except urllib.error.HTTPError as error:
            return error.code < 500
        except (OSError, ValueError):
            return False
