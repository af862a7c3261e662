"""Finding the feed track that an audio file is the recording of.

A catalog feed makes tracks known by metadata alone; when their audio is imported later, the file
must become that track (keeping its id, popularity and licences) rather than a second one. The
match is the same ISRC, or else the same title and first artist, case and accents aside, and a
duration within a few seconds where both are known. Each feed track takes one file at most.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable

from encore.catalog.model import UnheardTrack


class UnheardTracks:
    def __init__(self, tracks: Iterable[UnheardTrack]) -> None:
        self._by_isrc: dict[str, UnheardTrack] = {}
        self._by_name: dict[tuple[str, str], list[UnheardTrack]] = defaultdict(list)
        for track in tracks:
            if track.isrc:
                self._by_isrc.setdefault(track.isrc.upper(), track)
            self._by_name[(_folded(track.title), _folded(track.first_artist))].append(track)
        self._claimed: set[str] = set()

    def __len__(self) -> int:
        return sum(len(tracks) for tracks in self._by_name.values()) - len(self._claimed)

    def claim(self, *, isrc: str | None, title: str, artist: str, duration_ms: int) -> str | None:
        """The id of the feed track a file with these tags is the audio of, now taken; or None."""
        if isrc and (same := self._by_isrc.get(isrc.upper())) and same.id not in self._claimed:
            self._claimed.add(same.id)
            return same.id
        candidates = [
            track
            for track in self._by_name.get((_folded(title), _folded(artist)), ())
            if track.id not in self._claimed and _durations_agree(track.duration_ms, duration_ms)
        ]
        if not candidates:
            return None
        best = min(candidates, key=lambda track: abs(track.duration_ms - duration_ms))
        self._claimed.add(best.id)
        return best.id

    def release(self, track_id: str) -> None:
        """Give a claimed track back (its file failed to import)."""
        self._claimed.discard(track_id)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _durations_agree(known_ms: int, heard_ms: int) -> bool:
    """Within 5 s or 5%: a feed's duration and a file's differ by padding and rounding."""
    if known_ms <= 0 or heard_ms <= 0:
        return True
    return abs(known_ms - heard_ms) <= max(5_000, max(known_ms, heard_ms) // 20)
