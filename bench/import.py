"""Import throughput: scanning against beets, transcoding against the same ffmpeg runs done raw.

    .venv/bin/python bench/import.py [--quick] [--only scan|transcode]

The library is generated once and cached (bench/_audio_library.py): 520 tagged clips of 4-8 s in
FLAC, Ogg Vorbis, MP3, Opus and AAC (120 with --quick). Every target runs as its own process,
timed from outside (wall clock, and CPU time of the process and its children), and the targets
take turns: 3 rounds (2 with --quick), medians and ratios of medians.

Scanning, against `beet import -A -C -q LIBRARY` (beets in a throwaway venv under bench/.cache,
no autotagging, no copying, a fresh library database each run: it reads tags and writes its
database):
- `encore tags`: what `encore import` does before encoding: walk the library and read every
  file's tags with `MutagenTagReader`, one thread per core (bench/_import_worker.py). The issue
  measures "files/s for tag scanning", so beets/tags is the headline. Target: at least 3.
- `encore catalog`: `encore import --scan-only` (bench/_import_worker.py): walking, hashing, tags
  and the catalog's batched transactions, the encoding left for later; like beets, it writes a
  database, so beets/catalog is reported beside the headline as the stricter comparison.

Transcoding: `encore import LIBRARY --data FRESH --jobs CORES` against the very ffmpeg command
lines Encore runs (recorded beforehand through `FfmpegTranscoder` pointed at a stand-in ffmpeg
that writes down its arguments: every rung that `plan_ladder` picks, and the preview), run
directly by a pool of CORES threads, each waiting on one ffmpeg. Encore's time includes starting
Python, migrating a new database, hashing, storing media and writing the catalog; the raw run's
includes none of that. Target: encore/raw at most 1.10.
"""

import argparse
import os
import resource
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from _audio_library import CACHE_DIR, Library, ensure_library
from common import (
    BENCH_DIR,
    BenchError,
    machine_info,
    median,
    print_table,
    ratio,
    write_results,
)

NAME = "import"
FILES, QUICK_FILES = 520, 120
ROUNDS, QUICK_ROUNDS = 3, 2
SCAN_TARGET = 3.0  # beets' time / Encore's, at least
TRANSCODE_TARGET = 1.10  # Encore's time / raw ffmpeg's, at most
BEETS_REQUIREMENT = "beets==2.14.1"
BEETS_VENV = CACHE_DIR / "beets-venv"
WORKER = BENCH_DIR / "_import_worker.py"
ENCORE = Path(sys.executable).with_name("encore")
SCAN_TARGETS = ("encore tags", "beets", "encore catalog")
TRANSCODE_TARGETS = ("encore import", "raw ffmpeg")
# Stands in for ffmpeg while Encore's command lines are recorded: one line per run, arguments
# separated by NUL bytes; the output (the last argument, `file:PATH`) is left as an empty file.
SHIM = """#!/bin/sh
for last; do :; done
{ printf '%s\\0' "$@"; printf '\\n'; } >> LOG
case "$last" in file:*) : > "${last#file:}" ;; esac
"""


@dataclass(frozen=True)
class Run:
    phase: str  # "scan" or "transcode"
    target: str
    round: int
    wall_s: float
    cpu_s: float  # the process's and its children's user + system time
    files: int
    work_s: float | None = None  # as measured inside the process, when it says


@dataclass(frozen=True)
class Encode:
    """One ffmpeg run as Encore makes it; only the output file's place changes."""

    args: tuple[str, ...]  # everything after the executable but the output
    output: str | None  # a file name, or None when the output is not a file (`pipe:1`)

    @property
    def kind(self) -> str:
        """`160.ogg`, `preview.ogg`, `lossless.flac`..., or `analysis` for a decode to a pipe."""
        return self.output.split("-", 1)[1] if self.output else "analysis"

    def command(self, ffmpeg: Path, folder: Path) -> list[str]:
        last = [f"file:{folder / self.output}"] if self.output else []
        return [str(ffmpeg), *self.args, *last]


# --- timing ----------------------------------------------------------------------------------


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(
    command: Sequence[str], *, log: Path, env: dict[str, str] | None = None
) -> tuple[float, float, str]:
    """Run `command` to the end: its wall and CPU seconds, and its stdout (stderr goes to `log`)."""
    cpu_before = children_cpu_s()
    started = time.perf_counter()
    with log.open("ab") as stderr:
        done = subprocess.run(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            check=False,
        )
    wall = time.perf_counter() - started
    cpu = children_cpu_s() - cpu_before
    stdout = done.stdout.decode("utf-8", "replace")
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise BenchError(f"{shlex.join(command)} exited with {done.returncode}:\n{stdout}\n{tail}")
    return wall, cpu, stdout


def clean_env() -> dict[str, str]:
    """This environment without `ENCORE_*`, so that no setting but `--data` reaches Encore."""
    return {key: value for key, value in os.environ.items() if not key.startswith("ENCORE_")}


# --- beets -----------------------------------------------------------------------------------


def ensure_beets() -> tuple[Path, str]:
    """`beet` from a venv of its own (created once, never the project's), and its version."""
    python = BEETS_VENV / "bin" / "python"
    beet = BEETS_VENV / "bin" / "beet"
    if not beet.exists():
        print(f"Installing {BEETS_REQUIREMENT} into {BEETS_VENV} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(BEETS_VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, BEETS_REQUIREMENT], check=True)
    version = subprocess.run(
        [str(python), "-c", "import beets; print(beets.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return beet, version


def beets_config(folder: Path) -> Path:
    config = folder / "config.yaml"
    config.write_text(
        f"directory: {folder / 'music'}\n"
        f"library: {folder / 'library.db'}\n"
        "plugins: []\n"
        "import:\n"
        "  copy: no\n"
        "  move: no\n"
        "  write: no\n"
        "  autotag: no\n"
        "  quiet: yes\n"
        "  resume: no\n"
        "  incremental: no\n"
    )
    return config


def run_beets(beet: Path, library: Library, work: Path, round_: int, *, phase: str = "scan") -> Run:
    folder = Path(tempfile.mkdtemp(prefix="beets-", dir=work))
    config = beets_config(folder)
    env = {**clean_env(), "BEETSDIR": str(folder)}  # its state file and config dir go there
    command = [str(beet), "-c", str(config), "import", "-A", "-C", "-q", str(library.root)]
    wall, cpu, _ = timed(command, log=work / "beets.log", env=env)
    items = count_rows(folder / "library.db", "items")
    if items != library.files:
        raise BenchError(f"beets imported {items} of {library.files} files (see beets.log)")
    shutil.rmtree(folder)
    return Run(phase, "beets", round_, wall, cpu, items)


# --- Encore ----------------------------------------------------------------------------------


def run_worker(
    mode: str, library: Library, work: Path, jobs: int, round_: int, *, phase: str = "scan"
) -> Run:
    import json

    command = [sys.executable, str(WORKER), mode, str(library.root), "--jobs", str(jobs)]
    data = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=work))
    if mode == "catalog":
        command += ["--data", str(data)]
    wall, cpu, stdout = timed(command, log=work / "encore-worker.log", env=clean_env())
    shutil.rmtree(data)
    result = json.loads(stdout.strip().splitlines()[-1])
    if result["files"] != library.files or result["failed"]:
        raise BenchError(f"encore {mode}: {result} for {library.files} files")
    return Run(phase, f"encore {mode}", round_, wall, cpu, result["files"], result["seconds"])


def run_encore_import(
    library: Library, encodes: Sequence[Encode], work: Path, jobs: int, round_: int
) -> Run:
    data = Path(tempfile.mkdtemp(prefix="encore-import-", dir=work))
    command = [str(ENCORE), "import", str(library.root), "--data", str(data), "--jobs", str(jobs)]
    wall, cpu, _ = timed(command, log=work / "encore-import.log", env=clean_env())
    tracks = count_rows(data / "encore.db", "tracks")
    renditions = count_rows(data / "encore.db", "renditions")
    expected = sum(encode.output is not None for encode in encodes)
    if tracks != library.files or renditions != expected:
        raise BenchError(
            f"encore import: {tracks} tracks and {renditions} renditions, expected "
            f"{library.files} and {expected} (see encore-import.log)"
        )
    shutil.rmtree(data)
    return Run("transcode", "encore import", round_, wall, cpu, tracks)


def count_rows(database: Path, table: str) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        (count,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
    connection.close()
    return int(count)


# --- raw ffmpeg ------------------------------------------------------------------------------


def record_encodes(library: Library, work: Path) -> list[Encode]:
    """The ffmpeg runs of an import of `library`, as `FfmpegTranscoder` makes them, in order.

    The importer runs in this process with one job, a transcoder whose ffmpeg is `SHIM`, and a
    media store that keeps nothing; nothing is encoded.
    """
    from _import_worker import NoMedia
    from encore.adapters.audio.ffmpeg import FfmpegTranscoder
    from encore.adapters.audio.tags import MutagenTagReader
    from encore.bootstrap import bootstrap
    from encore.catalog.import_summary import Status
    from encore.catalog.importer import AudioImporter
    from encore.catalog.transcode_worker import TranscodeWorker
    from encore.config import load_settings

    folder = work / "record"
    folder.mkdir()
    log, shim = folder / "ffmpeg-args", folder / "ffmpeg"
    shim.write_text(SHIM.replace("LOG", shlex.quote(str(log))))
    shim.chmod(0o755)
    services = bootstrap(load_settings(data_dir=folder / "data"))
    try:
        media, queue = NoMedia(), services.transcode_queue()
        worker = TranscodeWorker(
            queue=queue,
            transcoder=FfmpegTranscoder(ffmpeg=shim),
            media=media,
            uow=services.uow,
            scratch_dir=folder / "data" / "scratch",
            heartbeat_s=20.0,
        )
        importer = AudioImporter(
            uow=services.uow, tags=MutagenTagReader(), queue=queue, media=media, worker=worker
        )
        summary = importer.run([library.root], jobs=1)
    finally:
        services.close()
    if summary.count(Status.IMPORTED) != library.files:
        failures = [(outcome.path, outcome.reason) for outcome in summary.failures[:5]]
        raise BenchError(f"recording: {summary.count(Status.IMPORTED)} imported; {failures}")
    encodes = []
    for index, line in enumerate(log.read_bytes().splitlines()):
        args = [os.fsdecode(arg) for arg in line.split(b"\0")[:-1]]
        if args[-1].startswith("file:"):
            # `.{name}.{random}.part` beside the target: keep `{name}`.
            name = Path(args[-1]).name.removeprefix(".").rsplit(".", 2)[0]
            encodes.append(Encode(tuple(args[:-1]), f"{index:05d}-{name}"))
        else:
            encodes.append(Encode(tuple(args), None))
    shutil.rmtree(folder)
    return encodes


def run_raw(encodes: Sequence[Encode], ffmpeg: Path, work: Path, jobs: int, round_: int) -> Run:
    folder = Path(tempfile.mkdtemp(prefix="raw-", dir=work))

    def encode(item: Encode) -> None:
        done = subprocess.run(
            item.command(ffmpeg, folder),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"raw ffmpeg failed: {done.stderr.decode(errors='replace')[-2000:]}")

    cpu_before = children_cpu_s()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(encode, encodes))
    wall = time.perf_counter() - started
    cpu = children_cpu_s() - cpu_before
    written = sum(1 for path in folder.iterdir() if path.stat().st_size > 0)
    if written != sum(item.output is not None for item in encodes):
        raise BenchError(f"raw ffmpeg wrote {written} non-empty files for {len(encodes)} runs")
    shutil.rmtree(folder)
    files = len({arg for item in encodes for arg in item.args if arg.startswith("file:")})
    return Run("transcode", "raw ffmpeg", round_, wall, cpu, files)


# --- figures ---------------------------------------------------------------------------------


def summary(runs: Sequence[Run]) -> dict[str, Any]:
    wall = median([run.wall_s for run in runs])
    files = runs[0].files
    work = [run.work_s for run in runs if run.work_s is not None]
    figures: dict[str, Any] = {
        "runs": len(runs),
        "files": files,
        "wall_s": wall,
        "files_per_s": files / wall,
        "cpu_s": median([run.cpu_s for run in runs]),
    }
    if work:
        figures["work_s"] = median(work)
        figures["work_files_per_s"] = files / median(work)
    return figures


def per_round_ratio(runs: Sequence[Run], numerator: str, denominator: str) -> float:
    by_round: dict[int, dict[str, float]] = {}
    for run in runs:
        by_round.setdefault(run.round, {})[run.target] = run.wall_s
    return median([ratio(times[numerator], times[denominator]) for times in by_round.values()])


def scan_figures(runs: Sequence[Run], startups: Sequence[Run]) -> dict[str, Any]:
    targets = {name: summary([run for run in runs if run.target == name]) for name in SCAN_TARGETS}
    for name, figures in targets.items():
        # Less the same process on an empty folder: files/s once started, whatever the count.
        startup = median([run.wall_s for run in startups if run.target == name])
        figures["startup_s"] = startup
        figures["steady_files_per_s"] = figures["files"] / (figures["wall_s"] - startup)
    beets, catalog, tags = targets["beets"], targets["encore catalog"], targets["encore tags"]
    # The target is on tag scanning; the catalog-writing scan is reported beside it.
    headline = ratio(beets["wall_s"], tags["wall_s"])
    with_writes = ratio(beets["wall_s"], catalog["wall_s"])
    return {
        "encore_tags": tags,
        "encore_catalog": catalog,
        "beets": beets,
        "beets_over_encore_catalog": with_writes,
        "beets_over_encore_catalog_per_round": per_round_ratio(runs, "beets", "encore catalog"),
        "beets_over_encore_catalog_steady": ratio(
            catalog["steady_files_per_s"], beets["steady_files_per_s"]
        ),
        "beets_over_encore_tags": headline,
        "beets_over_encore_tags_per_round": per_round_ratio(runs, "beets", "encore tags"),
        "beets_over_encore_tags_steady": ratio(
            tags["steady_files_per_s"], beets["steady_files_per_s"]
        ),
        "headline": "beets_over_encore_tags",
        "target": SCAN_TARGET,
        "target_met": headline >= SCAN_TARGET,
        "catalog_target_met": with_writes >= SCAN_TARGET,
    }


def transcode_figures(runs: Sequence[Run]) -> dict[str, Any]:
    encore = summary([run for run in runs if run.target == "encore import"])
    raw = summary([run for run in runs if run.target == "raw ffmpeg"])
    wall = ratio(encore["wall_s"], raw["wall_s"])
    return {
        "encore_import": encore,
        "raw_ffmpeg": raw,
        "encore_over_raw": wall,
        "encore_over_raw_per_round": per_round_ratio(runs, "encore import", "raw ffmpeg"),
        "encore_over_raw_cpu": ratio(encore["cpu_s"], raw["cpu_s"]),
        "target": TRANSCODE_TARGET,
        "target_met": wall <= TRANSCODE_TARGET,
    }


def print_scan(figures: dict[str, Any], files: int, rounds: int) -> None:
    rows: list[list[object]] = []
    labels = {
        "encore_tags": "encore tags",
        "encore_catalog": "encore catalog",
        "beets": "beets import -A -C",
    }
    for key, label in labels.items():
        target = figures[key]
        work = target.get("work_s")
        rows.append(
            [
                label,
                target["wall_s"],
                target["files_per_s"],
                target["cpu_s"],
                target["startup_s"],
                target["steady_files_per_s"],
                "" if work is None else work,
            ]
        )
    print_table(
        f"Scanning {files} files, median of {rounds} rounds (s; whole processes)",
        ["", "wall", "files/s", "CPU", "empty run", "files/s less that", "work inside"],
        rows,
    )
    print_table(
        f"beets / Encore (target: at least {SCAN_TARGET:g})",
        ["", "wall, medians", "wall, per round", "less startup"],
        [
            [
                "beets / encore catalog",
                figures["beets_over_encore_catalog"],
                figures["beets_over_encore_catalog_per_round"],
                figures["beets_over_encore_catalog_steady"],
            ],
            [
                "beets / encore tags (headline)",
                figures["beets_over_encore_tags"],
                figures["beets_over_encore_tags_per_round"],
                figures["beets_over_encore_tags_steady"],
            ],
        ],
    )


def print_transcode(figures: dict[str, Any], encodes: int, rounds: int) -> None:
    encore, raw = figures["encore_import"], figures["raw_ffmpeg"]
    print_table(
        f"Transcoding {encore['files']} files ({encodes} ffmpeg runs), median of {rounds} rounds",
        ["", "wall s", "files/s", "CPU s"],
        [
            ["encore import", encore["wall_s"], encore["files_per_s"], encore["cpu_s"]],
            ["raw ffmpeg (same commands)", raw["wall_s"], raw["files_per_s"], raw["cpu_s"]],
            [
                f"encore / raw (target: at most {TRANSCODE_TARGET:.2f})",
                figures["encore_over_raw"],
                f"per round: {figures['encore_over_raw_per_round']:.3f}",
                figures["encore_over_raw_cpu"],
            ],
        ],
    )


def versions(beets: str | None, ffmpeg: Path) -> dict[str, Any]:
    found: dict[str, Any] = {"beets": beets, "ffmpeg_path": str(ffmpeg)}
    for name in ("mutagen", "sqlalchemy"):
        found[name] = metadata.version(name)
    banner = subprocess.run([str(ffmpeg), "-version"], capture_output=True, text=True, check=False)
    found["ffmpeg"] = banner.stdout.splitlines()[0] if banner.stdout else None
    return found


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="120 files, 2 rounds")
    parser.add_argument("--only", choices=("scan", "transcode"), help="one half of the benchmark")
    args = parser.parse_args()
    files, rounds = (QUICK_FILES, QUICK_ROUNDS) if args.quick else (FILES, ROUNDS)
    machine = machine_info()
    jobs = len(os.sched_getaffinity(0))
    for key in [key for key in os.environ if key.startswith("ENCORE_")]:
        print(f"note: ignoring {key} from the environment")
        del os.environ[key]
    if not ENCORE.exists():
        raise BenchError(f"no `encore` command beside {sys.executable}; install the project")
    from encore.adapters.audio.ffmpeg import find_ffmpeg

    ffmpeg = find_ffmpeg()
    library = ensure_library(files, jobs=jobs)
    beet, beets_version = ensure_beets() if args.only != "transcode" else (None, None)
    runs: list[Run] = []
    payload: dict[str, Any] = {
        "parameters": {
            "files": files,
            "rounds": rounds,
            "jobs": jobs,
            "quick": args.quick,
            "library": {"root": str(library.root), **library.manifest},
            "beets_command": "beet -c CONFIG import -A -C -q LIBRARY (fresh BEETSDIR each run)",
            "encore_command": f"encore import LIBRARY --data FRESH --jobs {jobs}",
            "versions": versions(beets_version, ffmpeg),
        },
        "figures": {},
        "runs": runs,
    }
    with tempfile.TemporaryDirectory(prefix="encore-bench-import-") as scratch:
        work = Path(scratch)
        empty = Library(work / "empty", {"files": 0})
        empty.root.mkdir()
        if beet is not None:
            print(f"Scanning: {' / '.join(SCAN_TARGETS)}, {rounds} rounds", flush=True)
            # Not measured: the page cache, .pyc files, beets' first start.
            run_worker("tags", library, work, jobs, 0)
            run_beets(beet, library, work, 0)
            for round_ in range(1, rounds + 1):
                runs.append(run_worker("tags", library, work, jobs, round_))
                runs.append(run_beets(beet, library, work, round_))
                runs.append(run_worker("catalog", library, work, jobs, round_))
                # The same on an empty folder: starting up, opening or creating the database.
                runs.append(run_worker("tags", empty, work, jobs, round_, phase="startup"))
                runs.append(run_beets(beet, empty, work, round_, phase="startup"))
                runs.append(run_worker("catalog", empty, work, jobs, round_, phase="startup"))
                print("  " + _round_line(runs[-6:]), flush=True)
            scan = scan_figures(
                [run for run in runs if run.phase == "scan"],
                [run for run in runs if run.phase == "startup"],
            )
            payload["figures"]["scan"] = scan
        if args.only != "scan":
            encodes = record_encodes(library, work)
            payload["parameters"]["ffmpeg_runs"] = len(encodes)
            payload["parameters"]["ffmpeg_runs_by_output"] = dict(
                sorted(Counter(encode.kind for encode in encodes).items())
            )
            print(f"Transcoding: {len(encodes)} ffmpeg runs, {rounds} rounds", flush=True)
            for round_ in range(1, rounds + 1):
                runs.append(run_encore_import(library, encodes, work, jobs, round_))
                runs.append(run_raw(encodes, ffmpeg, work, jobs, round_))
                print("  " + _round_line(runs[-2:]), flush=True)
            transcode = transcode_figures([run for run in runs if run.phase == "transcode"])
            payload["figures"]["transcode"] = transcode
    payload["runs"] = [asdict(run) for run in runs]
    print()
    if "scan" in payload["figures"]:
        print_scan(payload["figures"]["scan"], files, rounds)
    if "transcode" in payload["figures"]:
        print_transcode(
            payload["figures"]["transcode"], payload["parameters"]["ffmpeg_runs"], rounds
        )
    path = write_results(NAME, payload, machine=machine)
    print(f"\nWrote {path}")
    return 0


def _round_line(runs: Sequence[Run]) -> str:
    return ", ".join(
        f"{run.target}{' (empty)' if run.phase == 'startup' else ''} {run.wall_s:.2f} s"
        for run in runs
    )


if __name__ == "__main__":
    sys.exit(main())
