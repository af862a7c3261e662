"""The mixed load's world: a catalog with audio, listeners with playlists, seeded into a running
fleet through Encore's own services (bootstrapped from the fleet's settings file); and the count
afterwards of what the load was told was kept.

The plan (`Plan`, a JSON file) is all the load generator knows: it runs in a process of its own
and imports nothing of Encore.
"""

import json
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

WORDS = (
    "amber",
    "blue",
    "cold",
    "dawn",
    "echo",
    "fire",
    "glass",
    "harbor",
    "iron",
    "jade",
    "kite",
    "lunar",
    "meadow",
    "night",
    "ocean",
    "paper",
    "quiet",
    "river",
    "silver",
    "thunder",
    "union",
    "velvet",
    "winter",
    "yellow",
    "zenith",
    "autumn",
    "bright",
    "crystal",
    "desert",
    "electric",
    "forest",
    "golden",
    "hollow",
    "island",
    "jungle",
)
PASSWORD = "soak-password-1"
URL_TTL_S = 6 * 3600


@dataclass(frozen=True)
class Plan:
    """What the load generator plays: tokens, ids and pre-signed audio paths."""

    base_url: str
    tokens: list[str]  # one per listener, in `user_ids` order
    user_ids: list[str]
    playlist_ids: list[str]  # one per listener, owned by them
    track_ids: list[str]
    audio_paths: list[str]  # signed `/audio/...?exp&sig` paths of files that exist
    audio_bytes: int
    queries: list[str]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> "Plan":
        return cls(**json.loads(path.read_text()))


def seed(
    data_dir: Path,
    base_url: str,
    *,
    tracks: int = 300,
    listeners: int = 16,
    audio_files: int = 24,
    audio_bytes: int = 2 * 1024 * 1024,
) -> Plan:
    """Seed the fleet whose settings are `DATA/encore.toml` and return the load's plan."""
    from encore.accounts.model import Plan as AccountPlan
    from encore.accounts.passwords import Passwords
    from encore.bootstrap import bootstrap, stream_signing_keys
    from encore.catalog.audio import LADDER, audio_key
    from encore.catalog.model import Album, AlbumType, Artist, Quality, Rendition, Track
    from encore.config import load_settings
    from encore.ids import new_id
    from encore.streaming.signing import UrlSigner

    settings = load_settings(data_dir=data_dir, access_token_ttl_s=URL_TTL_S)
    services = bootstrap(
        settings, run_migrations=False, passwords=Passwords(time_cost=1, memory_cost_kib=1024)
    )
    chooser = random.Random(10)
    normal = next(spec for spec in LADDER if spec.quality is Quality.NORMAL)
    try:
        # One transaction and one reindex: the catalog service's per-track writes and search
        # updates would take most of the CI test's time.
        with services.uow() as uow:
            artist_ids = []
            for index in range(max(1, tracks // 10)):
                name = f"{chooser.choice(WORDS).title()} {chooser.choice(WORDS).title()} {index}"
                artist_ids.append(new_id())
                uow.artists.add(Artist(id=artist_ids[-1], name=name, sort_name=name))
            track_ids: list[str] = []
            for index in range(tracks):
                artist_id = artist_ids[(index // 10) % len(artist_ids)]
                if index % 10 == 0:
                    album = Album(
                        id=new_id(),
                        name=f"{chooser.choice(WORDS).title()} Album {index}",
                        album_type=AlbumType.ALBUM,
                        artist_ids=(artist_id,),
                    )
                    uow.albums.add(album)
                track = Track(
                    id=new_id(),
                    album_id=album.id,
                    title=f"{chooser.choice(WORDS).title()} {chooser.choice(WORDS)} {index}",
                    duration_ms=chooser.randint(120_000, 360_000),
                    artist_ids=(artist_id,),
                    popularity=chooser.randint(0, 100),
                )
                uow.tracks.add(track)
                track_ids.append(track.id)
                # The one quality the load asks for.
                uow.renditions.put(
                    Rendition(
                        track_id=track.id,
                        quality=normal.quality,
                        format=normal.extension,
                        codec=normal.codec,
                        bitrate_kbps=normal.bitrate_kbps,
                        size_bytes=audio_bytes,
                        path=audio_key(track.id, normal.file_name),
                        checksum="0" * 64,
                    )
                )
            uow.commit()
        services.search.reindex()
        keys = [audio_key(track_id, normal.file_name) for track_id in track_ids[:audio_files]]
        for key in keys:
            services.media.put_bytes(key, os.urandom(audio_bytes), content_type="audio/ogg")
        signer = UrlSigner(stream_signing_keys(settings), ttl_s=URL_TTL_S)
        now = time.time()
        tokens, user_ids, playlist_ids = [], [], []
        for index in range(listeners):
            email = f"soak{index}@example.com"
            account = services.accounts.add_user(
                email=email, password=PASSWORD, country="SE", plan=AccountPlan.PREMIUM
            )
            tokens.append(services.accounts.sign_in(email=email, password=PASSWORD).access_token)
            user_ids.append(account.user.id)
            playlist = services.library.create(owner_id=account.user.id, name=f"Soak {index}")
            playlist_ids.append(playlist.id)
    finally:
        services.close()
    return Plan(
        base_url=base_url,
        tokens=tokens,
        user_ids=user_ids,
        playlist_ids=playlist_ids,
        track_ids=track_ids,
        audio_paths=[signer.sign(f"/{key}", now=now).path_and_query for key in keys],
        audio_bytes=audio_bytes,
        queries=sorted(set(WORDS)),
    )


@dataclass(frozen=True)
class Kept:
    """What the load was told was kept, against what the fleet holds after it drained."""

    events_acknowledged: int
    events_stored: int
    events_lost: int
    edits_acknowledged: int
    edits_stored: int
    edits_lost: int
    drain_s: float


def count_kept(
    database_url: str, plan: Plan, acknowledged: dict[str, Any], *, drain_timeout_s: float = 60.0
) -> Kept:
    """Wait for the consumers to write every acknowledged listening event (or the timeout),
    then count the events and playlist entries missing. `acknowledged` is the generator's:
    {"events": {user_index: [client ids]}, "edits": {playlist_index: count}}."""
    from encore.adapters.sql import tables
    from encore.adapters.sql.engine import make_engine
    from encore.history.service import event_id

    wanted = {
        event_id(plan.user_ids[int(user)], client_id)
        for user, client_ids in acknowledged["events"].items()
        for client_id in client_ids
    }
    engine = make_engine(database_url)
    started = time.monotonic()
    try:
        while True:
            with engine.connect() as connection:
                stored = {
                    row
                    for (row,) in connection.execute(
                        select(tables.listening_history.c.event_id).where(
                            tables.listening_history.c.user_id.in_(plan.user_ids)
                        )
                    )
                }
            if wanted <= stored or time.monotonic() - started > drain_timeout_s:
                break
            time.sleep(0.5)
        drain_s = time.monotonic() - started
        with engine.connect() as connection:
            entries: dict[str, int] = dict(
                connection.execute(
                    select(tables.playlist_tracks.c.playlist_id, func.count())
                    .where(tables.playlist_tracks.c.playlist_id.in_(plan.playlist_ids))
                    .group_by(tables.playlist_tracks.c.playlist_id)
                ).all()
            )
    finally:
        engine.dispose()
    edits = {plan.playlist_ids[int(index)]: count for index, count in acknowledged["edits"].items()}
    edits_lost = sum(max(0, count - entries.get(pid, 0)) for pid, count in edits.items())
    return Kept(
        events_acknowledged=len(wanted),
        events_stored=len(wanted & stored),
        events_lost=len(wanted - stored),
        edits_acknowledged=sum(edits.values()),
        edits_stored=sum(entries.values()),
        edits_lost=edits_lost,
        drain_s=round(drain_s, 2),
    )
