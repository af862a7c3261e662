"""Fixtures of the documentation tests: a small music folder for the pages' `~/Music`."""

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from tests.e2e.conftest import make_services, migrated_database, services

__all__ = ["make_services", "migrated_database", "music", "services"]

# Two short tagged pieces, as a reader's own music folder would hold (FLAC and MP3).
TRACKS = [
    ("01 First Light.flac", "First Light", 440),
    ("02 Second Wind.mp3", "Second Wind", 660),
]


@pytest.fixture(scope="session")
def music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("music") / "The Docs Band" / "Sandbox Sessions"
    folder.mkdir(parents=True)
    for number, (name, title, frequency) in enumerate(TRACKS, start=1):
        subprocess.run(
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                *("-loglevel", "error", "-f", "lavfi"),
                *("-i", f"sine=frequency={frequency}:duration=4"),
                *("-metadata", f"title={title}", "-metadata", "artist=The Docs Band"),
                *("-metadata", "album=Sandbox Sessions", "-metadata", f"track={number}"),
                *("-metadata", "date=2026", "-metadata", "genre=Ambient"),
                str(folder / name),
            ],
            check=True,
        )
    return folder.parent.parent
