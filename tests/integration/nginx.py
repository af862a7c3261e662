"""Real nginx processes for the `nginx` tests: Encore's edge as shipped in `deploy/nginx/`.

The edge's configuration is rendered by `deploy/nginx/render` (the operators' own tool) into a
temporary directory, with a free port and every path nginx writes (pid, temp files, logs, cache)
under it, and nginx runs in the foreground for as long as the fixture needs it. A plain static
nginx (`start_static`) stands in for a remote origin, and is the baseline for measurements.

Debian's `nginx` and `libnginx-mod-http-js` provide the programs; without them the tests skip
locally and fail under CI (`tests.servers.require_server`). `.ci/run` installs them.
"""

import os
import shutil
import signal
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import servers

REPO = Path(__file__).resolve().parents[2]
RENDER = REPO / "deploy" / "nginx" / "render"
MODULES_DIR = Path("/usr/lib/nginx/modules")
JS_MODULE = MODULES_DIR / "ngx_http_js_module.so"
INSTALL_HINT = "apt-get install nginx libnginx-mod-http-js"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class RunningNginx:
    """An nginx answering on `url`; its logs are under `state_dir`."""

    url: str
    port: int
    state_dir: Path

    @property
    def access_log(self) -> Path:
        return self.state_dir / "access.log"


def nginx_program() -> str:
    """The nginx executable; skips (or fails under CI) when it or njs is not installed."""
    program = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if program is None:
        servers.require_server("nginx", f"no nginx program; {INSTALL_HINT}")
    if not JS_MODULE.is_file():
        servers.require_server("nginx", f"no njs module at {JS_MODULE}; {INSTALL_HINT}")
    return program


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run_as_root_options() -> str:
    # Started by root, nginx would run its workers as `nobody`, which cannot read pytest's
    # private temporary directories; the tests' workers stay root instead.
    return " user root;" if os.geteuid() == 0 else ""


@contextmanager
def _running(
    config: Path, state_dir: Path, port: int, environment: dict[str, str]
) -> Iterator[RunningNginx]:
    program = nginx_program()
    arguments = [program, "-c", str(config), "-g", f"daemon off;{_run_as_root_options()}"]
    process = subprocess.Popen(
        arguments,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_listening(process, port, state_dir)
        yield RunningNginx(url=f"http://127.0.0.1:{port}", port=port, state_dir=state_dir)
    finally:
        _stop(process)


def _wait_until_listening(process: "subprocess.Popen[str]", port: int, state_dir: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, stderr = process.communicate()
            raise RuntimeError(f"nginx exited ({process.returncode}): {stderr}{_log(state_dir)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {port} in {START_TIMEOUT_S} s{_log(state_dir)}")


def _log(state_dir: Path) -> str:
    error_log = state_dir / "error.log"
    return f"\n{error_log.read_text()}" if error_log.exists() else ""


def _stop(process: "subprocess.Popen[str]") -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # fast shutdown: workers drop their connections
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stderr is not None:
        process.stderr.close()


@contextmanager
def start_edge(
    work_dir: Path,
    *,
    keys: Sequence[str],
    media_root: Path | None = None,
    origin: str | None = None,
    port: int | None = None,
) -> Iterator[RunningNginx]:
    """Encore's edge, rendered from deploy/nginx: local mode over `media_root`, or origin mode
    (proxy_cache) in front of `origin`. `keys` become ENCORE_STREAM_KEYS; `port` (default: a
    free one) lets an edge come back where it was."""
    nginx_program()
    port = port or free_port()
    state_dir = work_dir / "state"
    mode = "local" if origin is None else "origin"
    variables = {
        "ENCORE_STATE_DIR": str(state_dir),
        "ENCORE_LISTEN": f"127.0.0.1:{port}",
        "ENCORE_MODULES_DIR": str(MODULES_DIR),
    }
    if media_root is not None:
        variables["ENCORE_MEDIA_ROOT"] = str(media_root)
    if origin is not None:
        variables["ENCORE_ORIGIN"] = origin
        variables["ENCORE_CACHE_DIR"] = str(work_dir / "cache")
        variables["ENCORE_CACHE_MAX_SIZE"] = "1g"
    render = subprocess.run(
        [str(RENDER), mode, str(work_dir / "conf")],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **variables},
        capture_output=True,
        text=True,
        check=False,
    )
    if render.returncode != 0:
        raise RuntimeError(f"deploy/nginx/render failed: {render.stderr}")
    config = Path(render.stdout.strip())
    environment = {"PATH": os.environ.get("PATH", ""), "ENCORE_STREAM_KEYS": ",".join(keys)}
    with _running(config, state_dir, port, environment) as running:
        yield running


@contextmanager
def start_static(work_dir: Path, root: Path) -> Iterator[RunningNginx]:
    """Plain nginx serving `root` as static files, with the edge's file settings and an
    unbuffered access log (one line per request the moment it ends)."""
    port = free_port()
    state_dir = work_dir / "state"
    state_dir.mkdir(parents=True)
    config = work_dir / "nginx.conf"
    temp_paths = "\n".join(
        f"    {kind}_temp_path {state_dir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    config.write_text(
        textwrap.dedent("""\
            worker_processes auto;
            pid {state}/nginx.pid;
            error_log {state}/error.log warn;
            events {{
                worker_connections 4096;
            }}
            http {{
            {temp_paths}
                access_log {state}/access.log;
                keepalive_requests 10000;
                open_file_cache max=10000 inactive=60s;
                types {{
                    audio/ogg ogg;
                    audio/flac flac;
                }}
                server {{
                    listen 127.0.0.1:{port};
                    root {root};
                    sendfile on;
                    sendfile_max_chunk 2m;
                    tcp_nopush on;
                }}
            }}
            """).format(state=state_dir, temp_paths=temp_paths, port=port, root=root)
    )
    with _running(config, state_dir, port, {"PATH": os.environ.get("PATH", "")}) as running:
        yield running
