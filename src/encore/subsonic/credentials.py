"""Subsonic credentials: a per-listener password and API key, never the login password.

The login password stays argon2-hashed; a Subsonic client gets its own password, made here and
shown once, which the listener can rotate or revoke without touching their account. Every
comparison runs in constant time. What a request needs is cached (sealed) in the shared cache
for a few minutes; rotating or revoking deletes those entries.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from encore.cache import Cache
from encore.subsonic.model import Credential, IssuedCredential
from encore.subsonic.ports import CredentialStore
from encore.subsonic.protocol import ErrorCode, SubsonicError
from encore.subsonic.sealing import SecretBox, Unsealable

CACHED_S = 300.0
_SEP = "\x1f"  # between the cached fields; never in an id, an email or base64


class SubsonicCredentials:
    def __init__(
        self,
        *,
        store: CredentialStore,
        username_of: Callable[[str], str],
        box: SecretBox,
        cache: Cache,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`username_of(user_id)` is the name the listener signs in with (their email)."""
        self._store = store
        self._username_of = username_of
        self._box = box
        self._cache = cache
        self._clock = clock

    def issue(self, user_id: str) -> IssuedCredential:
        """Make (or replace) the listener's credential; the password and key are shown once."""
        username = self._username_of(user_id).lower()
        password = secrets.token_urlsafe(18)
        api_key = secrets.token_urlsafe(32)
        credential = Credential(
            user_id=user_id,
            username=username,
            sealed_password=self._box.seal(password),
            api_key_hash=_digest(api_key),
            created_at=self._clock(),
        )
        self._forget(self._store.get(user_id))
        self._store.put(credential)
        return IssuedCredential(username, password, api_key, credential.created_at)

    def revoke(self, user_id: str) -> bool:
        """Whether there was a credential to revoke."""
        removed = self._store.delete(user_id)
        self._forget(removed)
        return removed is not None

    def forgetting(self, user_id: str) -> Callable[[object], None]:
        """For an account about to be deleted (with its credential, in the same transaction):
        what drops the credential from the shared cache once the deletion is committed."""
        credential = self._store.get(user_id)
        return lambda _done: self._forget(credential)

    def describe(self, user_id: str) -> Credential | None:
        return self._store.get(user_id)

    # --- authenticating requests ---------------------------------------------------------------

    def by_token(self, username: str, token: str, salt: str) -> str:
        """The listener whose password gives `token = md5(password + salt)`."""
        credential = self._by_username(username)
        if credential is None:
            # Spend the same work as for a real user, so that timing does not tell who exists.
            hmac.compare_digest(_md5(secrets.token_hex(12) + salt), token.lower().encode())
            raise _wrong()
        expected = _md5(self._password(credential) + salt)
        if not hmac.compare_digest(expected, token.lower().encode()):
            raise _wrong()
        return credential.user_id

    def by_password(self, username: str, password: str) -> str:
        credential = self._by_username(username)
        expected = self._password(credential) if credential else secrets.token_hex(12)
        if not hmac.compare_digest(expected.encode(), password.encode()) or credential is None:
            raise _wrong()
        return credential.user_id

    def by_api_key(self, api_key: str) -> tuple[str, str]:
        """The listener (their id and username) whose API key this is."""
        key_hash = _digest(api_key)
        cached = self._cache.get(_api_key_key(key_hash))
        if cached is not None:
            user_id, username = cached.decode().split(_SEP)
            return user_id, username
        credential = self._store.get_by_api_key_hash(key_hash)
        if credential is None or not hmac.compare_digest(credential.api_key_hash, key_hash):
            raise SubsonicError(ErrorCode.INVALID_API_KEY, "Invalid API key")
        found = _SEP.join((credential.user_id, credential.username))
        self._cache.set(_api_key_key(key_hash), found.encode(), ttl_s=CACHED_S)
        return credential.user_id, credential.username

    def _by_username(self, username: str) -> Credential | None:
        name = username.lower()
        cached = self._cache.get(_username_key(name))
        if cached is not None:
            user_id, sealed, key_hash = cached.decode().split(_SEP)
            return Credential(user_id, name, sealed, key_hash, datetime.min)
        credential = self._store.get_by_username(name)
        if credential is not None:
            fields = (credential.user_id, credential.sealed_password, credential.api_key_hash)
            self._cache.set(_username_key(name), _SEP.join(fields).encode(), ttl_s=CACHED_S)
        return credential

    def _password(self, credential: Credential) -> str:
        try:
            return self._box.open(credential.sealed_password)
        except Unsealable:
            # Sealed under another master secret (it was changed): the listener must make a
            # new one; nothing matches meanwhile.
            raise _wrong() from None

    def _forget(self, credential: Credential | None) -> None:
        if credential is not None:
            self._cache.delete(
                _username_key(credential.username), _api_key_key(credential.api_key_hash)
            )


def _wrong() -> SubsonicError:
    return SubsonicError(ErrorCode.WRONG_CREDENTIALS, "Wrong username or password")


def _md5(text: str) -> bytes:
    # The protocol's choice, not a security decision of ours: the secret is long and random.
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().encode()


def _digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def _username_key(username: str) -> str:
    return f"subsonic-user:{username}"


def _api_key_key(key_hash: str) -> str:
    return f"subsonic-key:{key_hash}"
