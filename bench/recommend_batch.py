"""Discover Weekly throughput of the batch runners: 100,000 generated listeners, a 100,000-track
catalog, users/s for the per-user step (ANN top 1,000, exclusions, scoring, caps) on the local
runner (a process pool, one worker per core) against the same step in one process, and on the
Spark runner (local[*]) over the same inputs and model.

The model is Encore's production one (the hybrid: implicit ALS vectors and the item graph).
Training (the hybrid, and Spark ALS last) and index building are timed apart; storing
playlists is not part of the figure (it is the database's throughput, not the runner's). The
results file is written after each stage, so a long Spark training leaves the rest on record.

    .venv/bin/python bench/recommend_batch.py            # full run, 3 repeats
    .venv/bin/python bench/recommend_batch.py --quick    # 20,000 listeners, 1 repeat
"""

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_info, median, print_table, ratio, write_results
from encore.adapters.compute.local import LocalRunner
from encore.adapters.recommend.faiss_index import FaissIndexBuilder
from encore.recommend.batch import PARTITION, partitions
from encore.recommend.domain import PlaylistKind
from encore.recommend.job import PlaylistJob
from encore.recommend.model import HYBRID_NAME, HybridTrainer
from encore.recommend.model_store import ModelStore
from encore.recommend.ports import BatchRunner
from encore.recommend.synthetic import listening

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def timed_run(runner: BatchRunner, job: PlaylistJob, users: int, size: int) -> tuple[float, int]:
    started = time.perf_counter()
    made = 0
    full = 0
    for playlists in runner.run(job, partitions(np.arange(users), size), lambda d, t: None):
        made += len(playlists)
        full += sum(len(p.track_ids) == 30 for p in playlists)
    elapsed = time.perf_counter() - started
    assert made == users, (made, users)
    return users / elapsed, full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--users", type=int, default=None)
    parser.add_argument("--tracks", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    # The batch's own partition size by default, so the figure is the batch's: with 5,000 the
    # local runner made 1,921 users/s, with 2,000 it made 2,440 (2026-11-25, 100,000 users).
    parser.add_argument("--partition", type=int, default=PARTITION)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--spark-repeats", type=int, default=None, help="default: --repeats")
    parser.add_argument("--no-spark-als", action="store_true", help="skip Spark ALS training")
    args = parser.parse_args()
    users = args.users or (20_000 if args.quick else 100_000)
    repeats = args.repeats or (1 if args.quick else 3)
    machine = machine_info()

    started = time.perf_counter()
    inputs = listening(users=users, tracks=args.tracks, now=NOW)
    generate_s = time.perf_counter() - started
    trainer = HybridTrainer()
    started = time.perf_counter()
    model = trainer.fit(inputs.plays, inputs.item_genre)
    train_s = time.perf_counter() - started
    indexes = FaissIndexBuilder()
    started = time.perf_counter()
    index = indexes.build(model.item_vectors)
    index_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="encore-bench-") as scratch:
        store = ModelStore(
            Path(scratch),
            trainers={HYBRID_NAME: trainer},
            indexes=indexes,
            trainer_name=HYBRID_NAME,
        )
        version = store.publish(model, index, user_ids=inputs.user_ids, track_ids=inputs.track_ids)
        job = PlaylistJob(
            inputs=inputs,
            kinds=(PlaylistKind.DISCOVER_WEEKLY,),
            now=NOW,
            trainer=trainer,
            indexes=FaissIndexBuilder(threads=1),
            model_dir=Path(scratch) / version,
            model_version=version,
        )
        local: list[float] = []
        single: list[float] = []
        full = 0
        # One process on a fifth of the users: the same per-user step without the pool.
        sample = max(args.partition, users // 5)
        # The pool's workers stay from one round to the next, as Spark's Python workers do:
        # each round still ships the job and its partitions, the first also loads the model.
        with LocalRunner(args.workers) as runner:
            for _ in range(repeats):
                rate, full = timed_run(runner, job, users, args.partition)
                local.append(rate)
                single.append(timed_run(LocalRunner(1), job, sample, args.partition)[0])
        results = Results(args, users, repeats, machine)
        results.local, results.single, results.full = local, single, full
        results.seconds = {"generate": generate_s, "train_hybrid": train_s, "build_index": index_s}
        results.write()
        if not args.no_spark:
            from encore.adapters.compute.spark import SparkRunner

            # The same job (the hybrid trained above) through mapPartitions, then Spark ALS's
            # own training on the same plays, timed apart: each figure is written as it comes.
            runner = SparkRunner(f"local[{args.workers}]")
            for _ in range(args.spark_repeats or repeats):
                results.spark.append(timed_run(runner, job, users, args.partition)[0])
            results.write()
            if not args.no_spark_als:
                started = time.perf_counter()
                runner.trainer("als", trainer)[1].fit(inputs.plays, inputs.item_genre)
                results.seconds["train_spark_als"] = time.perf_counter() - started
                results.write()


class Results:
    def __init__(
        self, args: argparse.Namespace, users: int, repeats: int, machine: dict[str, object]
    ) -> None:
        self.args, self.users, self.repeats, self.machine = args, users, repeats, machine
        self.local: list[float] = []
        self.single: list[float] = []
        self.spark: list[float] = []
        self.full = 0
        self.seconds: dict[str, float] = {}

    def write(self) -> None:
        local, single, spark = median(self.local), median(self.single), None
        rows = [
            ["local runner", f"{self.args.workers} workers", f"{local:,.0f}", "1.00"],
            ["one process", "1 (no pool)", f"{single:,.0f}", f"{ratio(single, local):.2f}"],
        ]
        if self.spark:
            spark = median(self.spark)
            rows.append(
                [
                    "spark runner",
                    f"local[{self.args.workers}]",
                    f"{spark:,.0f}",
                    f"{ratio(spark, local):.2f}",
                ]
            )
        print_table(
            f"Discover Weekly, {self.users:,} listeners x {self.args.tracks:,} tracks "
            f"(users/s, median of {self.repeats})",
            ["runner", "parallelism", "users/s", "vs local"],
            rows,
        )
        print(
            ", ".join(f"{name} {value:.1f} s" for name, value in self.seconds.items())
            + f"; {self.full:,} of {self.users:,} playlists have 30 tracks"
        )
        write_results(
            "recommend_batch",
            {
                "users": self.users,
                "tracks": self.args.tracks,
                "partition": self.args.partition,
                "workers": self.args.workers,
                "repeats": self.repeats,
                "users_per_s": {"local": local, "one_process": single, "spark": spark},
                "ratio_one_process_to_local": ratio(single, local),
                "ratio_spark_to_local": ratio(spark, local) if spark else None,
                "runs": {"local": self.local, "one_process": self.single, "spark": self.spark},
                "seconds": self.seconds,
                "playlists_with_30_tracks": self.full,
                "target_users_per_s": 2_000,
            },
            machine=self.machine,
        )


if __name__ == "__main__":
    main()
