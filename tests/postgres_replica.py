"""A real streaming replica of the test PostgreSQL server: `pg_basebackup -R` into a temporary
directory, started on a free port with Debian's binaries as the `postgres` user, stopped at the end.

The primary must accept replication connections from 127.0.0.1; when its pg_hba.conf has no such
line and the file is writable here, one is appended (trust, as the rest of the test server) and
the server reloads. `.ci/run` does the same before the suite.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from encore.adapters.sql.engine import make_engine
from tests.servers import require_server

BIN = Path("/usr/lib/postgresql/15/bin")
OS_USER = "postgres"
REPLICATION_RULE = "host replication all 127.0.0.1/32 trust"
STARTUP_S = 30.0


@dataclass
class Replica:
    """A running replica; `url_of(database_url)` is that database's URL on the replica."""

    data_dir: Path
    port: int

    def url_of(self, database_url: str) -> str:
        return make_url(database_url).set(port=self.port).render_as_string(hide_password=False)

    def stop(self) -> None:
        _pg_ctl(self.data_dir, "stop", "-m", "immediate")

    def start(self) -> None:
        _pg_ctl(self.data_dir, "start", "-l", str(self.data_dir / "replica.log"))

    def run(self, sql: str) -> object:
        """Run one statement on the replica's maintenance database as its superuser."""
        engine = make_engine(
            f"postgresql://postgres@127.0.0.1:{self.port}/postgres",
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
        )
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql)).scalar()
        finally:
            engine.dispose()


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return subprocess.run(
        [runuser, "-u", OS_USER, "--", *command], capture_output=True, text=True, timeout=60
    )


def _pg_ctl(data_dir: Path, *args: str) -> None:
    done = _as_postgres(str(BIN / "pg_ctl"), "-D", str(data_dir), "-w", *args)
    if done.returncode != 0:
        raise RuntimeError(f"pg_ctl {args[0]} failed: {done.stderr or done.stdout}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _allow_replication(admin_url: str) -> None:
    """Add the replication line to the primary's pg_hba.conf unless a rule already allows it."""
    engine = make_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            allowed = connection.scalar(
                text(
                    "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database)"
                    " AND type = 'host' AND address = '127.0.0.1' AND error IS NULL"
                )
            )
            if allowed:
                return
            hba = Path(str(connection.scalar(text("SHOW hba_file"))))
            if not os.access(hba, os.W_OK):
                require_server(
                    "PostgreSQL replication",
                    f"{hba} allows no replication from 127.0.0.1; add `{REPLICATION_RULE}`",
                )
            with hba.open("a") as rules:
                rules.write("\n# Encore's tests: streaming replicas on this machine\n")
                rules.write(f"{REPLICATION_RULE}\n")
            connection.execute(text("SELECT pg_reload_conf()"))
    finally:
        engine.dispose()


def _wait_streaming(replica: Replica) -> None:
    deadline = time.monotonic() + STARTUP_S
    while True:
        try:
            if replica.run("SELECT status FROM pg_stat_wal_receiver") == "streaming":
                return
        except OperationalError:
            pass
        if time.monotonic() > deadline:
            log = (replica.data_dir / "replica.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the replica does not stream:\n{log}")
        time.sleep(0.1)


@contextmanager
def running_replica(admin_url: str) -> Iterator[Replica]:
    parsed = make_url(admin_url)
    if parsed.host not in ("127.0.0.1", "localhost") or not (BIN / "pg_basebackup").is_file():
        require_server(
            "PostgreSQL replica",
            f"needs a primary on this machine and {BIN}; the test server is {parsed.host}",
        )
    if shutil.which("runuser") is None or os.geteuid() != 0:
        require_server("PostgreSQL replica", "making one runs its binaries as `postgres` (root)")
    _allow_replication(admin_url)
    # Not under pytest's own temporary directory: that one is private to root.
    data_dir = Path(tempfile.mkdtemp(prefix="encore-replica-"))
    shutil.chown(data_dir, OS_USER, OS_USER)
    data_dir.chmod(0o700)
    port = _free_port()
    try:
        backup = _as_postgres(
            str(BIN / "pg_basebackup"),
            f"--host={parsed.host}",
            f"--port={parsed.port or 5432}",
            f"--username={parsed.username or 'postgres'}",
            f"--pgdata={data_dir}",
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
            "--no-sync",
        )
        if backup.returncode != 0:
            raise RuntimeError(f"pg_basebackup failed: {backup.stderr}")
        # Debian keeps the primary's configuration in /etc: the copy needs files of its own.
        settings = (
            f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{data_dir}'\nhot_standby = on\n"
            "fsync = off\nwal_receiver_status_interval = 1s\n"
        )
        for name, body in (
            ("postgresql.conf", settings),
            ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
            ("pg_ident.conf", ""),
        ):
            (data_dir / name).write_text(body)
            shutil.chown(data_dir / name, OS_USER, OS_USER)
        replica = Replica(data_dir, port)
        replica.start()
        _wait_streaming(replica)
        yield replica
    finally:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(data_dir), "stop", "-m", "immediate")
        shutil.rmtree(data_dir, ignore_errors=True)
