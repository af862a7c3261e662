"""Playlists, their tracks and their changes; likes and follows.

The edits to a playlist's track list are pure functions over the list, each saying from which
position on the list may differ: that is what both the storage (rewrite only the tail) and the
merging of concurrent edits (does this edit depend on positions another one moved?) need.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from encore.errors import InvalidInput

MAX_TRACKS = 10_000  # per playlist, as Spotify
MAX_TRACKS_PER_REQUEST = 100
DETAILS = frozenset({"name", "description", "public", "collaborative"})


class FollowKind(StrEnum):
    ARTIST = "artist"
    PLAYLIST = "playlist"
    USER = "user"


@dataclass(frozen=True, slots=True)
class Playlist:
    id: str
    owner_id: str | None
    name: str
    description: str
    public: bool
    collaborative: bool
    snapshot_id: str
    version: int
    created_at: datetime
    updated_at: datetime
    kind: str = "user"


@dataclass(frozen=True, slots=True)
class Entry:
    """One track in a playlist: who added it and when."""

    track_id: str
    added_at: datetime
    added_by: str | None


@dataclass(frozen=True, slots=True)
class Change:
    """What one change touched: positions from `touched_from` on (None: no track moved) and
    the named details."""

    version: int
    snapshot_id: str
    touched_from: int | None
    fields: frozenset[str]
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class Edit:
    """A track-list edit's result: the new list, the first position that may differ, and the
    last position the edit's meaning depended on (None: on none, as for an append)."""

    entries: list[Entry]
    touched_from: int | None
    depends_through: int | None


def insert(entries: Sequence[Entry], new: Sequence[Entry], position: int | None) -> Edit:
    size = len(entries)
    if position is not None and not 0 <= position <= size:
        raise InvalidInput(
            f"position must be between 0 and {size}, the playlist's length", position=position
        )
    if size + len(new) > MAX_TRACKS:
        raise InvalidInput(f"A playlist holds at most {MAX_TRACKS} tracks", length=size)
    at = size if position is None else position
    result = [*entries[:at], *new, *entries[at:]]
    # Inserting at p means "after the first p tracks": it depends on those, not on what follows.
    return Edit(result, at if new else None, None if position is None else position - 1)


def remove(entries: Sequence[Entry], track_ids: Sequence[str]) -> Edit:
    """Every occurrence of the given tracks goes; identified by id, so it depends on no
    position."""
    gone = set(track_ids)
    first = next((i for i, entry in enumerate(entries) if entry.track_id in gone), None)
    return Edit([e for e in entries if e.track_id not in gone], first, None)


def remove_positions(entries: Sequence[Entry], positions: Sequence[int]) -> Edit:
    """The tracks at those positions go (a track there twice stays where it is kept); the edit
    depends on every position up to the last one named."""
    size = len(entries)
    gone = set(positions)
    if any(not 0 <= position < size for position in gone):
        raise InvalidInput(f"Positions run from 0 to {size - 1}", positions=sorted(gone))
    if not gone:
        return Edit(list(entries), None, None)
    kept = [entry for position, entry in enumerate(entries) if position not in gone]
    return Edit(kept, min(gone), max(gone))


def reorder(
    entries: Sequence[Entry], *, range_start: int, insert_before: int, range_length: int = 1
) -> Edit:
    """Move `range_length` tracks from `range_start` to just before the track that was at
    `insert_before` (the length for the end), as Spotify's reorder does."""
    size = len(entries)
    if range_length < 1:
        raise InvalidInput("range_length is at least 1", range_length=range_length)
    if not 0 <= range_start < size or range_start + range_length > size:
        raise InvalidInput(
            f"The range must lie within the playlist's {size} tracks",
            range_start=range_start,
            range_length=range_length,
        )
    if not 0 <= insert_before <= size:
        raise InvalidInput(
            f"insert_before must be between 0 and {size}", insert_before=insert_before
        )
    end = range_start + range_length
    depends = max(end - 1, insert_before)
    if range_start <= insert_before <= end:
        return Edit(list(entries), None, depends)  # the range stays where it is
    moved = entries[range_start:end]
    rest = [*entries[:range_start], *entries[end:]]
    at = insert_before if insert_before < range_start else insert_before - range_length
    return Edit([*rest[:at], *moved, *rest[at:]], min(range_start, insert_before), depends)


def conflicts(
    changes: Sequence[Change], *, depends_through: int | None, fields: frozenset[str]
) -> bool:
    """Whether an edit made against an older snapshot collides with the changes made since:
    they moved a position it relied on, or changed a detail it changes too."""
    for change in changes:
        if fields & change.fields:
            return True
        if (
            depends_through is not None
            and change.touched_from is not None
            and change.touched_from <= depends_through
        ):
            return True
    return False


def cover_albums(album_ids: Sequence[str], *, mosaic: int = 4) -> list[str]:
    """The albums whose art makes a playlist's cover: the first four different ones of its
    first tracks as a mosaic, or the first one when there are fewer than four."""
    distinct = list(dict.fromkeys(album_ids))
    return distinct[:mosaic] if len(distinct) >= mosaic else distinct[:1]
