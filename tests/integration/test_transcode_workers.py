"""Imports through the transcode queue with real ffmpeg: in-process workers on the embedded
queue, `encore worker transcode` processes on JetStream, a corrupt source dead-lettered while the
rest go on, and a worker killed (kill -9) mid-transcode whose job another worker completes."""

import contextlib
import os
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from encore.adapters.audio.ffmpeg import find_ffmpeg
from encore.admin.service import AdminService
from encore.bootstrap import Services, bootstrap, make_importer, make_transcode_worker
from encore.catalog.import_files import file_sha256
from encore.catalog.import_summary import Status, Summary
from encore.catalog.transcode_worker import WorkerPool
from encore.config import load_settings
from tests import servers
from tests.e2e.conftest import FAST_PASSWORDS, PASSWORD

pytestmark = pytest.mark.slow

AUDIO = Path("/work/shared/data/audio")
SHORT = AUDIO / "sorohanro_-_solo-trumpet-06.ogg"  # 5 s
LONG = AUDIO / "Hungarian_Dance_number_5_-_Allegro_in_F_sharp_minor_(string_orchestra).ogg"


def corrupt_copy(source: Path, target: Path) -> Path:
    """`source` with every audio page's payload scrambled: its headers (and so its tags and
    length) read fine, and no audio can be decoded."""
    data = bytearray(source.read_bytes())
    at = 0
    while at < len(data):
        assert data[at : at + 4] == b"OggS"
        granule = struct.unpack_from("<q", data, at + 6)[0]
        segments = data[at + 26]
        body = at + 27 + segments
        size = sum(data[at + 27 : body])
        if granule > 0:
            data[body : body + size] = bytes(byte ^ 0x5A for byte in data[body : body + size])
        at = body + size
    target.write_bytes(bytes(data))
    return target


def settings_env(queue: str, **more: str) -> dict[str, str]:
    env = {
        "ENCORE_TRANSCODE_QUEUE": queue,
        "ENCORE_TRANSCODE_MAX_ATTEMPTS": "2",
        "ENCORE_TRANSCODE_RETRY_S": "0.1",
        **more,
    }
    if queue == "nats":
        env["ENCORE_NATS_URL"] = servers.nats_url()
        env["ENCORE_TRANSCODE_STREAM"] = f"ENCORE_TRANSCODE_TEST_{secrets.token_hex(4).upper()}"
    return env


def open_services(data: Path, env: dict[str, str]) -> Services:
    settings = {key.removeprefix("ENCORE_").lower(): value for key, value in env.items()}
    return bootstrap(load_settings(data_dir=data, **settings), passwords=FAST_PASSWORDS)


@contextlib.contextmanager
def worker_process(data: Path, env: dict[str, str]) -> Iterator["subprocess.Popen[bytes]"]:
    """`encore worker transcode` in a session of its own (its ffmpeg dies with it)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "encore",
            "worker",
            "transcode",
            "--concurrency=1",
            f"--data={data}",
        ],
        env={**os.environ, **env},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def import_in_thread(services: Services, library: Path) -> tuple[threading.Thread, list[Summary]]:
    done: list[Summary] = []
    importer = make_importer(services)
    thread = threading.Thread(target=lambda: done.append(importer.run([library], jobs=1)))
    thread.start()
    return thread, done


def assert_playable_and_whole(services: Services, track_id: str) -> None:
    """Every rendition the catalog lists is in the media store, whole (its recorded checksum)."""
    with services.uow(readonly=True) as uow:
        renditions = uow.renditions.list_for_track(track_id)
    assert renditions, "the track has no renditions"
    for rendition in renditions:
        path = services.media.local_path(rendition.path)
        assert path is not None
        assert file_sha256(path) == rendition.checksum, rendition.path
    assert not list((services.settings.data_dir / "media" / "sources").rglob("source*"))


@pytest.mark.parametrize(
    "queue", [pytest.param("sqlite"), pytest.param("nats", marks=pytest.mark.nats)]
)
def test_an_import_goes_through_the_queue_and_a_corrupt_source_is_dead_lettered(
    queue: str, tmp_path: Path
) -> None:
    library = tmp_path / "music"
    library.mkdir()
    shutil.copy(SHORT, library / "trumpet.ogg")
    corrupt_copy(SHORT, library / "corrupt.ogg")
    # On JetStream the import only queues: a worker process elsewhere does the encoding.
    env = settings_env(queue, ENCORE_IMPORT_RUNS_WORKERS=str(queue == "sqlite").lower())
    services = open_services(tmp_path / "data", env)
    try:
        with contextlib.ExitStack() as stack:
            if queue == "nats":
                stack.enter_context(worker_process(tmp_path / "data", env))
            summary = make_importer(services).run([library], jobs=2)
        outcomes = {Path(outcome.path).name: outcome for outcome in summary.outcomes}
        assert outcomes["trumpet.ogg"].status is Status.IMPORTED
        failed = outcomes["corrupt.ogg"]
        assert failed.status is Status.FAILED
        assert failed.reason is not None
        assert failed.reason.startswith("transcoding failed: Error opening input")
        track_id = outcomes["trumpet.ogg"].track_id
        assert track_id is not None
        assert_playable_and_whole(services, track_id)
        # The operator sees the dead letter on the admin status.
        admin = services.accounts.add_user(
            email="ops@example.com", password=PASSWORD, country="SE", is_admin=True
        )
        status = AdminService(
            accounts=services.accounts,
            uow=services.uow,
            consumer_lag=dict,
            failing_checks=list,
            operations=services.operations,
            transcodes=services.transcode_queue,
        ).status(actor_id=admin.id)
        assert status.transcodes is not None
        (letter,) = status.transcodes.dead_letters
        assert letter.attempts == 2
        assert letter.error.startswith("Error opening input")
        assert (status.transcodes.depth.in_flight, status.playable_tracks) == (0, 1)
    finally:
        if queue == "nats":
            services.transcode_queue().delete()  # type: ignore[attr-defined]
        services.close()


def test_a_worker_killed_mid_transcode_leaves_its_job_to_another(tmp_path: Path) -> None:
    library = tmp_path / "music"
    library.mkdir()
    # Three times over, over two minutes: encoding it takes long enough to be caught midway
    # on a quiet machine too (15 s of it was done before a poll could see it), and is still
    # quick to redo.
    subprocess.run(
        [find_ffmpeg(), "-loglevel", "error", "-stream_loop", "2", "-i", LONG,
         "-c", "copy", library / "dance.ogg"],
        check=True,
        timeout=30,
    )  # fmt: skip
    data = tmp_path / "data"
    env = settings_env("sqlite", ENCORE_IMPORT_RUNS_WORKERS="false", ENCORE_TRANSCODE_LEASE_S="1")
    services = open_services(data, env)
    try:
        thread, summaries = import_in_thread(services, library)
        with worker_process(data, env) as doomed:
            deadline = time.monotonic() + 30
            while not any(p.stat().st_size for p in (data / "scratch").rglob(".*.part")):
                assert doomed.poll() is None, "the worker ended before it could be killed"
                assert time.monotonic() < deadline, "the worker never started encoding"
                time.sleep(0.02)
            os.killpg(doomed.pid, signal.SIGKILL)
        # The job comes back once its lease ends, to a worker in this process.
        with WorkerPool(make_transcode_worker(services), concurrency=1):
            thread.join(timeout=60)
        assert not thread.is_alive()
        (outcome,) = summaries[0].outcomes
        assert outcome.status is Status.IMPORTED, outcome.reason
        assert outcome.track_id is not None
        assert_playable_and_whole(services, outcome.track_id)
        assert services.transcode_queue().dead_letters() == []
    finally:
        services.close()
