"""`encore serve` as a real process on a free port, for tests that need bytes on the wire."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningEncore:
    port: int
    process: "subprocess.Popen[bytes] | None" = None
    # Once stopped: how the process ended and what it printed.
    returncode: int | None = None
    output: bytes = b""


@contextmanager
def running_encore(
    data: Path, *, timeout_s: float = 30, env: dict[str, str] | None = None
) -> Iterator[RunningEncore]:
    """Serve the instance in `data` (a new one if empty), until the block ends; `env` adds
    settings (`ENCORE_*`)."""
    server = RunningEncore(free_port())
    port = server.port
    process = server.process = subprocess.Popen(
        [sys.executable, "-m", "encore", "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ENCORE_DATA": "", **(env or {})},
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        server.output, _ = process.communicate(timeout=10)
        server.returncode = process.returncode
