"""The `RateLimiter` port: token buckets by key, shared by the API nodes that use the same backend.

A bucket holds up to `burst` tokens and gains `rate_per_s` a second; a request takes one. Embedded
default: in process (`encore.adapters.rate_limit.memory`). At scale: one Lua script in Redis, so
that every API node draws on the same bucket.

`RouteLimits` is the policy on top: one limit per class of route, keyed by who asks.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from encore.errors import RateLimited

RouteClass = Literal["login", "search", "stream", "events"]
ROUTE_CLASSES: tuple[RouteClass, ...] = ("login", "search", "stream", "events")


@dataclass(frozen=True, slots=True)
class Limit:
    rate_per_s: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError("a limit needs a rate above 0 and a burst of 1 or more")


class RateLimiter(Protocol):
    def take(self, key: str, limit: Limit, *, spend: bool = True) -> float:
        """0 when the bucket holds a token (one is taken when `spend`), else the seconds until it
        will hold one (nothing is taken). A limiter that cannot reach its store answers 0."""
        ...


def retry_after_s(wait_s: float) -> int:
    """`Retry-After` is whole seconds: rounded up, so that a client that waits that long gets in."""
    return max(1, math.ceil(wait_s - 1e-9))


class RouteLimits:
    """A limit per route class, per listener when signed in and per client address otherwise."""

    def __init__(self, limiter: RateLimiter, limits: Mapping[RouteClass, Limit]) -> None:
        self._limiter = limiter
        self._limits = dict(limits)

    def __bool__(self) -> bool:
        """Whether any route class is limited."""
        return bool(self._limits)

    def check(
        self, route_class: RouteClass, *, user_id: str | None, client: str, spend: bool = True
    ) -> None:
        """Raise `RateLimited` when the asker's bucket for this class is empty."""
        limit = self._limits.get(route_class)
        if limit is None:
            return
        key = f"rl:{route_class}:u:{user_id}" if user_id else f"rl:{route_class}:ip:{client}"
        wait = self._limiter.take(key, limit, spend=spend)
        if wait > 0:
            seconds = retry_after_s(wait)
            raise RateLimited(
                f"Too many {route_class} requests; retry in {seconds} s", retry_after_s=seconds
            )
