"""HTTP to a Typesense cluster: each request goes to a node that answers, and moves on to the next
when one is gone, refuses, or is not ready (503 while it elects a leader or catches up).

A node that failed is passed over for `down_s`, so that a dead host costs one short connect
timeout, not one per request; when every node is marked down, all are tried anyway.
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx2 as httpx

log = logging.getLogger(__name__)

# Answers that say "this node cannot serve now", not "your request is wrong".
RETRY_STATUSES = frozenset({502, 503, 504})


class TypesenseNodes:
    def __init__(
        self,
        urls: Sequence[str],
        *,
        api_key: str,
        timeout_s: float,
        connect_timeout_s: float = 1.0,
        down_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("Typesense needs at least one node URL")
        self._urls = [url.rstrip("/") for url in urls]
        self._http = httpx.Client(
            headers={"X-TYPESENSE-API-KEY": api_key},
            timeout=httpx.Timeout(timeout_s, connect=min(connect_timeout_s, timeout_s)),
        )
        self._down_s = down_s
        self._clock = clock
        self._lock = threading.Lock()
        self._down_until = dict.fromkeys(self._urls, -float("inf"))
        self._preferred = 0  # the node that answered last, tried first

    @property
    def urls(self) -> list[str]:
        return list(self._urls)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The first usable answer of a node; the last failure when none gives one."""
        failure: Exception | None = None
        answer: httpx.Response | None = None
        for index in self._order():
            url = self._urls[index]
            try:
                answer = self._http.request(method, url + path, **kwargs)
            except httpx.TransportError as error:
                failure = error
                self._mark_down(url, f"{type(error).__name__}: {error}")
                continue
            if answer.status_code in RETRY_STATUSES:
                self._mark_down(url, f"HTTP {answer.status_code}")
                continue
            with self._lock:
                self._preferred = index
                self._down_until[url] = -float("inf")
            return answer
        if answer is not None:
            return answer  # every node said it cannot serve: let the caller see that answer
        assert failure is not None
        raise failure

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        self._http.close()

    def _order(self) -> list[int]:
        now = self._clock()
        with self._lock:
            start = self._preferred
            rotated = [(start + step) % len(self._urls) for step in range(len(self._urls))]
            up = [i for i in rotated if self._down_until[self._urls[i]] <= now]
            return up + [i for i in rotated if i not in up]

    def _mark_down(self, url: str, reason: str) -> None:
        with self._lock:
            was_up = self._down_until[url] <= self._clock()
            self._down_until[url] = self._clock() + self._down_s
        if was_up:
            log.warning("Typesense node %s passed over for %.0f s: %s", url, self._down_s, reason)
