"""The demo's larger catalog, known by metadata only: invented artists, albums and tracks across
many genres, written as a CSV feed for the feed importer.

Artists get a popularity from a Zipf-like curve (a few are big, most are small), and their
tracks follow it, so that search ranking and recommendations have a skewed world to work on.
Generation is deterministic and grows by whole artists: a larger catalog starts with the tracks
of a smaller one, so that topping a demo up adds rows and changes none.
"""

import csv
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from encore.demo.repertoire import RELEASES

NAMESPACE = "demo:catalog"
ISRC_REGISTRANT = "ENM"  # the pieces use 'ENC'; the two never collide
HEADER = (
    "track_id",
    "title",
    "artist",
    "album_id",
    "album",
    "release_date",
    "popularity",
    "genre",
    "duration_ms",
    "isrc",
)

# Genres and how many listeners lean towards each (relative).
GENRES = {
    "Indie Pop": 9,
    "Hip-Hop": 10,
    "Rock": 8,
    "House": 6,
    "Jazz": 4,
    "Soul": 5,
    "Classical": 3,
    "Country": 4,
    "Reggae": 3,
    "Metal": 3,
    "Ambient": 3,
    "Synthwave": 3,
    "Lo-Fi": 5,
    "Chiptune": 2,
    "Folk": 4,
    "Techno": 5,
}
# Typical track length per genre, in seconds (low, high).
_LENGTHS = {
    "Classical": (240, 720),
    "Ambient": (200, 540),
    "Techno": (300, 480),
    "House": (240, 420),
}
_DEFAULT_LENGTH = (140, 300)

_ADJECTIVES = (
    "Amber", "Broken", "Crimson", "Distant", "Electric", "Fading", "Golden", "Hollow", "Iron",
    "Jade", "Kind", "Lonely", "Midnight", "Northern", "Open", "Paper", "Quiet", "Restless",
    "Silver", "Tender", "Velvet", "Wild", "Young", "Bitter", "Copper", "Dusty", "Endless",
    "Frozen", "Gentle", "Hidden", "Lucky", "Neon", "Polar", "Rusty", "Secret", "Static",
    "Blue", "Sleepless", "Little", "Brave",
)  # fmt: skip
_NOUNS = (
    "Harbor", "Engine", "Garden", "Signal", "River", "Lantern", "Mirror", "Comet", "Orchard",
    "Satellite", "Canyon", "Ember", "Fever", "Horizon", "Island", "Machine", "Ocean", "Parade",
    "Radio", "Shadow", "Thunder", "Valley", "Window", "Wolf", "Anchor", "Bridge", "Cathedral",
    "Desert", "Echo", "Feather", "Glacier", "Highway", "Kingdom", "Meadow", "Motel", "Pilot",
    "Rain", "Season", "Tide", "Tower", "Wire", "Summer", "Letter", "Heart", "Coast", "City",
)  # fmt: skip
_VERBS = (
    "Chase", "Hold", "Burn", "Follow", "Remember", "Leave", "Carry", "Wake", "Break", "Find",
    "Call", "Drive", "Dance", "Forget", "Light", "Keep", "Cross", "Wait for", "Run from", "Sing",
)  # fmt: skip
FIRST_NAMES = (
    "Ada", "Bruno", "Clara", "Dev", "Elif", "Farah", "Gus", "Hana", "Ines", "Jonas", "Kofi",
    "Lena", "Mateo", "Nia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tove", "Uma", "Viktor",
    "Wren", "Yara", "Zeke", "Amara", "Björn", "Chloé", "Dario", "Emeka",
)  # fmt: skip
_LAST = (
    "Adler", "Baptiste", "Castell", "Dahl", "Eriksen", "Fontaine", "Garza", "Holm", "Ibarra",
    "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quint",
    "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zeller", "Søndergaard",
)  # fmt: skip
_PLACES = (
    "Lisbon", "Osaka", "Marrakesh", "Tromsø", "Valparaíso", "Detroit", "Lagos", "Brighton",
    "Kraków", "Memphis", "Seoul", "Havana", "Reykjavík", "Tbilisi", "Montréal", "Naples",
)  # fmt: skip
_TIMES = ("Sunday", "Midnight", "Morning", "October", "Summer", "Weekend", "Last Night")


@dataclass(frozen=True, slots=True)
class CatalogTrack:
    key: str  # the feed's track id
    title: str
    artist: str
    album_key: str
    album: str
    release_date: str
    popularity: int
    genre: str
    duration_ms: int
    isrc: str


def generate(size: int, *, seed: int = 2026) -> list[CatalogTrack]:
    """About `size` tracks (never more): first an older album by each of the demo's streamable
    artists, then invented artists, most popular first."""
    tracks: list[CatalogTrack] = []
    used_names = {release.artist for release in RELEASES}
    for index, release in enumerate(RELEASES):
        rng = random.Random(f"{seed}:back:{index}")
        year = int(release.date[:4]) - rng.randint(2, 6)
        tracks.extend(
            _album(rng, release.artist, release.genre, 70 - 3 * index, f"b{index}", year, tracks)
        )
    rank = 0
    while len(tracks) < size:
        rng = random.Random(f"{seed}:artist:{rank}")
        name = _unique(rng, used_names)
        genre = rng.choices(list(GENRES), weights=list(GENRES.values()))[0]
        # Zipf-like: the first artists are far more popular than the thousandth.
        base = 92 - 21 * math.log10(rank + 1)
        for number in range(1 + min(3, int(rng.expovariate(0.8)))):
            year = max(1962, min(2026, round(2026 - rng.expovariate(1 / 12))))
            key = f"a{rank}-{number}"
            tracks.extend(_album(rng, name, genre, base - 4 * number, key, year, tracks))
        rank += 1
    return tracks[:size]


def write_feed(tracks: Sequence[CatalogTrack], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(_rows(tracks))


def _rows(tracks: Sequence[CatalogTrack]) -> Iterator[tuple[object, ...]]:
    for t in tracks:
        yield (
            t.key,
            t.title,
            t.artist,
            t.album_key,
            t.album,
            t.release_date,
            t.popularity,
            t.genre,
            t.duration_ms,
            t.isrc,
        )


def _unique(rng: random.Random, used: set[str]) -> str:
    while True:
        name = _artist_name(rng)
        if name not in used:
            used.add(name)
            return name


def _artist_name(rng: random.Random) -> str:
    adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
    first, last = rng.choice(FIRST_NAMES), rng.choice(_LAST)
    return rng.choice(
        (
            f"The {adjective} {noun}s",
            f"{first} {last}",
            f"{first} {last}",
            f"{adjective} {noun}",
            f"{noun} {rng.choice(_NOUNS)}",
            f"{first} & the {noun}s",
            f"DJ {adjective}",
            f"{rng.choice(_PLACES)} {noun} Club",
        )
    )


def _album_name(rng: random.Random) -> str:
    adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
    return rng.choice(
        (
            f"{adjective} {noun}",
            f"{noun} of {rng.choice(_NOUNS)}s",
            f"The {noun} Sessions",
            rng.choice(_PLACES),
            f"Songs for {noun}s",
            f"{rng.randint(2, 12)} {noun}s",
            f"Live in {rng.choice(_PLACES)}",
            f"{adjective}",
        )
    )


def _track_name(rng: random.Random) -> str:
    adjective, noun = rng.choice(_ADJECTIVES), rng.choice(_NOUNS)
    return rng.choice(
        (
            f"{adjective} {noun}",
            f"{rng.choice(_VERBS)} the {noun}",
            f"{noun} in {rng.choice(_PLACES)}",
            noun,
            f"Don't {rng.choice(_VERBS)} Me",
            f"{rng.choice(_TIMES)} {noun}",
            f"Song for {rng.choice(FIRST_NAMES)}",
            f"{adjective} {noun}",
            f"{noun} and {rng.choice(_NOUNS)}",
            f"{rng.choice(_ADJECTIVES)} {noun} (Reprise)" if rng.random() < 0.2 else noun,
        )
    )


def _album(
    rng: random.Random,
    artist: str,
    genre: str,
    base: float,
    key: str,
    year: int,
    before: Sequence[CatalogTrack],
) -> list[CatalogTrack]:
    count = rng.choice((1, 2, 4, 5, 6, 8, 9, 10, 10, 11, 12, 12, 14))
    album = _album_name(rng) if count > 2 else _track_name(rng)
    released = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    low, high = _LENGTHS.get(genre, _DEFAULT_LENGTH)
    tracks: list[CatalogTrack] = []
    for number in range(count):
        title = album if count == 1 else _track_name(rng)
        # Openers and singles draw the most plays; older records a little fewer.
        popularity = base + rng.gauss(0, 7) - 1.5 * number - 0.15 * (2026 - year)
        serial = len(before) + len(tracks) + 1
        tracks.append(
            CatalogTrack(
                key=f"{key}-{number + 1}",
                title=title,
                artist=artist,
                album_key=key,
                album=album,
                release_date=released,
                popularity=max(0, min(100, round(popularity))),
                genre=genre,
                duration_ms=rng.randint(low, high) * 1000 + rng.randint(0, 999),
                isrc=f"XX{ISRC_REGISTRANT}{year % 100:02d}{serial:05d}",
            )
        )
    return tracks
