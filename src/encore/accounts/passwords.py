"""Password hashing with Argon2id."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
# Hashing cost grows with length; refuse novels before they reach Argon2.
MAX_LENGTH = 1024


class Passwords:
    def __init__(self, *, time_cost: int = 3, memory_cost_kib: int = 65_536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost_kib)
        self._decoy_hash: str | None = None

    @property
    def _decoy(self) -> str:
        """Verified against when the account does not exist, so that an unknown email costs
        as much time as a wrong password. Made on first use: most commands never sign in."""
        if self._decoy_hash is None:
            self._decoy_hash = self._hasher.hash("encore-decoy-password")
        return self._decoy_hash

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._decoy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False
