"""deploy/nginx/render: the operators' tool fills every placeholder, the worker count included."""

import os
import subprocess
from pathlib import Path

import pytest

RENDER = Path(__file__).parents[2] / "deploy" / "nginx" / "render"


def render(tmp_path: Path, **extra: str) -> str:
    variables = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ENCORE_LISTEN": "127.0.0.1:8081",
        "ENCORE_STATE_DIR": str(tmp_path / "state"),
        "ENCORE_MEDIA_ROOT": str(tmp_path / "media"),
        **extra,
    }
    done = subprocess.run(
        [str(RENDER), "local", str(tmp_path / "conf")],
        env=variables,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip()).read_text()


@pytest.mark.parametrize(("given", "rendered"), [({}, "auto"), ({"ENCORE_WORKERS": "1"}, "1")])
def test_the_worker_count_defaults_to_one_per_core(
    tmp_path: Path, given: dict[str, str], rendered: str
) -> None:
    config = render(tmp_path, **given)
    assert f"\nworker_processes {rendered};\n" in config
    assert "@ENCORE_" not in config


def render_fleet(tmp_path: Path, nodes: str) -> subprocess.CompletedProcess[str]:
    variables = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ENCORE_LISTEN": "127.0.0.1:8080",
        "ENCORE_STATE_DIR": str(tmp_path / "state"),
        "ENCORE_CACHE_DIR": str(tmp_path / "cache"),
        "ENCORE_API_NODES": nodes,
    }
    return subprocess.run(
        [str(RENDER), "fleet", str(tmp_path / "conf")],
        env=variables,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_fleet_mode_balances_every_node_and_caches_audio_from_them(tmp_path: Path) -> None:
    done = render_fleet(tmp_path, "10.0.0.1:8101 10.0.0.2:8101 [::1]:8102")
    assert done.returncode == 0, done.stderr
    upstream = (tmp_path / "conf" / "encore-upstream.conf").read_text()
    servers = [line.strip() for line in upstream.splitlines() if "server " in line]
    assert servers == [
        f"server {node} max_fails=2 fail_timeout=5s;"
        for node in ("10.0.0.1:8101", "10.0.0.2:8101", "[::1]:8102")
    ]
    config = Path(done.stdout.strip()).read_text()
    assert "proxy_pass http://encore_api;" in config
    assert "proxy_next_upstream error timeout http_502;" in config
    cache = (tmp_path / "conf" / "encore-audio-cache.conf").read_text()
    assert "proxy_pass http://encore_api;" in cache
    assert "@ENCORE_" not in config + cache


@pytest.mark.parametrize("nodes", ["", "10.0.0.1:8101;evil", "node:80 {"])
def test_the_fleet_mode_refuses_missing_or_malformed_nodes(tmp_path: Path, nodes: str) -> None:
    done = render_fleet(tmp_path, nodes)
    assert done.returncode == 2
    assert "ENCORE_API_NODES" in done.stderr
