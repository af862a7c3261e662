"""What a deleted account leaves behind, and what becomes of the playlists it owned."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

# How a deleted listener is shown wherever others still see their traces (tracks they added to
# a shared playlist, a public playlist kept for its followers).
DELETED_USER = "deleted user"


class PlaylistFate(StrEnum):
    # A collaborative playlist passes to the collaborator invited first: the others keep editing
    # it, and someone can still rename, invite or delete it. Left ownerless it would be frozen
    # for everyone, since only an owner may do those.
    TRANSFERRED = "transferred"
    # A public playlist others follow (and nobody edits with them) stays for its followers,
    # read-only, its owner shown as "deleted user".
    KEPT_OWNERLESS = "kept_ownerless"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class OwnedPlaylist:
    """A playlist of the listener being deleted, with who else uses it."""

    id: str
    public: bool
    collaborative: bool
    collaborators: Sequence[str]  # in the order they were invited
    followers: int  # other listeners following it


@dataclass(frozen=True, slots=True)
class PlaylistOutcome:
    playlist_id: str
    fate: PlaylistFate
    new_owner: str | None = None


def fate_of(playlist: OwnedPlaylist) -> PlaylistOutcome:
    """What becomes of a playlist whose owner deletes their account."""
    if playlist.collaborators:
        return PlaylistOutcome(playlist.id, PlaylistFate.TRANSFERRED, playlist.collaborators[0])
    if playlist.public and playlist.followers > 0:
        return PlaylistOutcome(playlist.id, PlaylistFate.KEPT_OWNERLESS)
    return PlaylistOutcome(playlist.id, PlaylistFate.DELETED)


@dataclass(frozen=True, slots=True)
class Erasure:
    """What deleting one account did in the database (one transaction)."""

    user_id: str
    deleted_at: datetime
    playlists: Sequence[PlaylistOutcome]
    # Rows removed per table, for the operator's report.
    rows: dict[str, int] = field(default_factory=dict)

    def playlists_with(self, fate: PlaylistFate) -> list[PlaylistOutcome]:
        return [outcome for outcome in self.playlists if outcome.fate is fate]


@dataclass(frozen=True, slots=True)
class Tombstone:
    user_id: str
    deleted_at: datetime
    lake_forgotten_at: datetime | None


@dataclass(frozen=True, slots=True)
class LakeForgetting:
    """One pass of forgetting deleted listeners outside SQL."""

    users: int
    rewritten: int  # lake files and event-log batches rewritten
    removed: int  # events removed
