"""The Spark `BatchRunner`: Spark ALS trains the model, `mapPartitions` runs the same per-user
step as the local runner over the same partitions of users.

Partitions go out in waves of the cluster's parallelism, and each wave's playlists are handed
back (and stored) before the next: a job that fails part way leaves what earlier waves stored,
and everyone else keeps their previous playlists. Tests run it in `local[*]`.
"""

import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix

from encore.recommend.als import ALS_NAME, AlsModel, AlsTrainer, confidence
from encore.recommend.domain import GeneratedPlaylist, UserPartition
from encore.recommend.ports import ModelTrainer, PartitionJob, Progress


def _session(master: str) -> Any:
    from pyspark.sql import SparkSession

    # Spark's Python workers must run this interpreter, where Encore is installed.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master(master)
        .appName("encore-recommend")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", os.environ.get("ENCORE_SPARK_DRIVER_MEMORY", "2g"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _run_partitions(job: Any) -> Any:
    def run(partitions: Iterator[UserPartition]) -> Iterator[tuple[int, list[GeneratedPlaylist]]]:
        from encore.adapters.compute.local import one_thread

        one_thread()
        for partition in partitions:
            yield partition.number, job.value(partition)

    return run


def _ratings(shared: Any, slices: int) -> Any:
    def cut(number: int) -> Iterator[tuple[int, int, float]]:
        users, items, values = shared.value
        size = -(-len(users) // slices)
        part = slice(number * size, (number + 1) * size)
        yield from zip(
            users[part].tolist(), items[part].tolist(), values[part].tolist(), strict=True
        )

    return cut


class SparkAlsTrainer:
    """`implicit`-compatible ALS trained by Spark ML (implicit preferences, the same confidence
    weighting); the factors come back as an `AlsModel`, saved and loaded like the local one."""

    def __init__(self, master: str, like: AlsTrainer) -> None:
        self._master = master
        self._like = like

    def fit(self, plays: csr_matrix, item_genres: NDArray[np.int64] | None) -> AlsModel:
        from pyspark.ml.recommendation import ALS

        spark = _session(self._master)
        weighted = coo_matrix(confidence(csr_matrix(plays), 1.0))
        # The ratings go out as a broadcast of arrays, cut into slices on the executors: a
        # list of millions of tuples built in the driver would cost more than the training.
        shared = spark.sparkContext.broadcast(
            (weighted.row.astype(np.int32), weighted.col.astype(np.int32), weighted.data)
        )
        slices = max(1, spark.sparkContext.defaultParallelism * 4)
        frame = (
            spark.sparkContext.parallelize(range(slices), slices)
            .flatMap(_ratings(shared, slices))
            .toDF(["user", "item", "rating"])
        )
        als = ALS(
            rank=self._like.factors,
            maxIter=self._like.iterations,
            regParam=self._like.regularization,
            alpha=self._like.alpha,
            implicitPrefs=True,
            seed=self._like.seed,
            userCol="user",
            itemCol="item",
            ratingCol="rating",
            coldStartStrategy="drop",
        )
        fitted = als.fit(frame)
        shared.unpersist()
        users, items = plays.shape
        return AlsModel(
            users=_factors(fitted.userFactors.collect(), users, self._like.factors),
            items=_factors(fitted.itemFactors.collect(), items, self._like.factors),
            regularization=self._like.regularization,
            alpha=self._like.alpha,
        )

    def load(self, directory: Path) -> AlsModel:
        return self._like.load(directory)


def _factors(rows: list[Any], count: int, rank: int) -> NDArray[np.float32]:
    # Users or items without a single play have no row: they keep a zero vector.
    found = np.zeros((count, rank), dtype=np.float32)
    for row in rows:
        found[row["id"]] = row["features"]
    return found


class SparkRunner:
    name = "spark"

    def __init__(self, master: str | None = None) -> None:
        self.master = master or os.environ.get("ENCORE_SPARK_MASTER", "local[*]")

    def trainer(self, name: str, default: ModelTrainer) -> tuple[str, ModelTrainer]:
        # Spark ALS's factors are an `AlsModel`: saved as the local ALS saves, loaded by it.
        like = default if isinstance(default, AlsTrainer) else AlsTrainer()
        return ALS_NAME, SparkAlsTrainer(self.master, like)

    def run(
        self,
        job: PartitionJob,
        partitions: Sequence[UserPartition],
        progress: Progress,
        *,
        wave: int | None = None,
    ) -> Iterator[list[GeneratedPlaylist]]:
        """`wave`: partitions per Spark job (default: the cluster's parallelism)."""
        spark = _session(self.master)
        context = spark.sparkContext
        total = sum(len(p.users) for p in partitions)
        done = 0
        progress(0, total)
        shared = context.broadcast(job)
        try:
            wave = wave or max(1, context.defaultParallelism)
            for start in range(0, len(partitions), wave):
                chunk = list(partitions[start : start + wave])
                results = (
                    context.parallelize(chunk, len(chunk))
                    .mapPartitions(_run_partitions(shared))
                    .collect()
                )
                for number, made in sorted(results, key=lambda result: result[0]):
                    done += len(next(p for p in chunk if p.number == number).users)
                    progress(done, total)
                    yield made
        finally:
            shared.unpersist()
