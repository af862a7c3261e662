"""`encore backup check` on the fleet: row counts from PostgreSQL and a sample of media read
whole, from a local media folder or from S3 (Swift's s3api) on a node that caches none of it."""

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

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
AUDIO = b"OggS" + secrets.token_bytes(50_000)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def media_settings(request: pytest.FixtureRequest) -> dict[str, str]:
    """Where the media live: the API node's data directory, or an S3 bucket."""
    if request.param == "local":
        return {}
    swift_s3: S3Endpoint = request.getfixturevalue("swift_s3")
    return {
        "media_backend": "s3",
        "s3_bucket": f"encore-check-{secrets.token_hex(4)}",
        "s3_endpoint_url": swift_s3.url,
        "s3_access_key": swift_s3.access_key,
        "s3_secret_key": swift_s3.secret_key,
        "s3_region": swift_s3.region,
    }


def test_check_counts_postgres_rows_and_reads_a_media_sample(
    tmp_path: Path, postgres_database_factory: Callable[[], str], media_settings: dict[str, str]
) -> None:
    settings = {"database_url": postgres_database_factory(), **media_settings}
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
        # With S3, the check runs on another node, whose data directory caches none of the media.
        node = tmp_path / ("check-node" if media_settings else "api-node")
        env = {"COLUMNS": "200", **{f"ENCORE_{k.upper()}": v for k, v in settings.items()}}
        check = ["backup", "check", "--data", str(node), "--sample", "3"]
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
