"""A listen: one play of one track by one listener, as the player reported it."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Listen:
    # The client's own id for the event, so that a batch sent twice is stored once.
    event_id: str
    user_id: str
    track_id: str
    listened_at: datetime  # when the play began
    duration_played_ms: int
    completed: bool
    received_at: datetime  # when Encore heard of it (later than the play, for offline plays)
    # Left early on purpose (the listener moved on), as opposed to stopped by the session ending.
    skipped: bool = False
    # Where the play started from, in the Web API's terms: ('album', id), ('playlist', id), ...
    context_type: str | None = None
    context_id: str | None = None
    device: str | None = None
