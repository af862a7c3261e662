"""A small catalog with real audio for the Subsonic tests, and a listener's Subsonic login."""

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from encore.adapters.audio.ffmpeg import find_ffmpeg
from encore.bootstrap import Services
from encore.catalog.audio import LADDER
from encore.ids import new_id
from tests.builders import make_album, make_artist, make_rendition, make_track

SECONDS = 3


@dataclass
class Seeded:
    artist_id: str
    album_id: str
    track_ids: list[str]  # "Midnight Harbour", "Silver Rain", "Open Road"
    us_only: str  # licensed in the US alone


def tone(path: Path, bitrate_kbps: int) -> bytes:
    """A few seconds of Vorbis, as the importer would have made it."""
    subprocess.run(
        [
            str(find_ffmpeg()),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:duration={SECONDS}",
            *(["-ac", "1", "-ar", "16000"] if bitrate_kbps < 64 else ["-ac", "2"]),
            "-c:a",
            "libvorbis",
            "-b:a",
            f"{bitrate_kbps}k",
            "-y",
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


def cover(path: Path) -> bytes:
    """A 600 x 400 JPEG."""
    subprocess.run(
        [
            str(find_ffmpeg()),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=600x400",
            "-frames:v",
            "1",
            "-y",
            str(path),
        ],
        check=True,
    )
    return path.read_bytes()


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment."""
    at = 2
    while at < len(data):
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xC3:
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            width = int.from_bytes(data[at + 7 : at + 9], "big")
            return width, height
        at += 2 + length
    raise ValueError("no start of frame")


def seed(services: Services, scratch: Path) -> Seeded:
    artist = services.catalog.add_artist(make_artist(name="Harbour Lights"))
    cover_key = "covers/nt/night-tides.jpg"
    services.media.put_bytes(cover_key, cover(scratch / "cover.jpg"), content_type="image/jpeg")
    album = services.catalog.add_album(
        make_album(artist_ids=(artist.id,), name="Night Tides", cover_art_path=cover_key)
    )
    titles = ["Midnight Harbour", "Silver Rain", "Open Road", "Border Song"]
    ids = [new_id() for _ in titles]
    audio = {
        spec.quality: tone(scratch / f"{spec.quality}.ogg", spec.bitrate_kbps or 0)
        for spec in LADDER[:4]
    }
    for number, (track_id, title) in enumerate(zip(ids, titles, strict=True), start=1):
        services.catalog.add_track(
            make_track(
                id=track_id,
                album_id=album.id,
                artist_ids=(artist.id,),
                title=title,
                track_number=number,
                genres=("folk",),
                duration_ms=SECONDS * 1000,
                available_countries=frozenset({"US"}) if title == "Border Song" else None,
            )
        )
    with services.uow() as uow:
        for track_id in ids:
            for spec in LADDER[:4]:
                key = f"audio/{track_id[:2]}/{track_id[2:4]}/{track_id}/{spec.file_name}"
                services.media.put_bytes(key, audio[spec.quality], content_type="audio/ogg")
                uow.renditions.put(
                    make_rendition(
                        track_id=track_id,
                        quality=spec.quality,
                        format="ogg",
                        bitrate_kbps=spec.bitrate_kbps,
                        path=key,
                        size_bytes=len(audio[spec.quality]),
                    )
                )
        uow.commit()
    return Seeded(artist.id, album.id, ids[:3], ids[3])


def subsonic_login(client: TestClient, auth: dict[str, str]) -> dict[str, str]:
    issued = client.post("/api/v1/me/subsonic-credentials", headers=auth)
    assert issued.status_code == 201, issued.text
    body: dict[str, str] = issued.json()
    return body


def token_params(username: str, password: str, salt: str = "c19b2d") -> dict[str, str]:
    token = hashlib.md5((password + salt).encode(), usedforsecurity=False).hexdigest()
    return {"u": username, "t": token, "s": salt, "v": "1.16.1", "c": "tests"}
