"""The signed-URL contract written out again, small and on its own, to test the nginx edge with.

`sign` is an independent implementation of the contract that Encore's API signs with:
`sig = hex(HMAC-SHA256(key, f"{path}:{exp}"))`. Requests go out through `http.client`, which
sends the request target byte for byte, so a test can put dot segments and percent-escapes on
the wire exactly as an attacker would.
"""

import hashlib
import hmac
import http.client
import json
import secrets
import time
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

# Two active keys (rotation: either verifies); the second is not ASCII, so the HMAC key's being
# the UTF-8 bytes of the text is checked too.
KEYS = ("first-stream-key", "clé-deux-🔑")
RETIRED_KEY = "retired-stream-key"

TRACK_A = "Ab3dEfGhIjKlMnOpQrStUv"
TRACK_B = "Zy9xWvUtSrQpOnMlKjIhGf"
TRACK_WITHOUT_FILES = "Qq7wErTyUiOpAsDfGhJkLz"
A_320 = f"/audio/Ab/3d/{TRACK_A}/320.ogg"
A_FLAC = f"/audio/Ab/3d/{TRACK_A}/lossless.flac"
A_96 = f"/audio/Ab/3d/{TRACK_A}/96.ogg"  # never stored
B_96 = f"/audio/Zy/9x/{TRACK_B}/96.ogg"
MISSING = f"/audio/Qq/7w/{TRACK_WITHOUT_FILES}/160.ogg"
SIZES = {A_320: 2_600_000, A_FLAC: 300_000, B_96: 200_000}
SECRET = "/secret.bin"  # in the media root, outside audio/: must never be served
PROBLEM_JSON = "application/problem+json"


def sign(path: str, exp: int, key: str) -> str:
    return hmac.new(key.encode(), f"{path}:{exp}".encode(), hashlib.sha256).hexdigest()


def signed(path: str, *, key: str = KEYS[0], lifetime_s: int = 3600) -> str:
    """`path` with a query that verifies (or, with a past lifetime, has expired)."""
    exp = int(time.time()) + lifetime_s
    return f"{path}?exp={exp}&sig={sign(path, exp, key)}"


def make_media(root: Path) -> dict[str, bytes]:
    """Random, distinct files laid out as the local media store keeps them; path -> bytes."""
    files = {path: secrets.token_bytes(size) for path, size in SIZES.items()}
    files[SECRET] = secrets.token_bytes(4096)
    for path, data in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return files


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Message
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def problem(self) -> dict[str, Any]:
        """The problem+json body; fails the test if the answer is anything else."""
        assert self.header("Content-Type") == PROBLEM_JSON, (self.status, self.headers.items())
        body: dict[str, Any] = json.loads(self.body)
        assert body["status"] == self.status
        return body


def fetch(
    port: int, target: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> Answer:
    """One request with `target` sent exactly as given."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, target, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()
