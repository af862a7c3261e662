"""Log lines lose credentials by shape, the process's secrets by value, and tracebacks."""

import logging

import pytest

from encore import log_hygiene
from encore.log_hygiene import REDACTED, Scrubber

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer "),
        ("authorization: basic dXNlcjpwYXNz", "authorization: basic "),
        (f"token {JWT} refused", "token  refused"),
        (
            "GET /audio/a/b/c/160.ogg?exp=17&sig=deadbeef HTTP/1.1",
            "GET /audio/a/b/c/160.ogg?exp=17&sig= HTTP/1.1",
        ),
        ("GET /rest/ping?u=ada&p=enc:6869&v=1.16&c=x", "GET /rest/ping?u=ada&p=&v=1.16&c=x"),
        (
            "GET /rest/ping?u=ada&t=26719a1196d2a940705a59634eb18eab&s=c19b2d",
            "GET /rest/ping?u=ada&t=&s=",
        ),
        ("GET /rest/ping?apiKey=k3y&f=json", "GET /rest/ping?apiKey=&f=json"),
        ('{"password": "hunter22", "email": "a@b"}', '{"password": "", "email": "a@b"}'),
        ("grant_type=password&password=hunter22", "grant_type=password&password="),
        ("postgresql://encore:s3cret@db:5432/encore", "postgresql://encore:@db:5432/encore"),
    ],
)
def test_credentials_are_redacted_by_shape(line: str, kept: str) -> None:
    cleaned = Scrubber().text(line)
    assert cleaned.replace(REDACTED, "") == kept


def test_secrets_are_redacted_by_value_and_short_ones_ignored() -> None:
    scrubber = Scrubber(["a-long-secret-value", "a-long-secret-value-and-more", "short"])
    assert scrubber.text("x a-long-secret-value-and-more y") == f"x {REDACTED} y"
    assert scrubber.text("a short word") == "a short word"


def test_an_exception_is_one_line_without_paths(caplog: pytest.LogCaptureFixture) -> None:
    undo = log_hygiene.install(["the-secret-in-the-error"])
    try:
        try:
            try:
                raise KeyError("inner")
            except KeyError as inner:
                raise ValueError("outer the-secret-in-the-error") from inner
        except ValueError:
            logging.getLogger("encore.test").exception("failed on %s", "/api/v1/me")
    finally:
        undo()
    (record,) = caplog.records
    text = logging.Formatter().format(record)
    assert "\n" not in text and "Traceback" not in text and "the-secret" not in text
    assert text.startswith(f"failed on /api/v1/me [ValueError: outer {REDACTED} at ")
    assert "<- KeyError: 'inner' at " in text
    assert "/" not in text.partition("[")[2].replace("/api/v1/me", "")


def test_uninstalled_records_are_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    log_hygiene.install()()
    logging.getLogger("encore.test").warning("Bearer %s", "abc")
    assert caplog.records[0].getMessage() == "Bearer abc"
