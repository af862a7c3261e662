"""Range and conditional requests (RFC 9110) for one file, decided without any I/O."""

from email.utils import formatdate

import pytest

from encore.streaming.ranges import (
    Answer,
    ByteRange,
    Status,
    Validators,
    decide,
    parse_entity_tags,
    parse_range,
)

SIZE = 10_000
ETAG = '"abc123"'
MODIFIED = 1_700_000_000
NOW = MODIFIED + 3600.0
FILE = Validators(SIZE, ETAG, MODIFIED)
HTTP_DATE = formatdate(MODIFIED, usegmt=True)


def partial(first: int, last: int) -> Answer:
    return Answer(Status.PARTIAL, ByteRange(first, last))


OK = Answer(Status.OK)
UNSATISFIABLE = Answer(Status.UNSATISFIABLE)


@pytest.mark.parametrize(
    ("header", "answer"),
    [
        ("bytes=0-99", partial(0, 99)),
        ("bytes=0-0", partial(0, 0)),
        ("bytes=9999-9999", partial(9999, 9999)),
        ("bytes=100-", partial(100, SIZE - 1)),  # open-ended
        ("bytes=0-", partial(0, SIZE - 1)),
        ("bytes=5000-99999999", partial(5000, SIZE - 1)),  # clamped to the end
        ("bytes=0-" + "9" * 40, partial(0, SIZE - 1)),  # too long to parse, still clamped
        ("bytes=-500", partial(SIZE - 500, SIZE - 1)),  # suffix
        ("bytes=-99999", partial(0, SIZE - 1)),  # suffix longer than the file
        ("BYTES=0-99", partial(0, 99)),  # the unit is case-insensitive
        (" bytes = 0-99 ", partial(0, 99)),
        ("bytes=0-99,", partial(0, 99)),  # empty list elements are allowed
        ("bytes=, 0-99", partial(0, 99)),
        # unsatisfiable: a well-formed range that starts at or past the end
        ("bytes=10000-", UNSATISFIABLE),
        ("bytes=10000-20000", UNSATISFIABLE),
        ("bytes=" + "9" * 40 + "-", UNSATISFIABLE),
        ("bytes=-0", UNSATISFIABLE),
        # ignored, so the whole file: malformed, another unit, or several ranges
        ("bytes=100-99", OK),
        ("bytes=-", OK),
        ("bytes=", OK),
        ("bytes", OK),
        ("bytes=abc-def", OK),
        ("bytes=0x10-0x20", OK),
        ("bytes=+1-2", OK),
        ("bytes=1_0-20", OK),
        ("bytes=0 -99", OK),
        ("bytes=0--99", OK),
        ("bytes=--1", OK),
        ("bytes=\u0661-\u0662", OK),  # Arabic-Indic digits, which int() would take
        ("bytes=0-1.5", OK),
        ("items=0-99", OK),
        ("0-99", OK),
        ("", OK),
        ("bytes=0-99,200-299", OK),
        ("bytes=0-99,20000-", OK),
        ("bytes=20000-,30000-", OK),
    ],
)
def test_parse_range(header: str, answer: Answer) -> None:
    assert parse_range(header, SIZE) == answer


def test_an_empty_file() -> None:
    assert parse_range("bytes=0-", 0) == UNSATISFIABLE
    assert parse_range("bytes=-10", 0) == OK


def test_content_range() -> None:
    assert ByteRange(0, 99).content_range(SIZE) == "bytes 0-99/10000"
    assert ByteRange(0, 99).length == 100


def answer(**headers: str) -> Answer:
    return decide(
        FILE,
        range_header=headers.get("range"),
        if_range=headers.get("if_range"),
        if_none_match=headers.get("if_none_match"),
        if_modified_since=headers.get("if_modified_since"),
        now=NOW,
    )


def test_no_headers_is_the_whole_file() -> None:
    assert answer() == OK


@pytest.mark.parametrize(
    "if_none_match",
    [ETAG, "*", f'"other", {ETAG}', f"W/{ETAG}", f'W/"x,y", {ETAG}', f"  {ETAG}  ", f"{ETAG},"],
)
def test_if_none_match_uses_the_weak_comparison(if_none_match: str) -> None:
    assert answer(if_none_match=if_none_match).status is Status.NOT_MODIFIED
    # It wins over a Range: the client has the file already.
    assert answer(if_none_match=if_none_match, range="bytes=0-9").status is Status.NOT_MODIFIED


@pytest.mark.parametrize(
    "if_none_match", ['"other"', "abc123", '"abc123', '"abc1234"', 'W/"ABC123"', '"a" "b"', "**"]
)
def test_if_none_match_that_does_not_match_is_the_normal_answer(if_none_match: str) -> None:
    assert answer(if_none_match=if_none_match) == OK
    assert answer(if_none_match=if_none_match, range="bytes=0-9") == partial(0, 9)


def test_entity_tag_lists_are_scanned_not_split() -> None:
    assert parse_entity_tags('"a,b", W/"c"') == ['"a,b"', '"c"']
    assert parse_entity_tags("*") == "*"
    assert parse_entity_tags('"a" junk') is None
    assert parse_entity_tags("W/") is None


def test_if_modified_since() -> None:
    assert answer(if_modified_since=HTTP_DATE).status is Status.NOT_MODIFIED
    assert answer(if_modified_since=formatdate(MODIFIED + 10, usegmt=True)).status == 304
    assert answer(if_modified_since=formatdate(MODIFIED - 1, usegmt=True)) == OK
    assert answer(if_modified_since="yesterday") == OK
    # If-None-Match decides alone when both are sent.
    assert answer(if_none_match='"other"', if_modified_since=HTTP_DATE) == OK


def test_if_modified_since_without_a_known_date_is_ignored() -> None:
    undated = Validators(SIZE, ETAG, None)
    assert decide(undated, range_header=None, if_modified_since=HTTP_DATE, now=NOW) == OK


@pytest.mark.parametrize("if_range", [ETAG, HTTP_DATE, f"  {ETAG} "])
def test_if_range_that_holds_gives_the_range(if_range: str) -> None:
    assert answer(range="bytes=0-9", if_range=if_range) == partial(0, 9)


@pytest.mark.parametrize(
    "if_range",
    [
        '"other"',
        f"W/{ETAG}",  # a weak tag never matches in If-Range
        formatdate(MODIFIED - 1, usegmt=True),
        formatdate(MODIFIED + 1, usegmt=True),
        "not a date",
        "",
    ],
)
def test_if_range_that_fails_gives_the_whole_file(if_range: str) -> None:
    assert answer(range="bytes=0-9", if_range=if_range) == OK
    # Even for a range that could not be satisfied: the client gets the new version whole.
    assert answer(range="bytes=20000-", if_range=if_range) == OK


def test_if_range_date_of_a_file_modified_this_second_is_not_strong() -> None:
    fresh = Validators(SIZE, ETAG, int(NOW))
    date = formatdate(int(NOW), usegmt=True)
    assert decide(fresh, range_header="bytes=0-9", if_range=date, now=NOW) == OK


def test_if_range_without_range_is_ignored() -> None:
    assert answer(if_range='"other"') == OK


def test_asctime_dates_are_gmt() -> None:
    asctime = "Tue Nov 14 22:13:20 2023"  # MODIFIED in asctime's format
    assert answer(range="bytes=0-9", if_range=asctime) == partial(0, 9)
