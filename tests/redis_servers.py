"""Redis for the marked tests: the shared server (each test under its own key prefix), or a
private `redis-server` on a free port that a test may stop and start."""

import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from tests.servers import require_server

REDIS_URL_VARIABLE = "ENCORE_TEST_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def shared_redis_url() -> str:
    """The shared server's URL; skips (or fails under CI) when it does not answer."""
    url = os.environ.get(REDIS_URL_VARIABLE) or DEFAULT_REDIS_URL
    try:
        with Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            client.ping()
    except RedisError as error:
        require_server(
            "Redis",
            f"cannot reach {url} ({error}); start `redis-server` or point {REDIS_URL_VARIABLE} "
            "at one; deselect these tests with `-m 'not redis'`",
        )
    return url


def unique_prefix() -> str:
    """A key prefix of one test's own, so that parallel runs never share a key."""
    return f"encore-test-{secrets.token_hex(6)}:"


def drop_prefix(url: str, prefix: str) -> None:
    with Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


class PrivateRedis:
    """A `redis-server` of one test's own, on a free loopback port."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            require_server("redis-server", "the binary is not on PATH (Debian: redis-server)")
        self._binary = binary
        self._directory = directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                self._binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with Redis(port=self.port, socket_connect_timeout=0.2) as client:
                    client.ping()
                return
            except RedisError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise RuntimeError("the private redis-server did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
