"""Warming an edge over HTTP: fetch each URL whole, a few at a time, and throw the bytes away.

A whole-file GET is what makes a caching proxy (nginx `proxy_cache`, Encore's disk cache, a CDN)
keep the object; the answer's bytes are only counted.
"""

import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from encore.streaming.ports import Warmed

CHUNK = 1 << 20


class HttpEdgeWarmer:
    def __init__(self, *, concurrency: int = 8, timeout_s: float = 30.0) -> None:
        self._concurrency = concurrency
        self._timeout = timeout_s

    def warm(self, urls: Sequence[str]) -> Sequence[Warmed]:
        with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
            return list(pool.map(self._fetch, urls))

    def _fetch(self, url: str) -> Warmed:
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as answer:  # noqa: S310 - operator's edge
                size = 0
                while chunk := answer.read(CHUNK):
                    size += len(chunk)
                return Warmed(url, True, size)
        except urllib.error.HTTPError as error:
            return Warmed(url, False, 0, f"HTTP {error.code}")
        except (OSError, ValueError) as error:
            return Warmed(url, False, 0, str(error))
