"""A batch run: read the inputs, train and publish a model, make every listener's playlists
on a runner, partition by partition, and store each partition as it completes.

A listener's new playlists replace their old ones in one transaction, so a run that fails part
way leaves everyone with a complete set: new for the partitions done, the previous otherwise.
"""

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from encore.recommend.domain import (
    MIN_HISTORY,
    BatchInputs,
    PlaylistKind,
    Source,
    UserPartition,
    period,
)
from encore.recommend.job import PlaylistJob
from encore.recommend.model_store import ModelStore, ServingModel, version_time
from encore.recommend.ports import (
    AnnIndexBuilder,
    BatchRunner,
    GeneratedPlaylists,
    InteractionSource,
    ModelTrainer,
    Progress,
    RunLog,
)

log = logging.getLogger(__name__)
PARTITION = 2_000  # users per partition
# Kinds whose popularity fallback a model can better once the listener has history.
MODEL_MADE = frozenset({PlaylistKind.DISCOVER_WEEKLY, PlaylistKind.DAILY_MIX})


@dataclass(frozen=True)
class RunReport:
    run_id: str
    runner: str
    users: int
    playlists: int
    model_version: str | None
    seconds: float


class RecommendBatch:
    def __init__(
        self,
        *,
        source: InteractionSource,
        playlists: GeneratedPlaylists,
        models: ModelStore,
        trainer: ModelTrainer,
        indexes: AnnIndexBuilder,
        runs: RunLog,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        partition: int = PARTITION,
    ) -> None:
        self._source = source
        self._playlists = playlists
        self._models = models
        self._trainer = trainer
        self._indexes = indexes
        self.runs = runs
        self._clock = clock
        self._partition = partition

    def run(
        self,
        runner: BatchRunner,
        kinds: Sequence[PlaylistKind],
        progress: Progress = lambda done, total: None,
        *,
        due_only: bool = False,
        reuse_model_for: timedelta | None = None,
    ) -> RunReport:
        """Make the playlists of `kinds` for every listener or, with `due_only`, for those
        whose current period (their local Monday, or midnight) has none yet, or only a
        popularity one while they now have history enough for the model.

        With `reuse_model_for`, the newest model is used again when it is younger than that and
        knows the same tracks (listeners it never saw are folded in); otherwise one is trained.
        """
        started = self._clock()
        run_id = self.runs.started(runner=runner.name, kinds=kinds, at=started)
        stored = 0
        version: str | None = None
        users = 0
        try:
            inputs = self._source.snapshot(started)
            chosen = (
                self._due(inputs, kinds, started)
                if due_only
                else np.arange(inputs.n_users, dtype=np.int64)
            )
            users = len(chosen)
            if users == 0:
                self.runs.finished(
                    run_id, at=self._clock(), users=0, playlists=0, model_version=None
                )
                return RunReport(run_id, runner.name, 0, 0, None, 0.0)
            model_dir = None
            model_users = None
            made_by = self._models.trainer_name
            reused = self._reusable(inputs, started, reuse_model_for)
            if reused is not None:
                version = reused.version
                made_by = reused.trainer_name
                model_dir = self._models.root / version
                model_users = np.array(
                    [-1 if (n := reused.user(u)) is None else n for u in inputs.user_ids],
                    dtype=np.int64,
                )
                log.info("reusing model %s", version)
            elif inputs.plays.nnz and inputs.n_items:
                made_by, trainer = runner.trainer(made_by, self._trainer)
                model = trainer.fit(inputs.plays, inputs.item_genre)
                index = self._indexes.build(model.item_vectors)
                version = self._models.publish(
                    model,
                    index,
                    user_ids=inputs.user_ids,
                    track_ids=inputs.track_ids,
                    trainer_name=made_by,
                )
                model_dir = self._models.root / version
            else:
                log.info("no plays yet: every playlist of this run comes from popularity")
            job = PlaylistJob(
                inputs=inputs,
                kinds=tuple(kinds),
                now=started,
                trainer=self._models.trainer(made_by),
                indexes=self._indexes,
                model_dir=model_dir,
                model_version=version,
                model_users=model_users,
            )
            for made in runner.run(job, partitions(chosen, self._partition), progress):
                stored += self._playlists.replace(made)
        except Exception as failure:
            log.exception("recommendation run %s failed; earlier playlists stay", run_id)
            self.runs.finished(
                run_id,
                at=self._clock(),
                users=users,
                playlists=stored,
                model_version=version,
                error=f"{type(failure).__name__}: {failure}",
            )
            raise
        finished = self._clock()
        self.runs.finished(
            run_id, at=finished, users=users, playlists=stored, model_version=version
        )
        return RunReport(
            run_id=run_id,
            runner=runner.name,
            users=users,
            playlists=stored,
            model_version=version,
            seconds=(finished - started).total_seconds(),
        )

    def _reusable(
        self, inputs: BatchInputs, now: datetime, young: timedelta | None
    ) -> ServingModel | None:
        if young is None:
            return None
        serving = self._models.refresh()
        if serving is None or now - version_time(serving.version) > young:
            return None
        if serving.version not in self._models.versions():
            # Served from memory, but its files are gone: the jobs could not load it.
            log.warning("model %s is no longer in the store: training a new one", serving.version)
            return None
        if not np.array_equal(serving.track_ids, np.asarray(inputs.track_ids, dtype=np.str_)):
            return None  # the catalog changed since: its track numbers no longer hold
        if np.isin(serving.user_ids, np.asarray(inputs.user_ids, dtype=np.str_), invert=True).any():
            return None  # a listener deleted their account since: they leave the model now
        return serving

    def _due(
        self, inputs: BatchInputs, kinds: Sequence[PlaylistKind], now: datetime
    ) -> NDArray[np.int64]:
        due = np.zeros(inputs.n_users, dtype=bool)
        enough = np.diff(inputs.plays.indptr) >= MIN_HISTORY
        for kind in kinds:
            newest = self._playlists.periods(kind)
            for user, (user_id, zone) in enumerate(
                zip(inputs.user_ids, inputs.user_zones, strict=True)
            ):
                if due[user]:
                    continue
                found = newest.get(user_id)
                due[user] = (
                    found is None
                    or (found[1] is Source.POPULARITY and kind in MODEL_MADE and bool(enough[user]))
                    or found[0] < period(kind, now, zone).start
                )
        return np.flatnonzero(due).astype(np.int64)


def partitions(users: NDArray[np.int64], size: int) -> list[UserPartition]:
    count = math.ceil(len(users) / size)
    return [
        UserPartition(number, users[number * size : (number + 1) * size]) for number in range(count)
    ]
