"""What personalization needs from models, indexes, storage and batch engines.

`TasteModel` and `ModelTrainer` are the seam with the production model
(`encore.recommend.model`): both sides keep them exactly as they are written here.
"""

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from encore.recommend.domain import (
    BatchInputs,
    GeneratedPlaylist,
    PlaylistKind,
    Source,
    StoredPlaylist,
    UserPartition,
)


class TasteModel(Protocol):
    """A trained implicit-feedback model over a fixed user and item (track) index space."""

    @property
    def user_vectors(self) -> NDArray[np.float32]: ...  # (n_users, d); dot with item_vectors
    @property
    def item_vectors(self) -> NDArray[np.float32]: ...  # (n_items, d); what the ANN index holds

    def score(
        self, user: int, history: csr_matrix, items: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        """Final ranking score of `items` for `user` (higher is better). `history` is the user's
        1 x n_items row of (confidence-weighted) play counts, which a hybrid may use."""
        ...

    def score_block(
        self, users: NDArray[np.int64], histories: csr_matrix, items: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        """`score` for many users at once (a batch partition): row r of `histories` is
        `users[r]`'s; `items` is n x k (one row per user, -1 pads and scores -inf) or a 1-D
        array asked of every user. Returns n x k."""
        ...

    def fold_in(self, history: csr_matrix) -> NDArray[np.float32]:
        """A taste vector (d,) for a user absent from training, from a 1 x n_items history row."""
        ...

    def save(self, directory: Path) -> None: ...  # writes files into `directory`


class ModelTrainer(Protocol):
    def fit(self, plays: csr_matrix, item_genres: NDArray[np.int64] | None) -> TasteModel:
        """`plays` is users x items float32 play counts; `item_genres[i]` a genre index or -1."""
        ...

    def load(self, directory: Path) -> TasteModel: ...


class AnnIndex(Protocol):
    """Approximate maximum-inner-product search over the item vectors."""

    def search(
        self, queries: NDArray[np.float32], k: int
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """For each query row, up to `k` (score, item) pairs, best first; item -1 pads a row
        that found fewer."""
        ...

    def save(self, path: Path) -> None: ...


class AnnIndexBuilder(Protocol):
    def build(self, vectors: NDArray[np.float32]) -> AnnIndex: ...
    def load(self, path: Path) -> AnnIndex: ...


class InteractionSource(Protocol):
    """What the batch jobs read: listening history, likes, follows and the catalog, as arrays."""

    def snapshot(self, now: datetime) -> BatchInputs: ...


class GeneratedPlaylists(Protocol):
    """Encore's own playlists, made for one listener each."""

    def replace(self, playlists: Sequence[GeneratedPlaylist]) -> int:
        """Store each playlist and then, in the same transaction, delete the older playlists of
        its kind made for its listener: a listener always has a complete set. How many stored."""
        ...

    def periods(self, kind: PlaylistKind) -> dict[str, tuple[datetime, Source]]:
        """Per listener, the period start and source of their newest playlist of that kind."""
        ...

    def latest(self, user_id: str, kind: PlaylistKind, *, now: datetime) -> list[StoredPlaylist]:
        """The newest unexpired generation of that kind for the listener (several for Daily
        Mix, in order), with their tracks; empty when there is none."""
        ...


# Called with (users done, users in all) as partitions finish.
Progress = Callable[[int, int], None]


class BatchRunner(Protocol):
    """Runs the per-user step over partitions of users, wherever the engine puts them."""

    name: str

    def trainer(self, name: str, default: ModelTrainer) -> tuple[str, ModelTrainer]:
        """The trainer this engine trains with, and its name: `default` (named `name`) unless
        the engine has its own."""
        ...

    def run(
        self, job: "PartitionJob", partitions: Sequence[UserPartition], progress: Progress
    ) -> Iterator[list[GeneratedPlaylist]]:
        """The playlists of each partition, as each one completes (in any order). Raises when
        the job fails; what was yielded before stands."""
        ...


class PartitionJob(Protocol):
    """The per-user step, picklable, so that any runner can ship it to its workers."""

    def __call__(self, partition: UserPartition) -> list[GeneratedPlaylist]: ...


class Listeners(Protocol):
    """What serving looks up about listeners and tracks, outside the batch runs."""

    def locate(self, user_id: str) -> tuple[str, str | None] | None:
        """The listener's country and time zone; None when there is no such listener."""
        ...

    def spared(self, user_id: str, *, since: datetime) -> set[str]:
        """Tracks the listener played since then, or liked."""
        ...

    def popular_tracks(self, country: str, *, now: datetime, limit: int) -> list[str]:
        """Most played in the country over the weeks before `now`, then most popular
        anywhere: only tracks a listener there can play (with audio, licensed there)."""
        ...

    def new_releases(
        self, *, since: datetime, until: datetime, limit: int, country: str
    ) -> list[str]:
        """Tracks of albums released in that window, newest first, then most popular: only
        tracks a listener in `country` can play."""
        ...

    def playable(self, track_ids: Sequence[str], *, country: str | None) -> set[str]:
        """Those of `track_ids` with audio to stream and, for a listener in `country` (None:
        for anyone, licences aside), licensed there."""
        ...

    def facets(self, track_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """Each existing track's primary artist id and primary genre number (-1: none)."""
        ...

    def seed_tracks(self, kind: str, seed_id: str, *, user_id: str) -> list[str] | None:
        """The tracks a radio seed stands for (a track, an artist's tracks, a playlist's
        tracks); None when the seed does not exist or is a playlist the user may not see."""
        ...


class RunLog(Protocol):
    """One record per batch run, from its start to its outcome (for operators)."""

    def started(self, *, runner: str, kinds: Sequence[PlaylistKind], at: datetime) -> str: ...
    def finished(
        self,
        run_id: str,
        *,
        at: datetime,
        users: int,
        playlists: int,
        model_version: str | None,
        error: str | None = None,
    ) -> None: ...
