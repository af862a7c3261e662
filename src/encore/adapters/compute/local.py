"""The local `BatchRunner`: a process pool over user partitions (one worker per core).

Workers are spawned, not forked: the parent has run OpenMP (training, index building), and a
forked child that uses OpenMP again can hang. A run's job is pickled once into a temporary
file and each worker reads it on its first partition, loads the model from its directory once
and keeps to one thread; partitions travel as a file name and a slice of user numbers, never
the job's arrays again.

Used as a context manager, the runner keeps its workers (and what they loaded) from one run to
the next, as a Spark cluster keeps its Python workers; otherwise each run has its own pool.
"""

import os
import pickle
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from types import TracebackType

from encore.recommend.domain import GeneratedPlaylist, UserPartition
from encore.recommend.ports import ModelTrainer, PartitionJob, Progress

# In a worker: the job file last read, and its job.
_job: tuple[str, PartitionJob] | None = None


def one_thread() -> None:
    """Keep a worker to one thread: as many workers run as there are cores."""
    import faiss
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    faiss.omp_set_num_threads(1)


def _run(job_file: str, partition: UserPartition) -> list[GeneratedPlaylist]:
    global _job
    if _job is None or _job[0] != job_file:
        _job = None  # the previous run's job goes before this one's arrives
        with open(job_file, "rb") as stream:
            # The file is this run's own, written by the parent, readable by its user only.
            _job = (job_file, pickle.load(stream))  # noqa: S301
    return _job[1](partition)


class LocalRunner:
    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None
        self._kept = False

    def __enter__(self) -> "LocalRunner":
        self._kept = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._kept = False
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def trainer(self, name: str, default: ModelTrainer) -> tuple[str, ModelTrainer]:
        return name, default

    def run(
        self, job: PartitionJob, partitions: Sequence[UserPartition], progress: Progress
    ) -> Iterator[list[GeneratedPlaylist]]:
        total = sum(len(p.users) for p in partitions)
        done = 0
        progress(0, total)
        if self.workers == 1 or len(partitions) <= 1:
            for partition in partitions:
                made = job(partition)
                done += len(partition.users)
                progress(done, total)
                yield made
            return
        # A name no earlier run had: workers tell a new job from the one they hold by it.
        prefix = f"encore-job-{uuid.uuid4().hex}-"
        with tempfile.NamedTemporaryFile(prefix=prefix) as job_file:
            pickle.dump(job, job_file, protocol=pickle.HIGHEST_PROTOCOL)
            job_file.flush()
            try:
                pool = self._open()
                running: dict[Future[list[GeneratedPlaylist]], UserPartition] = {
                    pool.submit(_run, job_file.name, partition): partition
                    for partition in partitions
                }
                for finished in as_completed(running):
                    made = finished.result()
                    done += len(running[finished].users)
                    progress(done, total)
                    yield made
            except BrokenProcessPool:
                self.close()  # a worker died: the next run starts a pool afresh
                raise
            finally:
                if not self._kept:
                    self.close()

    def _open(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=get_context("spawn"),
                initializer=one_thread,
            )
        return self._pool
