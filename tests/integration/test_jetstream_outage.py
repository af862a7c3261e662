"""The JetStream log across an outage of its server: a private nats-server, stopped and started
again on the same port and store (never the machine's shared one)."""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from encore.errors import Unavailable
from tests import servers

pytestmark = pytest.mark.nats

PROGRAM_PATH = "/usr/sbin:/usr/bin:/usr/local/bin"
START_TIMEOUT_S = 10.0


class PrivateNats:
    def __init__(self, store: Path) -> None:
        program = shutil.which("nats-server", path=PROGRAM_PATH)
        if program is None:
            servers.require_server("NATS", "no nats-server program (apt-get install nats-server)")
        self._program = program
        self._store = store
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [self._program, "-a", "127.0.0.1", "-p", str(self.port), "-js"]
        self._process = subprocess.Popen(
            [*command, "-sd", str(self._store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nats-server did not start on port {self.port}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[PrivateNats]:
    server = PrivateNats(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


def test_an_outage_refuses_durable_events_quickly_and_the_log_comes_back_by_itself(
    nats_server: PrivateNats,
) -> None:
    from encore.adapters.events.jetstream import JetStreamEventLog

    log = JetStreamEventLog(nats_server.url, stream="OUTAGE")
    try:
        log.publish_durably("plays", [{"id": "before"}])
        nats_server.stop()

        started = time.monotonic()
        with pytest.raises(Unavailable) as refused:
            log.publish_durably("plays", [{"id": "during"}])
        # Refused within the adapter's bound, saying when to try again.
        assert time.monotonic() - started < 5.0
        assert refused.value.retry_after_s > 0

        nats_server.start()
        deadline = time.monotonic() + 15.0
        while True:
            try:
                log.publish_durably("plays", [{"id": "after"}])
                break
            except Unavailable:
                assert time.monotonic() < deadline, "the log never came back"
                time.sleep(0.2)
        ids = [event.payload["id"] for event in log.read("plays", after=0, limit=100)]
        # What was acknowledged is kept; the refused event may still arrive (the client sends
        # what it held once the server is back), which the consumers' dedup by id absorbs.
        assert ids[0] == "before"
        assert ids[-1] == "after"
        assert set(ids) <= {"before", "during", "after"}
    finally:
        log.close()
