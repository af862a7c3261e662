"""Player events, now playing and recently played on the wire."""

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import AwareDatetime, Field

from encore.api.schemas import RequestBody, ResponseBody
from encore.catalog.model import TrackDetail
from encore.catalog.schemas import SignMedia, TrackRead
from encore.history.model import EventType, Listen, PlayerEvent
from encore.history.service import NowPlaying

ContextType = Literal["playlist", "album", "artist", "search", "radio", "collection"]
ClientId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")


class ContextIn(RequestBody):
    type: ContextType
    id: str | None = Field(default=None, max_length=64)


class EventIn(RequestBody):
    id: str = ClientId
    type: EventType
    track_id: str = Field(min_length=1, max_length=64)
    timestamp: AwareDatetime = Field(description="When it happened, by the player's clock")
    # Not bounded here: a negative duration gets its own per-event status.
    duration_played_ms: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    completed: bool | None = None
    context: ContextIn | None = None
    device: str | None = Field(default=None, max_length=100)

    def to_event(self) -> PlayerEvent:
        return PlayerEvent(
            client_id=self.id,
            type=self.type,
            track_id=self.track_id,
            timestamp=self.timestamp,
            duration_played_ms=self.duration_played_ms,
            completed=self.completed,
            context_type=self.context.type if self.context else None,
            context_id=self.context.id if self.context else None,
            device=self.device,
        )


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its `$defs` written in place of their references, so that it can
    document a field that is not validated against it."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


class EventBatch(RequestBody):
    # Each event is checked on its own, so that one malformed event gets its own status
    # instead of failing the batch.
    events: list[Any] = Field(
        min_length=1,
        description="Events shaped as `EventIn`: {id, type, track_id, timestamp, "
        "duration_played_ms, completed, context: {type, id}, device}",
        json_schema_extra={"items": _inlined(EventIn.model_json_schema())},
    )


class EventStatusRead(ResponseBody):
    id: str | None
    status: Literal["accepted", "clamped", "rejected", "duplicate"]
    reason: str | None = None


class EventBatchRead(ResponseBody):
    accepted: int = Field(description="Events accepted, clamped ones included")
    rejected: int = Field(description="Events rejected or repeated within the batch")
    events: list[EventStatusRead] = Field(description="One status per event, in batch order")


class NowPlayingIn(RequestBody):
    track_id: str = Field(min_length=1, max_length=64)
    progress_ms: int = Field(default=0, ge=0, le=2**31 - 1)
    is_playing: bool = True
    context: ContextIn | None = None
    device: str | None = Field(default=None, max_length=100)


class ContextRead(ResponseBody):
    type: str
    id: str | None


class NowPlayingRead(ResponseBody):
    track_id: str
    progress_ms: int
    is_playing: bool
    context: ContextRead | None
    device: str | None
    timestamp: datetime

    @classmethod
    def of(cls, playing: NowPlaying) -> Self:
        return cls(
            track_id=playing.track_id,
            progress_ms=playing.progress_ms,
            is_playing=playing.is_playing,
            context=_context(playing.context_type, playing.context_id),
            device=playing.device,
            timestamp=playing.updated_at,
        )


class PlayHistoryRead(ResponseBody):
    track: TrackRead
    played_at: datetime
    duration_played_ms: int
    completed: bool
    context: ContextRead | None


class CursorsRead(ResponseBody):
    before: str | None


class RecentlyPlayedRead(ResponseBody):
    items: list[PlayHistoryRead]
    limit: int
    cursors: CursorsRead

    @classmethod
    def of(cls, rows: list[tuple[Listen, TrackDetail]], sign: SignMedia, *, limit: int) -> Self:
        items = [
            PlayHistoryRead(
                track=TrackRead.of(detail, sign),
                played_at=listen.listened_at,
                duration_played_ms=listen.duration_played_ms,
                completed=listen.completed,
                context=_context(listen.context_type, listen.context_id),
            )
            for listen, detail in rows
        ]
        before = str(int(rows[-1][0].listened_at.timestamp() * 1000)) if rows else None
        return cls(items=items, limit=limit, cursors=CursorsRead(before=before))


def _context(kind: str | None, context_id: str | None) -> ContextRead | None:
    return ContextRead(type=kind, id=context_id) if kind else None
