"""The Spark runner in local mode: Spark ALS trains, `mapPartitions` makes the playlists with the
same per-user code as the local runner, and a job that fails part way keeps what came before."""

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from encore.adapters.compute.local import LocalRunner
from encore.adapters.compute.spark import SparkRunner
from encore.adapters.recommend.faiss_index import FaissIndexBuilder
from encore.recommend.als import AlsTrainer
from encore.recommend.batch import partitions
from encore.recommend.domain import (
    BatchInputs,
    GeneratedPlaylist,
    PlaylistKind,
    Source,
    UserPartition,
)
from encore.recommend.job import PlaylistJob
from encore.recommend.model_store import ModelStore
from encore.recommend.synthetic import listening
from tests.unit.recommend.conftest import NOW

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="module")
def inputs() -> BatchInputs:
    return listening(users=120, tracks=1_500, now=NOW, genres=10, plays_per_user=30)


@pytest.fixture(scope="module")
def runner(spark_master: str) -> Iterator[SparkRunner]:
    yield SparkRunner(spark_master)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def job_for(tmp_path: Path, inputs: BatchInputs, runner: SparkRunner) -> PlaylistJob:
    trainer = AlsTrainer(factors=8, iterations=3, threads=1)
    model = runner.trainer("als", trainer)[1].fit(inputs.plays, inputs.item_genre)
    assert np.abs(model.item_vectors).sum() > 0
    indexes = FaissIndexBuilder(threads=1)
    store = ModelStore(tmp_path, trainers={"als": trainer}, indexes=indexes, trainer_name="als")
    version = store.publish(
        model,
        indexes.build(model.item_vectors),
        user_ids=inputs.user_ids,
        track_ids=inputs.track_ids,
    )
    return PlaylistJob(
        inputs=inputs,
        kinds=(PlaylistKind.DISCOVER_WEEKLY,),
        now=NOW,
        trainer=trainer,
        indexes=indexes,
        model_dir=tmp_path / version,
        model_version=version,
    )


def check(inputs: BatchInputs, playlist: GeneratedPlaylist) -> None:
    number = {t: i for i, t in enumerate(inputs.track_ids)}
    user = inputs.user_ids.index(playlist.user_id)
    items = np.array([number[t] for t in playlist.track_ids])
    assert len(items) == 30
    assert len(set(items.tolist())) == 30
    assert max(Counter(inputs.item_artist[items].tolist()).values()) <= 2
    assert max(Counter(inputs.item_genre[items].tolist()).values()) <= 5
    spared = set(inputs.recent[user].indices.tolist()) | set(inputs.liked[user].indices.tolist())
    assert not set(items.tolist()) & spared


def test_spark_trains_and_generates_what_the_local_runner_does(
    tmp_path: Path, inputs: BatchInputs, runner: SparkRunner
) -> None:
    job = job_for(tmp_path, inputs, runner)
    parts = partitions(np.arange(inputs.n_users, dtype=np.int64), 25)
    done: list[tuple[int, int]] = []
    by_spark = [
        p for made in runner.run(job, parts, lambda d, t: done.append((d, t))) for p in made
    ]
    by_local = [p for made in LocalRunner(1).run(job, parts, lambda d, t: None) for p in made]
    assert done[-1] == (inputs.n_users, inputs.n_users)
    assert sorted(p.user_id for p in by_spark) == sorted(inputs.user_ids)
    for playlist in by_spark:
        check(inputs, playlist)
    assert sum(p.source is Source.MODEL for p in by_spark) > 0.9 * inputs.n_users
    # The same per-user code on the same model: the very same playlists.
    local = {p.user_id: p.track_ids for p in by_local}
    assert {p.user_id: p.track_ids for p in by_spark} == local


class FailsOnSecond:
    def __init__(self, job: PlaylistJob) -> None:
        self.job = job

    def __call__(self, partition: UserPartition) -> list[GeneratedPlaylist]:
        if partition.number == 1:
            raise RuntimeError("a worker died")
        return self.job(partition)


def test_a_spark_job_failing_part_way_keeps_the_waves_before(
    tmp_path: Path, inputs: BatchInputs, spark_master: str, runner: SparkRunner
) -> None:
    job = job_for(tmp_path, inputs, runner)
    parts = partitions(np.arange(inputs.n_users, dtype=np.int64), 60)
    one_at_a_time = SparkRunner(spark_master)
    got: list[list[GeneratedPlaylist]] = []

    def drain() -> None:
        for made in one_at_a_time.run(FailsOnSecond(job), parts, lambda d, t: None, wave=1):
            got.append(made)

    with pytest.raises(Exception, match="a worker died"):
        drain()
    assert len(got) == 1
    assert len(got[0]) == 60
