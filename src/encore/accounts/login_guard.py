"""What stands between a password guesser and an account.

Two measures, so that guessing is slow but nobody else can lock the owner out:
- per account *and* client address, a token bucket of failed sign-ins
  (`login_attempts_per_minute`): 429 once it is empty. A guesser elsewhere empties their own
  bucket, not the owner's.
- per account, from anywhere, a delay before the answer that doubles with each failure after
  the first few in 15 minutes, up to a cap: guessing from many addresses at once slows to a
  crawl, while the owner waits at most the cap, and not at all once the failures expire.
Wrong passwords count, right ones do not; the route waits without holding a thread.
"""

from encore.cache import Cache
from encore.errors import RateLimited
from encore.rate_limits import Limit, RateLimiter, retry_after_s

FAILURE_WINDOW_S = 15 * 60
FREE_FAILURES = 3  # typos: no wait until more failures than this in the window
FIRST_DELAY_S = 0.25


class LoginGuard:
    def __init__(
        self,
        *,
        cache: Cache,
        limiter: RateLimiter,
        attempts_per_minute: int,
        max_delay_s: float,
    ) -> None:
        self._cache = cache
        self._limiter = limiter
        self._failures = Limit(attempts_per_minute / 60, attempts_per_minute)
        self._max_delay_s = max_delay_s

    def delay_s(self, account: str) -> float:
        """How long to wait before checking a password for `account` (a normalized email)."""
        failures = self._cache.count(_failures_key(account)) - FREE_FAILURES
        if failures <= 0 or self._max_delay_s <= 0:
            return 0.0
        return min(self._max_delay_s, FIRST_DELAY_S * 2.0 ** min(failures - 1, 16))

    def check(self, account: str, client: str, detail: str) -> None:
        """Raise `RateLimited` while this client's failures for this account are used up."""
        wait = self._limiter.take(_bucket_key(account, client), self._failures, spend=False)
        if wait > 0:
            raise RateLimited(detail, retry_after_s=retry_after_s(wait))

    def failed(self, account: str, client: str) -> None:
        self._limiter.take(_bucket_key(account, client), self._failures)
        self._cache.incr(_failures_key(account), ttl_s=FAILURE_WINDOW_S)


def _bucket_key(account: str, client: str) -> str:
    return f"login:{account}:{client}"


def _failures_key(account: str) -> str:
    return f"login-failures:{account}"
