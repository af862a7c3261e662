"""The local `BatchRunner`: a process pool over user partitions (one worker per core).

Workers are spawned, not forked: the parent has run OpenMP (training, index building), and a
forked child that uses OpenMP again can hang. Each worker receives the job once, loads the model
from its directory once, and keeps to one thread, as many workers as cores.
"""

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from multiprocessing import get_context

from encore.recommend.domain import GeneratedPlaylist, UserPartition
from encore.recommend.ports import ModelTrainer, PartitionJob, Progress

_job: PartitionJob | None = None


def one_thread() -> None:
    """Keep a worker to one thread: as many workers run as there are cores."""
    import faiss
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    faiss.omp_set_num_threads(1)


def _install(job: PartitionJob) -> None:
    global _job
    one_thread()
    _job = job


def _run(partition: UserPartition) -> list[GeneratedPlaylist]:
    assert _job is not None
    return _job(partition)


class LocalRunner:
    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1

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
        with ProcessPoolExecutor(
            max_workers=min(self.workers, len(partitions)),
            mp_context=get_context("spawn"),
            initializer=_install,
            initargs=(job,),
        ) as pool:
            running: dict[Future[list[GeneratedPlaylist]], UserPartition] = {
                pool.submit(_run, partition): partition for partition in partitions
            }
            for finished in as_completed(running):
                made = finished.result()
                done += len(running[finished].users)
                progress(done, total)
                yield made
