"""Run every benchmark in bench/ (`make bench`), one after the other.

    .venv/bin/python bench/run.py [--quick] [NAME ...]

A benchmark is any `bench/*.py` except the helpers below; each writes `bench/results/NAME.json`.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
HELPERS = frozenset({"run", "common", "servers"})


def benchmarks() -> list[Path]:
    return sorted(
        path
        for path in BENCH_DIR.glob("*.py")
        if path.stem not in HELPERS and not path.stem.startswith("_")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run every benchmark in bench/.")
    parser.add_argument("--quick", action="store_true", help="passed on to every benchmark")
    parser.add_argument("names", nargs="*", help="only these benchmarks (default: all)")
    args = parser.parse_args(argv)
    scripts = benchmarks()
    if args.names:
        unknown = set(args.names) - {script.stem for script in scripts}
        if unknown:
            parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
        scripts = [script for script in scripts if script.stem in args.names]
    failed: list[str] = []
    for script in scripts:
        print(f"=== {script.stem}", flush=True)
        started = time.monotonic()
        command = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        returncode = subprocess.run(command, check=False).returncode
        print(f"=== {script.stem}: exit {returncode} in {time.monotonic() - started:.0f} s\n")
        if returncode != 0:
            failed.append(script.stem)
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
