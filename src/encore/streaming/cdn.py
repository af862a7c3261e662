"""Choosing the edge origin a stream URL points at: the listener's region, failing over.

Each region has an ordered list of origins (CDNs or Encore edges). The first one not marked down
is chosen; when a whole region is down, the other regions' origins are tried in a fixed order, so
a listener is sent further away rather than nowhere. A health checker (an adapter) marks origins
down and up; when every origin is down, the region's first is still returned, since a URL that
may work beats none.
"""

import threading
from collections.abc import Mapping, Sequence

from encore.streaming.regions import REGIONS


class OriginSelector:
    def __init__(self, origins: Mapping[str, Sequence[str]]) -> None:
        unknown = set(origins) - set(REGIONS)
        if unknown:
            raise ValueError(f"Unknown CDN regions {sorted(unknown)}; known: {', '.join(REGIONS)}")
        self._origins = {
            region: tuple(u.rstrip("/") for u in urls) for region, urls in origins.items()
        }
        self._down: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        # Each region's choice, worked out again whenever an origin goes down or up: a stream
        # request only looks it up.
        self._choices: dict[str, str | None] = {}
        self._choice_elsewhere: str | None = None
        self._choose_all()

    @property
    def configured(self) -> bool:
        return any(self._origins.values())

    def all_origins(self) -> list[str]:
        return list(dict.fromkeys(url for urls in self._origins.values() for url in urls))

    def region_origins(self, region: str) -> tuple[str, ...]:
        return self._origins.get(region, ())

    def choose(self, region: str) -> str | None:
        """The origin for a listener in `region`; None when no origin is configured at all."""
        return self._choices.get(region, self._choice_elsewhere)

    def mark_down(self, url: str) -> None:
        with self._lock:
            self._down = self._down | {url.rstrip("/")}
            self._choose_all()

    def mark_up(self, url: str) -> None:
        with self._lock:
            self._down = self._down - {url.rstrip("/")}
            self._choose_all()

    def _choose_all(self) -> None:
        self._choices = {region: self._work_out(region) for region in REGIONS}
        self._choice_elsewhere = self._work_out(None)

    def _work_out(self, region: str | None) -> str | None:
        """The region's first origin that is up, else the first one up elsewhere (regions in a
        fixed order), else the region's first (a URL that may work beats none)."""
        own = self._origins.get(region, ()) if region is not None else ()
        for url in own:
            if url not in self._down:
                return url
        for other in REGIONS:
            if other != region:
                for url in self._origins.get(other, ()):
                    if url not in self._down:
                        return url
        if own:
            return own[0]
        return next(iter(self.all_origins()), None)

    def is_down(self, url: str) -> bool:
        return url.rstrip("/") in self._down
