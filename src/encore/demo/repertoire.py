"""The demo's streamable music: six fictional artists, one album each, six pieces per album.

Names, titles and codes are fixed, so every demo holds the same pieces under the same ISRCs.
Two pieces feature a guest from another album, so that a track with several artists exists.
"""

from dataclasses import dataclass

ISRC_PREFIX = "XXENC26"  # 'XX' country, 'ENC' registrant, year '26': fictional but well-formed


@dataclass(frozen=True, slots=True)
class Release:
    artist: str
    album: str
    genre: str
    date: str
    titles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PieceSpec:
    """One piece as its tags will describe it."""

    isrc: str
    title: str
    artists: tuple[str, ...]
    album: str
    album_artist: str
    track_number: int
    track_total: int
    date: str
    genre: str
    # The album's place in `RELEASES`: its cover and sound are drawn from it.
    album_index: int

    @property
    def isrc_text(self) -> str:
        """The ISRC as printed: XX-ENC-26-00001."""
        code = self.isrc
        return f"{code[:2]}-{code[2:5]}-{code[5:7]}-{code[7:]}"


RELEASES = (
    Release(
        "Halden Moss",
        "Tidal Glass",
        "Ambient",
        "2024-03-15",
        (
            "First Light on the Fjord",
            "Slow Orbit",
            "Lanterns Underwater",
            "Quiet Cartography",
            "Salt Meadow",
            "The Long Exhale",
        ),
    ),
    Release(
        "Neon Vireo",
        "Night Drive Cartography",
        "Synthwave",
        "2023-09-01",
        (
            "Midnight Overpass",
            "Chrome Horizon",
            "Palm Static",
            "Afterglow Avenue",
            "Signal Lost at 3 AM",
            "Velocity Dreams",
        ),
    ),
    Release(
        "Mellow Static",
        "Sunday Crosswords",
        "Lo-Fi",
        "2025-01-24",
        (
            "Coffee Rings",
            "Rainy Window Seat",
            "Library Nap",
            "Worn Cassette",
            "Seven Across",
            "Late Bus Home",
        ),
    ),
    Release(
        "Bit Parade",
        "Eight Lives",
        "Chiptune",
        "2022-06-10",
        (
            "Press Start",
            "Pixel Garden",
            "Boss Rush",
            "Continue?",
            "High Score Serenade",
            "Warp Zone",
        ),
    ),
    Release(
        "Lúa Ferreira",
        "Salt & Cedar",
        "Folk",
        "2021-10-08",
        (
            "Harbour Song",
            "The Cedar Gate",
            "Walking to Vigo",
            "Kettle on the Stove",
            "Small Hours",
            "Letters from the Coast",
        ),
    ),
    Release(
        "Kontur",
        "Concrete Bloom",
        "Techno",
        "2026-02-20",
        (
            "Substation",
            "Grid Lines",
            "Concrete Bloom",
            "Pulse Transit",
            "Night Shift",
            "Floor Plan",
        ),
    ),
)

# (album index, track number) -> the guest's album index.
GUESTS = {(1, 4): 5, (2, 6): 0}


def all_pieces() -> tuple[PieceSpec, ...]:
    """Every piece, in play order: each album's first track, then each one's second, and so on,
    so that the first few pieces already span every genre."""
    pieces: list[PieceSpec] = []
    longest = max(len(release.titles) for release in RELEASES)
    for number in range(1, longest + 1):
        for index, release in enumerate(RELEASES):
            if number > len(release.titles):
                continue
            guest = GUESTS.get((index, number))
            artists = (release.artist,) + ((RELEASES[guest].artist,) if guest is not None else ())
            serial = sum(len(r.titles) for r in RELEASES[:index]) + number
            pieces.append(
                PieceSpec(
                    isrc=f"{ISRC_PREFIX}{serial:05d}",
                    title=release.titles[number - 1],
                    artists=artists,
                    album=release.album,
                    album_artist=release.artist,
                    track_number=number,
                    track_total=len(release.titles),
                    date=release.date,
                    genre=release.genre,
                    album_index=index,
                )
            )
    return tuple(pieces)
