"""The Subsonic protocol's own pieces: error codes, the response tree and request parameters.

Nothing here knows Encore's domains or a web framework: a request is a list of (name, value)
pairs (query string and form body together), an answer is a tree of `Node`s that `render`
writes as XML, JSON or JSONP.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

API_VERSION = "1.16.1"
SERVER_TYPE = "encore"
MAX_INT = 2**31 - 1

Scalar = str | int | float | bool


class ErrorCode(IntEnum):
    GENERIC = 0
    MISSING_PARAMETER = 10
    CLIENT_MUST_UPGRADE = 20
    SERVER_MUST_UPGRADE = 30
    WRONG_CREDENTIALS = 40
    TOKEN_AUTH_NOT_SUPPORTED = 41
    MECHANISM_NOT_SUPPORTED = 42
    CONFLICTING_MECHANISMS = 43
    INVALID_API_KEY = 44
    NOT_AUTHORIZED = 50
    NOT_FOUND = 70


class SubsonicError(Exception):
    """A failure as the protocol reports it: a code, a message and, for OpenSubsonic, a link."""

    def __init__(self, code: ErrorCode, message: str, *, help_url: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.help_url = help_url


def missing(name: str) -> SubsonicError:
    return SubsonicError(ErrorCode.MISSING_PARAMETER, f"Required parameter '{name}' is missing")


def not_found(what: str) -> SubsonicError:
    return SubsonicError(ErrorCode.NOT_FOUND, f"{what} not found")


@dataclass(slots=True)
class Node:
    """One element of an answer. Attributes become XML attributes (JSON members); children added
    with `many` are lists (a JSON array even of one), those added with `one` single objects;
    `value` is an element's text (JSON `value`), as lyrics have."""

    name: str
    attrs: dict[str, Scalar] = field(default_factory=dict)
    children: list[tuple[str, "Node | list[Node] | tuple[Scalar, ...]"]] = field(
        default_factory=list
    )
    value: str | None = None

    def one(self, child: "Node") -> "Node":
        self.children.append((child.name, child))
        return child

    def many(self, name: str, children: Iterable["Node"]) -> list["Node"]:
        items = list(children)
        self.children.append((name, items))
        return items

    def values(self, name: str, values: Iterable[Scalar]) -> None:
        """A list of plain values: repeated `<name>value</name>` in XML, an array in JSON."""
        self.children.append((name, tuple(values)))


def node(name: str, /, **attrs: Scalar | datetime | None) -> Node:
    """A node with the given attributes; None leaves an attribute out, times are ISO 8601."""
    return Node(name, {key: _scalar(value) for key, value in attrs.items() if value is not None})


def _scalar(value: Scalar | datetime) -> Scalar:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds").replace("+00:00", "Z")
    return value


class Params:
    """A request's parameters, in order, repeated names kept (`id=1&id=2`)."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._pairs = pairs
        self._first: dict[str, str] = {}
        for name, value in pairs:
            self._first.setdefault(name, value)

    def get(self, name: str) -> str | None:
        return self._first.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._first

    def required(self, name: str) -> str:
        value = self._first.get(name)
        if value is None or value == "":
            raise missing(name)
        return value

    def all(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def integer(self, name: str, default: int, *, least: int = 0, most: int = MAX_INT) -> int:
        """An integer, `default` when absent; below `least` or not a number is an error, above
        `most` is brought down to it (a client asking for a million albums gets the most)."""
        text = self._first.get(name)
        if text is None or text == "":
            return default
        return _integer(name, text, least=least, most=most)

    def required_integer(self, name: str, *, least: int = 0, most: int = MAX_INT) -> int:
        return _integer(name, self.required(name), least=least, most=most)

    def integers(self, name: str, *, least: int = 0, most: int = MAX_INT) -> list[int]:
        return [_integer(name, text, least=least, most=most) for text in self.all(name)]

    def boolean(self, name: str, default: bool) -> bool:
        text = self._first.get(name)
        if text is None or text == "":
            return default
        lowered = text.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise SubsonicError(ErrorCode.GENERIC, f"Parameter '{name}' is true or false, not {text!r}")


_DIGITS = re.compile(r"[+-]?\d{1,19}")


def _integer(name: str, text: str, *, least: int, most: int) -> int:
    if not _DIGITS.fullmatch(text.strip()):
        raise SubsonicError(ErrorCode.GENERIC, f"Parameter '{name}' is not a number: {text[:40]!r}")
    number = int(text)
    if number < least:
        raise SubsonicError(ErrorCode.GENERIC, f"Parameter '{name}' is at least {least}")
    return min(number, most)


_VERSION = re.compile(r"(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?")


def check_version(text: str) -> None:
    """A client speaking another major version of the protocol cannot be answered."""
    found = _VERSION.fullmatch(text.strip())
    if found is None:
        raise SubsonicError(ErrorCode.GENERIC, f"Parameter 'v' is not a version: {text[:40]!r}")
    major = int(found[1])
    if major > 1:
        raise SubsonicError(ErrorCode.SERVER_MUST_UPGRADE, "Incompatible version: server is 1.x")
    if major < 1:
        raise SubsonicError(
            ErrorCode.CLIENT_MUST_UPGRADE, "Incompatible version: client must upgrade"
        )
