"""A measurement, not a registered benchmark: does `FfmpegTranscoder` add time to ffmpeg?

    .venv/bin/python bench/_transcode_overhead.py [--quick] [--seconds N] [--rounds N]

Generates a noise-rich stereo source (3 minutes by default), then encodes the full ladder
(24/96/160/320 kbps Vorbis and FLAC, one rung after the other) alternately through the adapter
and through the same ffmpeg command lines run directly, and prints the median wall and CPU time
of each, and their ratio. The leading underscore keeps it out of `bench/run.py`.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from common import median, print_table, ratio
from encore.adapters.audio.ffmpeg import FfmpegTranscoder, find_ffmpeg
from encore.catalog.audio import LADDER

COMMON = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-filter_threads", "1"]
STREAM = ["-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"]
STREAM += ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-metadata:s:a:0", "encoder="]
STREAM += ["-af", "asetpts=N/SR/TB"]
RUNGS = {
    "24.ogg": ["-c:a", "libvorbis", "-b:a", "24k", "-maxrate", "48k", "-ac", "1", "-ar", "22050"],
    "96.ogg": ["-c:a", "libvorbis", "-b:a", "96k", "-maxrate", "192k", "-ac", "2", "-ar", "44100"],
    "160.ogg": [
        "-c:a",
        "libvorbis",
        "-b:a",
        "160k",
        "-maxrate",
        "320k",
        "-ac",
        "2",
        "-ar",
        "44100",
    ],
    "320.ogg": [
        "-c:a",
        "libvorbis",
        "-b:a",
        "320k",
        "-maxrate",
        "640k",
        "-ac",
        "2",
        "-ar",
        "44100",
    ],
    "lossless.flac": ["-c:a", "flac", "-compression_level", "8"],
}


def generate(target: Path, seconds: int) -> None:
    noise = f"anoisesrc=d={seconds}:c=pink:r=44100:a=0.3"
    chord = f"aevalsrc=0.2*sin(2*PI*220*t)+0.15*sin(2*PI*277.18*t):d={seconds}:s=44100"
    graph = "[0][1]join=inputs=2:channel_layout=stereo[n];[2]pan=stereo|c0=c0|c1=c0[c];"
    graph += "[n][c]amix=inputs=2:normalize=0,volume=0.6[out]"
    command = [str(find_ffmpeg()), *COMMON, "-f", "lavfi", "-i", f"{noise}:s=1", "-f", "lavfi"]
    command += ["-i", f"{noise}:s=2", "-f", "lavfi", "-i", chord, "-filter_complex", graph]
    subprocess.run(
        [*command, "-map", "[out]", "-c:a", "flac", "-sample_fmt", "s16", str(target)], check=True
    )


def raw_ladder(source: Path, folder: Path) -> None:
    for name, codec in RUNGS.items():
        command = [str(find_ffmpeg()), *COMMON, "-threads", "1", "-i", str(source), *STREAM]
        subprocess.run([*command, *codec, "-threads", "1", str(folder / name)], check=True)


def adapter_ladder(source: Path, folder: Path) -> None:
    transcoder = FfmpegTranscoder()
    for spec in LADDER:
        transcoder.encode(source, folder / spec.file_name, spec)


def timed(run: Callable[[Path, Path], None], source: Path, folder: Path) -> tuple[float, float]:
    """Wall and CPU (this process and its children) seconds of one ladder."""
    before, started = os.times(), time.perf_counter()
    run(source, folder)
    wall, after = time.perf_counter() - started, os.times()
    cpu = sum(after[:4]) - sum(before[:4])
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 30 s source, 1 round")
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    seconds, rounds = (30, 1) if args.quick else (args.seconds, args.rounds)
    runs: dict[str, list[tuple[float, float]]] = {"raw ffmpeg": [], "FfmpegTranscoder": []}
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "source.flac"
        generate(source, seconds)
        for index in range(rounds):
            for label, run in (("raw ffmpeg", raw_ladder), ("FfmpegTranscoder", adapter_ladder)):
                folder = Path(work) / f"{label}-{index}".replace(" ", "-")
                folder.mkdir()
                runs[label].append(timed(run, source, folder))
    medians = {
        label: (median([w for w, _ in times]), median([c for _, c in times]))
        for label, times in runs.items()
    }
    raw, adapter = medians["raw ffmpeg"], medians["FfmpegTranscoder"]
    rows: list[list[object]] = [[label, wall, cpu] for label, (wall, cpu) in medians.items()]
    rows.append(["adapter / raw", ratio(adapter[0], raw[0]), ratio(adapter[1], raw[1])])
    print_table(
        f"Full ladder of a {seconds} s stereo source, median of {rounds} (s)",
        ["", "wall", "CPU"],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
