"""deploy/compose.yaml and deploy/systemd: what can be checked without a Docker engine or a
booted systemd. Encore's containers and units are configured by real settings only, images are
pinned, every long-running service has a health check and starts after what it needs, and
systemd itself accepts the units."""

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from encore.config import Settings

DEPLOY = Path(__file__).parents[2] / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
UNITS = DEPLOY / "systemd"
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")
# What deploy/.env gives the variables compose interpolates (compose.env.example's shape).
SAMPLE_ENV = {
    "POSTGRES_PASSWORD": "pg-secret",
    "ENCORE_SECRET_KEY": "k" * 40,
    "ENCORE_STREAM_SIGNING_KEYS": "s" * 40,
    "TYPESENSE_API_KEY": "typesense-secret",
    "S3_SECRET_KEY": "s3-secret-key",
}


def _setting_variables() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(field.alias or f"ENCORE_{name.upper()}")
    return names


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def _interpolated(value: str) -> str:
    return INTERPOLATION.sub(lambda match: SAMPLE_ENV[match.group(1)], value)


def _encore_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose["services"].items()
        if str(service.get("image", "")).startswith("encore:")
    }


def test_encore_services_are_configured_by_real_settings_only(compose: dict[str, Any]) -> None:
    known = _setting_variables()
    services = _encore_services(compose)
    assert {"migrate", "api", "consumers", "transcode", "batch"} <= set(services)
    for name, service in services.items():
        environment = service["environment"]
        unknown = {key for key in environment if key.startswith("ENCORE_")} - known
        assert not unknown, f"{name}: not Encore settings: {sorted(unknown)}"


def test_the_compose_environment_is_valid_settings_for_the_scale_engines(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [key for key in os.environ if key.startswith("ENCORE_")]:
        monkeypatch.delenv(key)
    for key, value in compose["x-encore-environment"].items():
        monkeypatch.setenv(key, _interpolated(str(value)))
    settings = Settings()
    assert settings.database_url is not None and settings.database_url.startswith("postgresql")
    assert (settings.event_log, settings.search_backend, settings.media_backend) == (
        "nats",
        "typesense",
        "s3",
    )
    assert settings.run_consumers is False
    assert settings.recommend_check_s == 0
    assert set(settings.cdn_origins) == {"us", "eu", "asia"}


def test_every_image_is_pinned_to_a_version(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: {image} is not pinned"
        assert re.search(r"\d+\.\d+", tag) or tag.startswith("RELEASE."), f"{name}: {image}"


def test_every_long_running_service_is_health_checked_and_restarted(
    compose: dict[str, Any],
) -> None:
    one_shot = {"migrate", "batch"}
    for name, service in compose["services"].items():
        if name in one_shot:
            continue
        check = service.get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
        assert service.get("restart") in ("always", "unless-stopped"), name


def test_services_start_after_what_they_need(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for needed, condition in service.get("depends_on", {}).items():
            assert needed in services, f"{name} depends on unknown {needed}"
            wanted = "service_completed_successfully" if needed == "migrate" else "service_healthy"
            assert condition["condition"] == wanted, (name, needed)
    for name in set(_encore_services(compose)) - {"migrate"}:
        assert "migrate" in services[name]["depends_on"], name
    assert "postgres" in services["migrate"]["depends_on"]
    edge = services["edge"]
    assert edge["environment"]["ENCORE_API_NODES"] == "api:8080"
    assert "api" in edge["depends_on"]
    assert (
        edge["environment"]["ENCORE_STREAM_KEYS"]
        == (compose["x-encore-environment"]["ENCORE_STREAM_SIGNING_KEYS"])
    )


def test_every_variable_compose_interpolates_is_in_the_example_env() -> None:
    example = (DEPLOY / "compose.env.example").read_text()
    given = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}
    used = set(INTERPOLATION.findall(COMPOSE.read_text()))
    assert used == given == set(SAMPLE_ENV)


def _unit_files() -> list[Path]:
    return sorted(path for path in UNITS.iterdir() if path.suffix in (".service", ".timer"))


def test_the_units_read_only_real_settings() -> None:
    known = _setting_variables()
    example = (UNITS / "encore.env.example").read_text()
    variables = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}
    for unit in _unit_files():
        variables |= set(re.findall(r"^Environment=(ENCORE_\w+)=", unit.read_text(), re.M))
    variables -= {"ENCORE_STATE_DIR"}  # the edge's, read by deploy/nginx/render
    assert variables - known == set()


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    program = shutil.which("systemd-analyze")
    if program is None:
        pytest.skip("systemd-analyze is not installed")
    encore = shutil.which("encore", path=str(Path(__file__).parents[2] / ".venv" / "bin"))
    encore = encore or shutil.which("encore")
    assert encore is not None, "the encore program (pip install -e .)"
    # As installed under /opt/encore; here the repository's and the virtualenv's programs.
    for unit in _unit_files():
        text = unit.read_text().replace("/opt/encore/bin/encore", encore)
        text = text.replace("/opt/encore/deploy", str(DEPLOY))
        (tmp_path / unit.name).write_text(text)
    instances = ["encore-api@8101.service", "encore-worker-transcode@1.service"]
    for instance in instances:
        template = instance.split("@")[0] + "@.service"
        (tmp_path / instance).write_text((tmp_path / template).read_text())
    names = [path.name for path in _unit_files() if "@." not in path.name] + instances
    done = subprocess.run(
        [program, "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Unknown keys and bad values are warnings with exit status 0: none is allowed either.
    assert (done.returncode, done.stderr.strip()) == (0, "")
