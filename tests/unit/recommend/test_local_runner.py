"""The local runner's process pool gives what the same job gives in one process."""

from pathlib import Path

import numpy as np
import pytest

from encore.adapters.compute.local import LocalRunner
from encore.adapters.recommend.faiss_index import FaissIndexBuilder
from encore.recommend.als import AlsModel, AlsTrainer
from encore.recommend.batch import partitions
from encore.recommend.domain import BatchInputs, PlaylistKind
from encore.recommend.job import PlaylistJob
from encore.recommend.model_store import ModelStore
from tests.unit.recommend.conftest import NOW


@pytest.mark.slow
def test_the_pool_gives_the_playlists_one_process_gives(
    tmp_path: Path, inputs: BatchInputs, als: AlsModel
) -> None:
    trainer, indexes = AlsTrainer(), FaissIndexBuilder(threads=1)
    store = ModelStore(tmp_path, trainers={"als": trainer}, indexes=indexes, trainer_name="als")
    version = store.publish(
        als, indexes.build(als.item_vectors), user_ids=inputs.user_ids, track_ids=inputs.track_ids
    )
    job = PlaylistJob(
        inputs=inputs,
        kinds=tuple(PlaylistKind),
        now=NOW,
        trainer=trainer,
        indexes=indexes,
        model_dir=tmp_path / version,
        model_version=version,
    )
    parts = partitions(np.arange(inputs.n_users, dtype=np.int64), 100)
    progress: list[tuple[int, int]] = []
    pooled = [
        p for made in LocalRunner(2).run(job, parts, lambda *a: progress.append(a)) for p in made
    ]
    inline = [p for made in LocalRunner(1).run(job, parts, lambda *a: None) for p in made]
    key = lambda p: (p.user_id, p.kind, p.slot)  # noqa: E731
    assert sorted(pooled, key=key) == sorted(inline, key=key)
    assert progress[0] == (0, inputs.n_users)
    assert progress[-1] == (inputs.n_users, inputs.n_users)
    assert {p.kind for p in pooled} == set(PlaylistKind)


def test_the_scheduler_runs_rounds_on_its_thread_and_stops() -> None:
    import threading

    from encore.recommend.scheduler import RecommendScheduler

    rounds = threading.Event()

    class Batch:
        def run(self, runner: object, kinds: object, **options: object) -> object:
            assert options["due_only"] is True
            rounds.set()
            raise RuntimeError("a failing round is logged, and the next one comes")

    scheduler = RecommendScheduler(Batch(), lambda: LocalRunner(1), check_s=0.01)  # type: ignore[arg-type]
    scheduler.start()
    assert rounds.wait(5)
    scheduler.stop()
    off = RecommendScheduler(Batch(), lambda: LocalRunner(1), check_s=0)  # type: ignore[arg-type]
    off.start()
    off.stop()
