"""Range and conditional requests for one file (RFC 9110, sections 13 and 14), as pure functions.

The edge serves a single byte range. A Range header it cannot use is ignored, as RFC 9110
allows, and the whole file is sent: one that is malformed, in another unit, or that asks for
several ranges. A well-formed range that starts past the end gets 416.
"""

from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from enum import IntEnum

# Longer numbers are not parsed (Python refuses very long ones); they are bigger than any file.
_MAX_DIGITS = 18
_BEYOND_ANY_FILE: int = 10**_MAX_DIGITS


class Status(IntEnum):
    OK = 200
    PARTIAL = 206
    NOT_MODIFIED = 304
    UNSATISFIABLE = 416


@dataclass(frozen=True, slots=True)
class ByteRange:
    first: int
    last: int  # inclusive

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.first}-{self.last}/{size}"


@dataclass(frozen=True, slots=True)
class Answer:
    status: Status
    range: ByteRange | None = None  # set for PARTIAL only


@dataclass(frozen=True, slots=True)
class Validators:
    """What identifies the version of the file being served."""

    size: int
    etag: str  # a strong entity tag, with its quotes: `"..."`
    last_modified: int | None  # Unix seconds; None when unknown


UNSATISFIABLE = Answer(Status.UNSATISFIABLE)
_OK = Answer(Status.OK)
_NOT_MODIFIED = Answer(Status.NOT_MODIFIED)


def decide(
    validators: Validators,
    *,
    range_header: str | None,
    if_range: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
    now: float,
) -> Answer:
    """The status to answer a GET or HEAD with, and the byte range for a 206."""
    if if_none_match is not None:
        tags = parse_entity_tags(if_none_match)
        # An unparseable If-None-Match is ignored, like a missing one.
        if tags == "*" or (isinstance(tags, list) and _weak_match(validators.etag, tags)):
            return _NOT_MODIFIED
    elif if_modified_since is not None:
        since = parse_http_date(if_modified_since)
        modified = validators.last_modified
        if since is not None and modified is not None and modified <= since:
            return _NOT_MODIFIED
    if range_header is None:
        return _OK
    if if_range is not None and not _if_range_holds(if_range, validators, now):
        return _OK
    return parse_range(range_header, validators.size)


def parse_range(header: str, size: int) -> Answer:
    """A 206 with its range, a 416, or a 200 for a header to ignore."""
    unit, equals, ranges = header.partition("=")
    if not equals or unit.strip().lower() != "bytes":
        return _OK
    specs = [spec.strip() for spec in ranges.split(",")]
    specs = [spec for spec in specs if spec]  # empty list elements are allowed (RFC 9110 5.6.1)
    if len(specs) != 1:
        return _OK
    first_text, dash, last_text = specs[0].partition("-")
    if not dash:
        return _OK
    if not first_text:  # suffix range: the last n bytes
        suffix = _number(last_text)
        if suffix is None:
            return _OK
        if suffix == 0:
            return UNSATISFIABLE
        if size == 0:  # nothing to cut a range from: the (empty) whole is the answer
            return _OK
        return Answer(Status.PARTIAL, ByteRange(max(0, size - suffix), size - 1))
    first = _number(first_text)
    if first is None:
        return _OK
    if last_text:
        last = _number(last_text)
        if last is None or last < first:
            return _OK
    else:
        last = _BEYOND_ANY_FILE
    if first >= size:
        return UNSATISFIABLE
    return Answer(Status.PARTIAL, ByteRange(first, min(last, size - 1)))


def parse_entity_tags(header: str) -> list[str] | str | None:
    """`*`, or the opaque tags of an entity-tag list (weak or not, quotes kept); None if
    malformed. A tag may hold a comma, so the list is scanned, not split."""
    text = header.strip()
    if text == "*":
        return "*"
    tags: list[str] = []
    position, end = 0, len(text)
    while position < end:
        char = text[position]
        if char in " \t,":
            position += 1
            continue
        if text.startswith("W/", position):
            position += 2
        if position >= end or text[position] != '"':
            return None
        closing = text.find('"', position + 1)
        if closing < 0:
            return None
        tags.append(text[position : closing + 1])
        position = closing + 1
        if position < end and text[position] not in " \t,":
            return None
    return tags


def parse_http_date(text: str) -> int | None:
    """Unix seconds of an HTTP-date, or None."""
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # asctime's form carries no zone: HTTP dates are all GMT
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _weak_match(etag: str, tags: list[str]) -> bool:
    # The weak comparison: opaque tags equal, weak or not (the W/ is already dropped).
    return etag.removeprefix("W/") in tags


def _if_range_holds(if_range: str, validators: Validators, now: float) -> bool:
    value = if_range.strip()
    if value.startswith('"'):
        # Strong comparison: both strong and equal; a weak tag never matches.
        return value == validators.etag and not validators.etag.startswith("W/")
    if value.startswith("W/"):
        return False
    date = parse_http_date(value)
    modified = validators.last_modified
    # A date is a strong validator only when the file is at least a second older than the
    # answer; otherwise two versions could share it (RFC 9110 8.8.2.2).
    return modified is not None and date == modified and modified <= int(now) - 1


def _number(text: str) -> int | None:
    # Digits only: int() would also take '+1', ' 1', '1_000' and non-ASCII digits.
    if not text or not text.isascii() or not text.isdigit():
        return None
    if len(text) > _MAX_DIGITS:
        return _BEYOND_ANY_FILE
    return int(text)
