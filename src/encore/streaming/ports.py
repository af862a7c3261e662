"""What streaming needs from elsewhere: what is popular where, and a way to warm an edge."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from encore.catalog.model import Quality


class Popularity(Protocol):
    def top_tracks(
        self, *, countries: Collection[str], since: datetime, limit: int
    ) -> Sequence[str]:
        """The tracks played most by listeners in `countries` since `since`, most first."""
        ...

    def popular_playlist_tracks(self, *, playlists: int, per_playlist: int) -> Sequence[str]:
        """The first `per_playlist` tracks of the `playlists` most followed public playlists."""
        ...

    def rendition_paths(
        self, track_ids: Sequence[str], qualities: Collection[Quality]
    ) -> Sequence[str]:
        """Media keys of those tracks' renditions at those qualities, in `track_ids` order."""
        ...


@dataclass(frozen=True, slots=True)
class Warmed:
    url: str
    ok: bool
    bytes: int
    detail: str = ""


class EdgeWarmer(Protocol):
    def warm(self, urls: Sequence[str]) -> Sequence[Warmed]:
        """Fetch each URL through the edge so that it keeps a copy."""
        ...
