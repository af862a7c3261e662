"""An instance to back up: a listener, tracks, and one track with audio in the media store;
and the HTTP calls the backup tests make on a running server."""

import hashlib
import http.client
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from encore.adapters.sql.tables import users
from encore.bootstrap import bootstrap
from encore.catalog.model import Quality
from encore.config import load_settings
from tests.builders import make_rendition
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import FAST_PASSWORDS, PASSWORD

EMAIL = "backup@example.com"
AUDIO = b"OggS" + bytes(range(256)) * 400  # what the streamable track's file holds


@dataclass(frozen=True)
class Seeded:
    user_id: str
    tracks: list[str]
    streamable: str  # a track whose 'normal' rendition is AUDIO


def seed(data: Path, *, tracks: int = 20) -> Seeded:
    services = bootstrap(
        load_settings(data_dir=data, recommend_check_s=0), passwords=FAST_PASSWORDS
    )
    try:
        user = services.accounts.add_user(email=EMAIL, password=PASSWORD, country="SE")
        with services.engine.begin() as connection:
            connection.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(created_at=datetime.now(UTC) - timedelta(days=1))
            )
        ids = add_tracks(services, tracks)
        key = f"audio/{ids[0][:2]}/{ids[0][2:4]}/{ids[0]}/160.ogg"
        services.media.put_bytes(key, AUDIO, content_type="audio/ogg")
        with services.uow() as uow:
            uow.renditions.put(
                make_rendition(
                    track_id=ids[0],
                    quality=Quality.NORMAL,
                    path=key,
                    size_bytes=len(AUDIO),
                    checksum=hashlib.sha256(AUDIO).hexdigest(),
                )
            )
            uow.commit()
        return Seeded(user.id, ids, ids[0])
    finally:
        services.close()


def encore(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the `encore` command line in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "encore", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "ENCORE_DATA": "", "COLUMNS": "200"},
        check=False,
    )


class Api:
    """One keep-alive connection to a running server, signed in as the seeded listener."""

    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        body = f"grant_type=password&username={EMAIL}&password={PASSWORD.replace(' ', '+')}"
        status, answer = self.call(
            "POST",
            "/api/v1/auth/token",
            body,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 200, answer
        self._token = json.loads(answer)["access_token"]

    def call(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        self._connection.request(method, path, body, headers or {})
        answer = self._connection.getresponse()
        return answer.status, answer.read()

    def json(self, method: str, path: str, document: object = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}
        body = None if document is None else json.dumps(document)
        return self.call(method, path, body, headers)

    def close(self) -> None:
        self._connection.close()
