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
