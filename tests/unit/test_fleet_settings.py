"""deploy/fleet.py hands every process its topology as settings (DATA/encore.toml): what the
file says is what Encore, reading it as any installation would, runs on."""

from pathlib import Path

import pytest

from deploy.fleet import Fleet, FleetSpec, S3Config
from encore.config import load_settings


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("ENCORE_CONFIG", "ENCORE_EVENT_LOG", "ENCORE_SEARCH_BACKEND"):
        monkeypatch.delenv(key, raising=False)


def test_the_settings_file_selects_every_scale_engine(tmp_path: Path) -> None:
    s3 = S3Config(endpoint_url="http://127.0.0.1:9000", access_key="a", secret_key="b")
    fleet = Fleet(tmp_path, FleetSpec(api_nodes=3, s3=s3, extra_settings={"access_log": True}))
    fleet.database_url = "postgresql+psycopg://postgres@127.0.0.1:5432/encore_fleet_x"
    fleet.data_dir.mkdir(parents=True)
    fleet.write_settings()

    settings = load_settings(data_dir=fleet.data_dir)

    assert settings.database_url == fleet.database_url
    assert (settings.event_log, settings.nats_url) == ("nats", fleet.nats_url)
    assert settings.search_backend == "typesense"
    assert settings.typesense_url.endswith(f":{fleet.typesense_port}")
    assert (settings.media_backend, settings.s3_bucket) == ("s3", s3.bucket)
    assert settings.run_consumers is False
    assert settings.recommend_check_s == 0
    assert settings.cdn_origins == {region: [fleet.url] for region in ("us", "eu", "asia")}
    assert [key.get_secret_value() for key in settings.stream_signing_keys] == [fleet.signing_key]
    assert settings.access_log is True  # extra settings win over the fleet's own


def test_a_node_gets_its_port_and_nothing_of_the_callers_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENCORE_EVENT_LOG", "sqlite")
    fleet = Fleet(tmp_path)
    environment = fleet.environment(ENCORE_PORT="8101")
    assert environment["ENCORE_DATA"] == str(fleet.data_dir)
    assert environment["ENCORE_PORT"] == "8101"
    assert "ENCORE_EVENT_LOG" not in environment
