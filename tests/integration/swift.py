"""OpenStack Swift with s3api: the real S3 API that the `s3` tests run on.

Swift comes from Debian's packages (`swift-proxy`, `swift-account`, `swift-container`,
`swift-object`, `memcached`), installed with apt-get on first use when running as root. A
single-node cluster (one replica, one device that is a plain directory) is built under a temporary
directory and its five processes (memcached, account, container, object, proxy) run on free ports
for the session. The proxy's pipeline has `s3api` before `tempauth`, so the S3 access key is the
tempauth user `test:tester` and the secret its key `testing`.

The fixtures are defined here and imported by the conftests that need them (`tests/contract`,
`tests/integration`). However many directories import them, one cluster serves the session.
"""

import http.client
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from tests import servers

if TYPE_CHECKING:
    from encore.adapters.media.s3 import S3MediaStore

PACKAGES = ("swift-proxy", "swift-account", "swift-container", "swift-object", "memcached")
SERVERS = ("account", "container", "object", "proxy")
ACCESS_KEY = "test:tester"
SECRET_KEY = "testing"
REGION = "us-east-1"
SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, which holds the `swift` package
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
INSTALL_TIMEOUT_S = 600.0


class S3StoreFactory(Protocol):
    """Makes an `S3MediaStore` on a new, empty bucket; options go to its constructor."""

    def __call__(self, **options: Any) -> "S3MediaStore": ...


class SwiftUnavailable(Exception):
    """Swift could not be installed or started; the message says why."""


@dataclass(frozen=True, slots=True)
class S3Endpoint:
    url: str
    access_key: str
    secret_key: str
    region: str


def _executable(name: str) -> str | None:
    return shutil.which(name, path="/usr/bin:/usr/sbin:/bin:/sbin")


def _missing_programs() -> list[str]:
    wanted = [f"swift-{name}-server" for name in SERVERS] + ["memcached"]
    return [name for name in wanted if _executable(name) is None]


def ensure_installed() -> None:
    """Install the Debian packages unless their programs are there already (needs root)."""
    if not _missing_programs():
        return
    apt_get = _executable("apt-get")
    command = f"apt-get install {' '.join(PACKAGES)}"
    if apt_get is None or os.geteuid() != 0:
        raise SwiftUnavailable(f"{', '.join(_missing_programs())} missing; run `{command}` as root")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for arguments in (
        [apt_get, "update", "-qq"],
        [apt_get, "install", "-y", "-qq", "--no-install-recommends", *PACKAGES],
    ):
        try:
            result = subprocess.run(
                arguments,
                env=environment,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SwiftUnavailable(f"`{' '.join(arguments)}` timed out") from None
        if result.returncode != 0:
            tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
            raise SwiftUnavailable(f"`{' '.join(arguments)}` failed: {tail}")
    if missing := _missing_programs():
        raise SwiftUnavailable(f"{', '.join(missing)} still missing after `{command}`")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_RING_SCRIPT = """
import sys
from swift.common.ring import RingBuilder

swift_dir = sys.argv[1]
for name, port in zip(("account", "container", "object"), sys.argv[2:]):
    builder = RingBuilder(6, 1, 1)  # 64 partitions, 1 replica, 1 hour between moves
    builder.add_dev({"id": 0, "region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
                     "device": "d1", "weight": 100})
    builder.rebalance()
    builder.get_ring().save(f"{swift_dir}/{name}.ring.gz")
"""


def _storage_config(*, name: str, port: int, swift_dir: Path, user: str) -> str:
    return textwrap.dedent(f"""\
        [DEFAULT]
        bind_ip = 127.0.0.1
        bind_port = {port}
        workers = 0
        user = {user}
        swift_dir = {swift_dir}
        devices = {swift_dir / "node"}
        mount_check = false
        log_name = {name}-server

        [pipeline:main]
        pipeline = healthcheck {name}-server

        [app:{name}-server]
        use = egg:swift#{name}

        [filter:healthcheck]
        use = egg:swift#healthcheck
        """)


def _proxy_config(*, port: int, memcached_port: int, swift_dir: Path, user: str) -> str:
    return textwrap.dedent(f"""\
        [DEFAULT]
        bind_ip = 127.0.0.1
        bind_port = {port}
        workers = 0
        user = {user}
        swift_dir = {swift_dir}
        log_name = proxy-server

        [pipeline:main]
        pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats \
s3api tempauth copy slo dlo proxy-logging proxy-server

        [app:proxy-server]
        use = egg:swift#proxy
        account_autocreate = true

        [filter:s3api]
        use = egg:swift#s3api
        location = {REGION}

        [filter:tempauth]
        use = egg:swift#tempauth
        user_test_tester = {SECRET_KEY} .admin

        [filter:cache]
        use = egg:swift#memcache
        memcache_servers = 127.0.0.1:{memcached_port}

        [filter:catch_errors]
        use = egg:swift#catch_errors

        [filter:gatekeeper]
        use = egg:swift#gatekeeper

        [filter:healthcheck]
        use = egg:swift#healthcheck

        [filter:proxy-logging]
        use = egg:swift#proxy_logging

        [filter:listing_formats]
        use = egg:swift#listing_formats

        [filter:copy]
        use = egg:swift#copy

        [filter:slo]
        use = egg:swift#slo

        [filter:dlo]
        use = egg:swift#dlo
        """)


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/healthcheck")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


class SwiftCluster:
    """A throwaway single-node Swift under `workdir`; `start` it, then always `stop` it."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self) -> S3Endpoint:
        swift_dir = self._workdir
        (swift_dir / "node" / "d1").mkdir(parents=True, exist_ok=True)
        user = pwd.getpwuid(os.geteuid()).pw_name
        ports = {name: _free_port() for name in (*SERVERS, "memcached")}
        (swift_dir / "swift.conf").write_text(
            f"[swift-hash]\nswift_hash_path_suffix = {secrets.token_hex(8)}\n\n"
            "[storage-policy:0]\nname = Policy-0\ndefault = yes\n"
        )
        rings = subprocess.run(
            [
                SYSTEM_PYTHON,
                "-c",
                _RING_SCRIPT,
                str(swift_dir),
                *(str(ports[name]) for name in ("account", "container", "object")),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if rings.returncode != 0:
            tail = " | ".join(rings.stderr.strip().splitlines()[-3:])
            raise SwiftUnavailable(f"building the rings failed: {tail}")
        memcached = [_executable("memcached") or "memcached", "-l", "127.0.0.1", "-U", "0"]
        memcached += ["-p", str(ports["memcached"]), "-m", "16"]
        self._launch("memcached", memcached + (["-u", "root"] if os.geteuid() == 0 else []))
        for name in SERVERS:
            config = swift_dir / f"{name}-server.conf"
            if name == "proxy":
                text = _proxy_config(
                    port=ports[name],
                    memcached_port=ports["memcached"],
                    swift_dir=swift_dir,
                    user=user,
                )
            else:
                text = _storage_config(name=name, port=ports[name], swift_dir=swift_dir, user=user)
            config.write_text(text)
            program = _executable(f"swift-{name}-server") or f"swift-{name}-server"
            # -v logs to the console, that is to `<name>.log` here.
            self._launch(name, [program, str(config), "-v"])
        self._wait_until_healthy([ports[name] for name in SERVERS])
        return S3Endpoint(
            url=f"http://127.0.0.1:{ports['proxy']}",
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            region=REGION,
        )

    def stop(self) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in self._processes.values():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()

    def _launch(self, name: str, arguments: list[str]) -> None:
        with (self._workdir / f"{name}.log").open("wb") as log:
            self._processes[name] = subprocess.Popen(
                arguments, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _wait_until_healthy(self, ports: list[int]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        waiting = list(ports)
        while waiting:
            for name, process in self._processes.items():
                if process.poll() is not None:
                    raise SwiftUnavailable(
                        f"{name} exited with {process.returncode}: {self._log_tail(name)}"
                    )
            waiting = [port for port in waiting if not _healthy(port)]
            if waiting and time.monotonic() > deadline:
                raise SwiftUnavailable(f"no healthcheck after {START_TIMEOUT_S:.0f} s")
            if waiting:
                time.sleep(0.1)

    def _log_tail(self, name: str) -> str:
        lines = (self._workdir / f"{name}.log").read_text(errors="replace").strip().splitlines()
        return " | ".join(lines[-5:])


class _SharedCluster:
    """One cluster for the session, however many conftests' fixtures ask for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cluster: SwiftCluster | None = None
        self._endpoint: S3Endpoint | None = None
        self._failure: str | None = None
        self._users = 0

    def acquire(self, workdir_factory: Callable[[], Path]) -> S3Endpoint:
        with self._lock:
            if self._failure is None and self._endpoint is None:
                cluster = SwiftCluster(workdir_factory())
                try:
                    ensure_installed()
                    self._endpoint = cluster.start()
                    self._cluster = cluster
                except (SwiftUnavailable, OSError, subprocess.SubprocessError) as error:
                    cluster.stop()
                    self._failure = str(error) or type(error).__name__
                except BaseException:
                    cluster.stop()
                    raise
            if self._endpoint is None:
                servers.require_server("OpenStack Swift (s3api)", self._failure or "not started")
            self._users += 1
            return self._endpoint

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._cluster is not None:
                self._cluster.stop()
                self._cluster, self._endpoint = None, None


_SHARED = _SharedCluster()


@pytest.fixture(scope="session")
def swift_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """The S3 API of a Swift cluster started for the session; skips (fails under CI) without it."""
    endpoint = _SHARED.acquire(lambda: tmp_path_factory.mktemp("swift"))
    yield endpoint
    _SHARED.release()


@pytest.fixture(scope="session")
def s3_store_factory(swift_s3: S3Endpoint) -> S3StoreFactory:
    """Makes an `S3MediaStore` on a new, empty bucket of the session's Swift cluster."""
    try:
        from encore.adapters.media.s3 import S3MediaStore
    except ModuleNotFoundError as error:
        servers.require_server("boto3", f"{error}; pip install -e '.[s3]'")

    def create(**options: Any) -> S3MediaStore:
        store = S3MediaStore(
            f"encore-test-{secrets.token_hex(6)}",
            endpoint_url=swift_s3.url,
            access_key=swift_s3.access_key,
            secret_key=swift_s3.secret_key,
            region=swift_s3.region,
            **options,
        )
        store.ensure_bucket()
        return store

    return create
