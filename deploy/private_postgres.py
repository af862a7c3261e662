"""A PostgreSQL cluster of the fleet's own, on a free port, for the fault benchmarks: restarting
it disturbs nobody else, as restarting the machine's shared server would.

Made with initdb under a directory of its own; as root, the cluster runs as the `postgres` user
(PostgreSQL refuses to run as root), which then owns that directory.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

SEARCH_PATH = "/usr/local/bin:/usr/bin:" + ":".join(
    str(path) for path in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
)
TIMEOUT_S = 60


class PrivatePostgresUnavailable(RuntimeError):
    pass


class PrivatePostgres:
    def __init__(self, port: int) -> None:
        self.port = port
        # Not under the fleet's working directory: the `postgres` user must reach it, and a
        # test's temporary directory is private to root.
        self.directory = Path(tempfile.mkdtemp(prefix="encore-fleet-pg-"))
        self.data = self.directory / "data"
        self._as: list[str] = []

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        initdb = self._program("initdb")
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.directory, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(
            [initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        )
        self._pg_ctl("start", "-w", "-l", str(self.directory / "postgres.log"))
        return self.admin_url

    def restart(self) -> None:
        """A fast restart: connections are cut, the server is back once it accepts again."""
        self._pg_ctl("restart", "-w", "-m", "fast", "-l", str(self.directory / "postgres.log"))

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-w", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _pg_ctl(self, action: str, *options: str) -> None:
        settings = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run([self._program("pg_ctl"), action, "-D", str(self.data), "-o", settings, *options])

    def _program(self, name: str) -> str:
        found = shutil.which(name, path=SEARCH_PATH)
        if found is None:
            raise PrivatePostgresUnavailable(f"no {name} program (PostgreSQL's server package)")
        return found

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(
            [*self._as, *command],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
            cwd=self.directory,
        )
        if done.returncode != 0:
            raise PrivatePostgresUnavailable(f"{command[0]} failed: {done.stdout}{done.stderr}")
