"""`encore import` of the real Spotify songs feed (../shared/data/spotify-songs): every complete
track once, exactly the incomplete rows reported, real values through the catalog service, and a
second run that changes nothing.

The expectations are worked out here from the file with the csv module, not taken from the
importer. Without the shared data the tests skip, or fail under CI, through `require_server`.
"""

import csv
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from encore.bootstrap import Services, bootstrap
from encore.catalog.model import ExternalKind
from encore.cli import app
from encore.config import load_settings
from tests.servers import require_server

FEED = Path(__file__).parents[2].parent / "shared" / "data" / "spotify-songs" / "spotify_songs.csv"
NAMESPACE = "feed:spotify_songs"
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Expected:
    tracks: int
    incomplete_lines: list[int]


@dataclass(frozen=True)
class Run:
    code: int
    output: str
    seconds: float


@pytest.fixture(scope="module")
def expected() -> Expected:
    if not FEED.is_file():
        require_server("The shared Spotify songs feed", f"{FEED} is missing (see ../shared/data)")
    complete: set[str] = set()
    incomplete: list[int] = []
    with FEED.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        for row in rows:
            if row["track_name"] in ("", "NA") or row["track_artist"] in ("", "NA"):
                incomplete.append(rows.line_num)
            else:
                complete.add(row["track_id"])
    return Expected(len(complete), incomplete)


@pytest.fixture(scope="module")
def runs(expected: Expected, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run, Run]:
    data = tmp_path_factory.mktemp("feed")

    def run() -> Run:
        started = time.perf_counter()
        result = CliRunner().invoke(
            app, ["import", str(FEED), "--data", str(data)], env={"COLUMNS": "200"}
        )
        return Run(result.exit_code, result.output, time.perf_counter() - started)

    return data, run(), run()


@pytest.fixture
def services(runs: tuple[Path, Run, Run]) -> Iterator[Services]:
    services = bootstrap(load_settings(data_dir=runs[0]))
    yield services
    services.close()


def counts(output: str) -> tuple[int, ...]:
    """imported, updated, unchanged, failed from the summary table."""
    row = re.search(r"│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│", output)
    assert row is not None, output
    return tuple(int(n) for n in row.groups())


def test_every_complete_track_once_and_only_the_incomplete_rows_reported(
    expected: Expected, runs: tuple[Path, Run, Run], services: Services
) -> None:
    _, first, _ = runs
    assert first.code == 0, first.output
    assert len(expected.incomplete_lines) == 5
    assert counts(first.output) == (expected.tracks, 0, 0, 5)
    reported = [int(n) for n in re.findall(r"spotify_songs\.csv:(\d+)", first.output)]
    assert reported == expected.incomplete_lines
    assert first.output.count("no title and no artist") == 5
    with services.uow(readonly=True) as unit:
        assert len(unit.external_ids.in_namespace(NAMESPACE, ExternalKind.TRACK)) == expected.tracks
    # The whole feed in well under a minute (about 5 s when the machine is idle).
    assert first.seconds < 40, first.seconds


def test_a_real_track_through_the_catalog(services: Services) -> None:
    with services.uow(readonly=True) as unit:
        track_id = unit.external_ids.in_namespace(NAMESPACE, ExternalKind.TRACK)[
            "6oJ6le65B3SEqPwMRNXWjY"
        ]
    detail = services.catalog.get_track(track_id)
    assert detail.track.title == "Higher Love"
    assert [artist.name for artist in detail.artists] == ["Kygo"]
    assert detail.album.name == "Higher Love"
    assert detail.track.popularity == 87
    assert detail.track.duration_ms == 228267
    # Eight playlists' genres and sub-genres, each once, in the order the rows give them.
    assert detail.track.genres == (
        "pop", "dance pop", "indie poptimism", "latin", "tropical", "latin pop",
        "latin hip hop", "r&b", "hip pop", "edm", "big room", "pop edm",
    )  # fmt: skip
    assert services.catalog.get_album(detail.album.id).album.release_date_text == "2019-06-28"
    with services.uow(readonly=True) as unit:
        assert unit.renditions.list_for_track(track_id) == []


def test_a_second_run_changes_nothing(expected: Expected, runs: tuple[Path, Run, Run]) -> None:
    _, _, second = runs
    assert second.code == 0, second.output
    assert counts(second.output) == (0, 0, expected.tracks, 5)
