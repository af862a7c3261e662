"""No secret, credential or stack trace in any log line.

Installed as the process's log record factory by `encore serve` and `encore consume`, so every
record is cleaned where it is made, whichever logger or handler it goes through (uvicorn's
access log included, whose lines carry full query strings):

- credentials by their shape: `Authorization` values, JWTs, `sig=`, Subsonic's `p=`, `t=`,
  `s=` and `apiKey=`, `password=`/`token=`-like parameters and JSON members, the password of a
  database URL;
- the process's own secrets by their value (the master secret, stream signing keys, S3 and
  Typesense keys, the metrics token), wherever they appear;
- an exception becomes one line: its type, its message and the innermost frame of Encore's own
  code as `module:line`, with no traceback and no file paths.
"""

import logging
import re
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REDACTED = "[redacted]"
_SOURCE_ROOT = str(Path(__file__).resolve().parent.parent)  # the directory holding `encore`
_SHAPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"), rf"\1 {REDACTED}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*"), REDACTED),
    (
        re.compile(
            r"(?i)(\b(?:sig|p|t|s|apikey|api_key|password|passwd|token|access_token|"
            r"refresh_token|secret|secret_key|metrics_token)=)[^&\s\"']*"
        ),
        rf"\1{REDACTED}",
    ),
    (
        re.compile(
            r"(?i)(\"(?:password|access_token|refresh_token|api_key|apikey|token|secret|"
            r"secret_key)\"\s*:\s*\")[^\"]*"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@"), rf"\1{REDACTED}@"),
]


class Scrubber:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so that a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in _SHAPES:
            text = pattern.sub(replacement, text)
        return text.replace(_SOURCE_ROOT, "<src>")

    def record(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep the format alone
            message = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} [{summary(record.exc_info[1])}]"
        record.msg, record.args = self.text(message), ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None


def summary(error: BaseException) -> str:
    """`Type: message at module:line`, for the error and each one it was raised from."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}{_where(current)}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if f.filename.startswith(_SOURCE_ROOT)] or frames[-1:]
    if not ours:
        return ""
    frame = ours[-1]
    path = Path(frame.filename)
    module = (
        ".".join(path.relative_to(_SOURCE_ROOT).with_suffix("").parts)
        if frame.filename.startswith(_SOURCE_ROOT)
        else path.stem
    )
    return f" at {module}:{frame.lineno} in {frame.name}"


def install(secrets: Iterable[str] = ()) -> Callable[[], None]:
    """Clean every log record made from now on; returns what undoes it."""
    previous = logging.getLogRecordFactory()
    scrubber = Scrubber(secrets)

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        scrubber.record(record)
        return record

    logging.setLogRecordFactory(make)
    return lambda: logging.setLogRecordFactory(previous)
