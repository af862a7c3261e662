"""Versioned models in the data directory, and the one that serving uses.

Each trained model is a directory `DATA/models/<version>/`: the model's own files, the ANN index
over its item vectors, the user and track ids of its index space, and last of all a `COMPLETE`
marker. A version is written under a temporary name and renamed into place once the marker is
in, so a reader never sees half of one; a directory without the marker (a crash, a full disk) is
ignored. Serving holds the newest complete version and swaps in a newer one whole.
"""

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from encore.recommend.ports import AnnIndex, AnnIndexBuilder, ModelTrainer, TasteModel

log = logging.getLogger(__name__)

MARKER = "COMPLETE"
INDEX_FILE = "items.ann"
IDS_FILE = "ids.npz"
KEEP = 3  # versions kept; older ones are deleted after a new one is complete


VERSION_TIME = "%Y%m%dT%H%M%S%fZ"


def version_time(version: str) -> datetime:
    """When a version was made (its name begins with the time)."""
    return datetime.strptime(version.split("-")[0], VERSION_TIME).replace(tzinfo=UTC)


@dataclass(frozen=True)
class ServingModel:
    """A complete model version, loaded: the model, its ANN index, and its index space."""

    version: str
    model: TasteModel
    index: AnnIndex
    user_ids: NDArray[np.str_]
    track_ids: NDArray[np.str_]
    trainer_name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_users", {u: i for i, u in enumerate(self.user_ids.tolist())})
        object.__setattr__(self, "_tracks", {t: i for i, t in enumerate(self.track_ids.tolist())})

    def user(self, user_id: str) -> int | None:
        found: int | None = self._users.get(user_id)  # type: ignore[attr-defined]
        return found

    def track(self, track_id: str) -> int | None:
        found: int | None = self._tracks.get(track_id)  # type: ignore[attr-defined]
        return found


class ModelStore:
    def __init__(
        self,
        root: Path,
        *,
        trainers: Mapping[str, ModelTrainer],
        indexes: AnnIndexBuilder,
        trainer_name: str,
        recheck_s: float = 30.0,
    ) -> None:
        self.root = root
        # What can load a version, by the trainer name its marker records.
        self._trainers = dict(trainers)
        self._indexes = indexes
        self.trainer_name = trainer_name
        self._recheck_s = recheck_s
        self._lock = threading.Lock()
        self._serving: ServingModel | None = None
        self._checked_at = -float("inf")
        self._failed: set[str] = set()

    def publish(
        self,
        model: TasteModel,
        index: AnnIndex,
        *,
        user_ids: Sequence[str],
        track_ids: Sequence[str],
        now: datetime | None = None,
        trainer_name: str | None = None,
    ) -> str:
        """Write a complete new version (made by `trainer_name`, by default the store's);
        its name."""
        made = now or datetime.now(UTC)
        version = f"{made.astimezone(UTC).strftime(VERSION_TIME)}-{uuid.uuid4().hex[:6]}"
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f".partial-{version}"
        partial.mkdir()
        model.save(partial)
        index.save(partial / INDEX_FILE)
        np.savez(
            partial / IDS_FILE,
            user_ids=np.asarray(user_ids, dtype=np.str_),
            track_ids=np.asarray(track_ids, dtype=np.str_),
        )
        marker = {
            "version": version,
            "trainer": trainer_name or self.trainer_name,
            "created_at": made.isoformat(),
            "users": len(user_ids),
            "tracks": len(track_ids),
        }
        with (partial / MARKER).open("w") as out:
            json.dump(marker, out)
            out.flush()
            os.fsync(out.fileno())
        os.rename(partial, self.root / version)
        self._prune()
        return version

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if not entry.name.startswith(".") and (entry / MARKER).is_file()
        )

    def load(self, version: str) -> ServingModel:
        directory = self.root / version
        marker = json.loads((directory / MARKER).read_text())
        made_by = marker.get("trainer")
        if made_by not in self._trainers:
            raise ValueError(f"model {version} was made by {made_by!r}, which nothing here loads")
        ids = np.load(directory / IDS_FILE)
        return ServingModel(
            version=version,
            model=self._trainers[made_by].load(directory),
            index=self._indexes.load(directory / INDEX_FILE),
            user_ids=ids["user_ids"],
            track_ids=ids["track_ids"],
            trainer_name=made_by,
        )

    def trainer(self, name: str) -> ModelTrainer:
        """What loads the versions `name` made."""
        return self._trainers[name]

    def current(self) -> ServingModel | None:
        """The newest complete version that loads (None before the first): rechecked every
        `recheck_s`, swapped whole. One that fails to load is logged and passed over."""
        now = time.monotonic()
        if now - self._checked_at < self._recheck_s:
            return self._serving
        with self._lock:
            if now - self._checked_at < self._recheck_s:
                return self._serving
            self._checked_at = now
            serving = self._serving
            for version in reversed(self.versions()):
                if serving is not None and version <= serving.version:
                    break
                if version in self._failed:
                    continue
                try:
                    loaded = self.load(version)
                except Exception:
                    log.exception("model %s does not load; serving stays as it was", version)
                    self._failed.add(version)
                    continue
                self._serving = loaded
                log.info("serving model %s", version)
                break
            if self._serving is None:
                log.warning("no complete model under %s: recommendations use popularity", self.root)
            return self._serving

    def refresh(self) -> ServingModel | None:
        """`current`, without waiting for the recheck interval."""
        self._checked_at = -float("inf")
        return self.current()

    def _prune(self) -> None:
        for version in self.versions()[:-KEEP]:
            shutil.rmtree(self.root / version, ignore_errors=True)
        cutoff = time.time() - 24 * 3600
        for entry in self.root.iterdir():
            # A partial version older than a day was left by a crash.
            if entry.name.startswith(".partial-") and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
