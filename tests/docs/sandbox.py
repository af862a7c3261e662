"""Running a page's shell commands as a reader would, in a throwaway checkout-like directory."""

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from docsite.commands import Block, serves

from tests.e2e.running import free_port

ROOT = Path(__file__).resolve().parents[2]
# What a reader's checkout has that the commands use; linked, never copied or written.
CHECKOUT = ("Makefile", "pyproject.toml", "requirements.lock", "src", "deploy", "bench")
CHECKOUT += ("docs", "docsite", "mkdocs.yml", "README.md")
DOCS_PORT = "8080"
# The demo `make run` builds on a first start, small enough for a test.
SMALL_DEMO = "--pieces 6 --listeners 3 --catalog-size 20 --weeks 1"
SERVER_START_S = 300

PREAMBLE = r"""
set -euo pipefail
# A reader sees a 4xx; the test must fail on it.
curl() { command curl --fail-with-body "$@"; }
__servers=()
__alive() {  # PID: running (an exited child stays a zombie until the script ends)
  local state
  state=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $state != Z && $state != X ]]
}
__stop() {
  for pid in "${__servers[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${__servers[@]}"; do
    for _ in $(seq 100); do __alive "$pid" || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
}
trap __stop EXIT
trap 'exit 143' TERM INT  # so that the EXIT trap stops the servers
__serve() {  # LOG COMMAND: run it in a session of its own, wait for /healthz
  local log=$1; shift
  setsid bash -c "$1" >"$log" 2>&1 &
  __servers+=($!)
  local pid=$!
  for _ in $(seq __WAIT_TENTHS__); do
    if command curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then
      return 0
    fi
    if ! __alive "$pid"; then
      echo "the server stopped; its output:"; cat "$log"; return 1
    fi
    sleep 0.1
  done
  echo "no answer on /healthz; the server's output:"; cat "$log"; return 1
}
"""


@dataclass
class PageRun:
    returncode: int
    output: str


def make_sandbox(directory: Path, music: Path) -> dict[str, str]:
    """Fill `directory` with the checkout's links and a home with `~/Music`; the environment."""
    for name in CHECKOUT:
        (directory / name).symlink_to(ROOT / name)
    # The checkout's environment, behind a stamp of the sandbox's own, newer than the pins: make
    # must never reinstall it from here (pip would write the sandbox's path into its scripts).
    venv = directory / ".venv"
    venv.mkdir()
    for entry in (ROOT / ".venv").iterdir():
        if entry.name != ".installed":
            (venv / entry.name).symlink_to(entry)
    (venv / ".installed").touch()
    home = directory / "home"
    shutil.copytree(music, home / "Music")
    port = str(free_port())
    env = {key: value for key, value in os.environ.items() if not key.startswith("ENCORE_")}
    env.update(
        HOME=str(home),
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}",
        PORT=port,
        ENCORE_PORT=port,
        DEMO_OPTIONS=SMALL_DEMO,
        NO_MKDOCS_2_WARNING="1",
    )
    return env


def script(blocks: list[Block], port: str) -> str:
    """One bash script running every command of the page, each announced before it runs."""
    lines = [PREAMBLE.replace("__WAIT_TENTHS__", str(SERVER_START_S * 10))]
    servers = 0
    for block in blocks:
        for command in block.commands:
            text = command.replace(DOCS_PORT, port)
            lines.append(f"printf '\\n>>> %s (%s)\\n' {shlex.quote(text)} {block.where}")
            if serves(text):
                servers += 1
                lines.append(f"__serve server-{servers}.log {shlex.quote(text)}")
            else:
                lines.append(text)
    return "\n".join(lines) + "\n"


def run_page(blocks: list[Block], directory: Path, music: Path, timeout_s: float) -> PageRun:
    env = make_sandbox(directory, music)
    (directory / "page.sh").write_text(script(blocks, env["PORT"]))
    process = subprocess.Popen(
        ["/bin/bash", "page.sh"],
        cwd=directory,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        output = _stop(process) + f"\n(stopped after {timeout_s:.0f} s)".encode()
    except BaseException:  # pytest's own timeout, Ctrl-C: leave no server behind
        _stop(process)
        raise
    return PageRun(process.returncode, output.decode(errors="replace"))


def _stop(process: "subprocess.Popen[bytes]") -> bytes:
    # The script and its foreground command; its EXIT trap stops the servers it started.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return output
