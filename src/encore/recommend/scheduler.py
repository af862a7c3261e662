"""The in-server schedule of the batch runs: every `check_s`, Discover Weekly and Release Radar
for listeners whose Monday has come, Daily Mix for those whose day has, in their time zones."""

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta

from encore.recommend.batch import RecommendBatch
from encore.recommend.domain import PlaylistKind
from encore.recommend.ports import BatchRunner

log = logging.getLogger(__name__)
# Listeners' Mondays come hour by hour round the world: one model serves a day of them.
REUSE_MODEL_FOR = timedelta(hours=20)
FIRST_ROUND_S = 60.0
SCHEDULE: tuple[tuple[PlaylistKind, ...], ...] = (
    (PlaylistKind.DISCOVER_WEEKLY, PlaylistKind.RELEASE_RADAR),
    (PlaylistKind.DAILY_MIX,),
)


class RecommendScheduler:
    def __init__(
        self,
        batch: RecommendBatch,
        runner: Callable[[], BatchRunner],
        *,
        check_s: float,
        schedule: Sequence[tuple[PlaylistKind, ...]] = SCHEDULE,
    ) -> None:
        self._batch = batch
        self._runner = runner
        self._check_s = check_s
        self._schedule = schedule
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None or self._check_s <= 0:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="recommend-schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def run_due(self) -> int:
        """One round: the due listeners of each kind group; how many playlists were made."""
        made = 0
        for kinds in self._schedule:
            try:
                made += self._batch.run(
                    self._runner(), kinds, due_only=True, reuse_model_for=REUSE_MODEL_FOR
                ).playlists
            except Exception:
                # Logged with the run; the previous playlists stay, the next round retries.
                log.warning("scheduled run of %s failed", ",".join(kinds))
        return made

    def _loop(self) -> None:
        # A first round soon after start-up (a fresh instance has nothing yet), then regularly.
        wait = min(FIRST_ROUND_S, self._check_s)
        while not self._stop.wait(wait):
            self.run_due()
            wait = self._check_s
