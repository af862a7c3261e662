"""Errors the domains raise. The API maps each kind to an HTTP status and a problem type.

Domains know nothing of HTTP: they say *what* went wrong; `encore.api.problems` says how that
looks on the wire.
"""

from typing import ClassVar


class EncoreError(Exception):
    """Base of every expected failure. `kind` names the problem type (a stable slug)."""

    kind: ClassVar[str] = "error"
    title: ClassVar[str] = "Request failed"

    def __init__(self, detail: str, **extensions: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class InvalidInput(EncoreError):
    kind = "invalid-input"
    title = "Invalid input"


class NotAuthenticated(EncoreError):
    kind = "not-authenticated"
    title = "Authentication required"


class PermissionDenied(EncoreError):
    kind = "forbidden"
    title = "Not allowed"


class PlanRequired(PermissionDenied):
    kind = "plan-required"
    title = "Your plan does not include this"


class NotFound(EncoreError):
    kind = "not-found"
    title = "Not found"


class AlreadyExists(EncoreError):
    kind = "already-exists"
    title = "Already exists"


class Conflict(EncoreError):
    kind = "conflict"
    title = "Conflict"


class PreconditionFailed(EncoreError):
    kind = "precondition-failed"
    title = "Precondition failed"


class TooLarge(EncoreError):
    """More in one request than Encore takes: the detail says the limit."""

    kind = "too-large"
    title = "Too large"


class RateLimited(EncoreError):
    kind = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, retry_after=retry_after_s)
        self.retry_after_s = retry_after_s


class Unavailable(EncoreError):
    """Something Encore depends on is not answering. Nothing was done, so the same request can
    be sent again after `retry_after_s`."""

    kind = "unavailable"
    title = "Temporarily unavailable"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, retry_after=retry_after_s)
        self.retry_after_s = retry_after_s


class NotLicensed(EncoreError):
    """The content exists but may not be played in the listener's country."""

    kind = "not-licensed"
    title = "Unavailable in your country"
