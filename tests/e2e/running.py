"""`encore serve` as a real process on a free port, for tests that need bytes on the wire."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_encore(data: Path, *, timeout_s: float = 30) -> Iterator[int]:
    """Serve the instance in `data`; yields its port once it accepts connections."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "encore", "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ENCORE_DATA": ""},
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
        yield port
    finally:
        process.terminate()
        process.communicate(timeout=10)
