"""`encore backup check` on the fleet: row counts from PostgreSQL and a sample of media read
from S3 (Swift's s3api), from a node whose data directory holds nothing of the instance."""

import hashlib
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from encore.adapters.sql.migrate import HEAD
from encore.bootstrap import bootstrap
from encore.catalog.model import Quality
from encore.cli import app
from encore.config import load_settings
from tests.builders import make_rendition
from tests.e2e.catalog_fixture import add_tracks
from tests.e2e.conftest import FAST_PASSWORDS
from tests.integration.swift import S3Endpoint

pytestmark = [pytest.mark.postgres, pytest.mark.s3, pytest.mark.slow]
AUDIO = b"OggS" + secrets.token_bytes(50_000)


def test_check_counts_postgres_rows_and_reads_s3_media(
    tmp_path: Path, postgres_database_factory: Callable[[], str], swift_s3: S3Endpoint
) -> None:
    settings = {
        "database_url": postgres_database_factory(),
        "media_backend": "s3",
        "s3_bucket": f"encore-check-{secrets.token_hex(4)}",
        "s3_endpoint_url": swift_s3.url,
        "s3_access_key": swift_s3.access_key,
        "s3_secret_key": swift_s3.secret_key,
        "s3_region": swift_s3.region,
    }
    services = bootstrap(
        load_settings(data_dir=tmp_path / "api-node", recommend_check_s=0, **settings),
        passwords=FAST_PASSWORDS,
    )
    try:
        services.accounts.add_user(email="fleet@example.com", password="long enough", country="SE")
        tracks = add_tracks(services, 3)
        with services.uow() as uow:
            for track in tracks:
                key = f"audio/{track[:2]}/{track[2:4]}/{track}/160.ogg"
                services.media.put_bytes(key, AUDIO + track.encode(), content_type="audio/ogg")
                uow.renditions.put(
                    make_rendition(
                        track_id=track,
                        quality=Quality.NORMAL,
                        path=key,
                        size_bytes=len(AUDIO + track.encode()),
                        checksum=hashlib.sha256(AUDIO + track.encode()).hexdigest(),
                    )
                )
            uow.commit()
        # The check runs on another node: its data directory holds no cached copy of the media.
        env = {"COLUMNS": "200", **{f"ENCORE_{k.upper()}": v for k, v in settings.items()}}
        check = ["backup", "check", "--data", str(tmp_path / "check-node"), "--sample", "3"]
        result = CliRunner().invoke(app, check, env=env)
        assert result.exit_code == 0, result.output
        output = " ".join(result.output.split())
        assert f"Schema revision {HEAD} (code {HEAD}): ok" in output
        assert "│ tracks │ 3 │" in output and "│ users │ 1 │" in output
        assert "3 of 3 sampled files match" in output
        # An object lost from the bucket is found.
        services.media.delete(f"audio/{tracks[1][:2]}/{tracks[1][2:4]}/{tracks[1]}/160.ogg")
        result = CliRunner().invoke(app, check, env=env)
        assert result.exit_code == 1
        assert "missing" in result.output and "Check failed" in result.output
    finally:
        services.close()
