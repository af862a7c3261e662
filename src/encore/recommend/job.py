"""The per-user step as a job any runner can ship: picklable, loading the model and its index
once per worker process from the model's directory."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from encore.recommend.discover import discover_weekly
from encore.recommend.domain import BatchInputs, GeneratedPlaylist, PlaylistKind, UserPartition
from encore.recommend.generation import Generation
from encore.recommend.mixes import daily_mixes
from encore.recommend.model_store import INDEX_FILE
from encore.recommend.ports import AnnIndexBuilder, ModelTrainer
from encore.recommend.radar import release_radar

STEPS: dict[PlaylistKind, Callable[[Generation, NDArray[np.int64]], list[GeneratedPlaylist]]] = {
    PlaylistKind.DISCOVER_WEEKLY: discover_weekly,
    PlaylistKind.DAILY_MIX: daily_mixes,
    PlaylistKind.RELEASE_RADAR: release_radar,
}

# One per worker process: (model directory, run time) -> what its partitions share.
_loaded: dict[tuple[str, str], Generation] = {}


@dataclass(frozen=True)
class PlaylistJob:
    inputs: BatchInputs
    kinds: tuple[PlaylistKind, ...]
    now: datetime
    trainer: ModelTrainer
    indexes: AnnIndexBuilder
    model_dir: Path | None = None  # None: no model this run, popularity for everyone
    model_version: str | None = None
    # Per input user, the model's user number, -1 to fold in; None: trained on these inputs.
    model_users: NDArray[np.int64] | None = None

    def generation(self) -> Generation:
        key = (str(self.model_dir), self.now.isoformat())
        found = _loaded.get(key)
        if found is None:
            model = index = None
            if self.model_dir is not None:
                model = self.trainer.load(self.model_dir)
                index = self.indexes.load(self.model_dir / INDEX_FILE)
            found = Generation(
                inputs=self.inputs,
                model=model,
                index=index,
                model_users=np.arange(self.inputs.n_users, dtype=np.int64)
                if self.model_users is None
                else self.model_users,
                now=self.now,
                model_version=self.model_version,
            )
            _loaded.clear()
            _loaded[key] = found
        return found

    def __call__(self, partition: UserPartition) -> list[GeneratedPlaylist]:
        generation = self.generation()
        made: list[GeneratedPlaylist] = []
        for kind in self.kinds:
            made.extend(STEPS[kind](generation, partition.users))
        return made
