"""Domain objects with sensible defaults: `make_track(album_id=..., title="Intro")`.

Every call gets fresh ids (and a fresh email / path / hash where those must be unique), so tests
only spell out what they are about.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from encore.accounts.model import (
    Membership,
    MembershipStatus,
    Plan,
    PlanChange,
    RefreshToken,
    User,
)
from encore.catalog.model import Album, AlbumType, Artist, Quality, Rendition, Track
from encore.history.model import Listen
from encore.ids import new_id

# Microseconds on purpose: they must survive a round trip.
NOW = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


def make_user(**overrides: Any) -> User:
    user_id = new_id()
    user = User(
        id=user_id,
        email=f"listener-{user_id.lower()}@example.com",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        display_name="A Listener",
        country="SE",
        plan=Plan.FREE,
        is_admin=False,
        created_at=NOW,
    )
    return replace(user, **overrides)


def make_plan_change(*, user_id: str, **overrides: Any) -> PlanChange:
    change = PlanChange(
        id=new_id(),
        user_id=user_id,
        idempotency_key=new_id(),
        from_plan=Plan.FREE,
        to_plan=Plan.PREMIUM,
        changed_by=user_id,
        reason="",
        changed_at=NOW,
    )
    return replace(change, **overrides)


def make_membership(*, owner_id: str, member_id: str, **overrides: Any) -> Membership:
    membership = Membership(
        owner_id=owner_id,
        member_id=member_id,
        status=MembershipStatus.INVITED,
        invited_at=NOW,
        joined_at=None,
    )
    return replace(membership, **overrides)


def make_refresh_token(*, user_id: str, **overrides: Any) -> RefreshToken:
    token = RefreshToken(
        id=new_id(),
        user_id=user_id,
        family_id=new_id(),
        token_hash=new_id().ljust(64, "0"),
        issued_at=NOW,
        expires_at=NOW + timedelta(days=30),
        used_at=None,
        revoked_at=None,
    )
    return replace(token, **overrides)


def make_artist(**overrides: Any) -> Artist:
    artist = Artist(id=new_id(), name="The Artist", sort_name="Artist, The", created_at=NOW)
    return replace(artist, **overrides)


def make_album(*, artist_ids: tuple[str, ...], **overrides: Any) -> Album:
    album = Album(
        id=new_id(),
        name="An Album",
        album_type=AlbumType.ALBUM,
        artist_ids=artist_ids,
        created_at=NOW,
    )
    return replace(album, **overrides)


def make_track(*, album_id: str, artist_ids: tuple[str, ...], **overrides: Any) -> Track:
    track = Track(
        id=new_id(),
        album_id=album_id,
        title="A Track",
        duration_ms=215_000,
        artist_ids=artist_ids,
        created_at=NOW,
    )
    return replace(track, **overrides)


def make_rendition(*, track_id: str, quality: Quality, **overrides: Any) -> Rendition:
    lossless = quality is Quality.LOSSLESS
    rendition = Rendition(
        track_id=track_id,
        quality=quality,
        format="flac" if lossless else "ogg",
        codec="flac" if lossless else "vorbis",
        bitrate_kbps=None if lossless else 160,
        size_bytes=4_200_000,
        path=f"audio/{track_id[0:2]}/{track_id[2:4]}/{track_id}/{quality.value}-{new_id()}",
        checksum=new_id().ljust(64, "0"),
        created_at=NOW,
    )
    return replace(rendition, **overrides)


def make_listen(*, user_id: str, track_id: str, **overrides: Any) -> Listen:
    listen = Listen(
        event_id=new_id(),
        user_id=user_id,
        track_id=track_id,
        listened_at=NOW,
        duration_played_ms=215_000,
        completed=True,
        received_at=NOW + timedelta(seconds=3),
    )
    return replace(listen, **overrides)
