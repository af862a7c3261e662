"""An import whose media store is a real S3 API (Swift's s3api): renditions and covers land in
the bucket, readable by range, and a second run stores nothing again."""

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from encore.bootstrap import Services, bootstrap, make_importer
from encore.catalog.import_summary import Status
from encore.catalog.model import Quality
from encore.config import load_settings
from tests.integration.swift import S3Endpoint
from tests.servers import require_server

AUDIO = Path(__file__).parents[2].parent / "shared" / "data" / "audio"
pytestmark = [pytest.mark.s3, pytest.mark.slow]


@pytest.fixture
def services(tmp_path: Path, swift_s3: S3Endpoint) -> Iterator[Services]:
    if not AUDIO.is_dir():
        require_server("The shared audio data", f"{AUDIO} is missing (see ../shared/data)")
    settings = load_settings(
        data_dir=tmp_path,
        media_backend="s3",
        s3_bucket=f"encore-import-{secrets.token_hex(4)}",
        s3_endpoint_url=swift_s3.url,
        s3_access_key=swift_s3.access_key,
        s3_secret_key=swift_s3.secret_key,
        s3_region=swift_s3.region,
    )
    services = bootstrap(settings)
    yield services
    services.close()


def test_import_stores_renditions_in_s3(services: Services) -> None:
    sources = [AUDIO / "Kevin_MacLeod_-_Vibe_Ace.ogg", AUDIO / "sorohanro_-_solo-trumpet-06.ogg"]
    importer = make_importer(services)
    summary = importer.run(sources, jobs=2)
    assert [o.status for o in summary.outcomes] == [Status.IMPORTED, Status.IMPORTED]
    track_id = summary.outcomes[0].track_id
    assert track_id is not None
    with services.uow(readonly=True) as unit:
        renditions = unit.renditions.list_for_track(track_id)
    assert {r.quality for r in renditions} >= {Quality.LOW, Quality.NORMAL, Quality.PREVIEW}
    for rendition in renditions:
        stored = services.media.stat(rendition.path)
        assert stored is not None
        assert stored.size == rendition.size_bytes
        # Served from the edge's disk cache, filled from the bucket on first use.
        cached = services.media.local_path(rendition.path)
        assert cached is not None and cached.is_relative_to(services.settings.data_dir)
        assert cached.stat().st_size == rendition.size_bytes
        head = b"".join(services.media.read_range(rendition.path, 0, 3))
        assert head == b"OggS"
    cover = services.catalog.get_track(track_id).cover_art_path
    assert cover is not None and services.media.stat(cover) is not None

    again = importer.run(sources, jobs=2)
    assert [o.status for o in again.outcomes] == [Status.UNCHANGED, Status.UNCHANGED]
