"""Listening history with the structure of real listening, for the demo's listeners.

Each listener gets a taste: a few favourite genres, favourite artists within them (popular
artists are favourites more often), a handful of tracks on heavy rotation, habits of when and how
much they listen, and a tendency to skip. Their history is then played out day by day, in
sessions at their usual local hours: whole albums, an artist's best-known tracks, their rotation
(which makes repeats), a genre's radio, or whatever is popular. Tracks off their taste are
skipped far more often than favourites. Everything derives from the listener's stable key, so
the same listener always gets the same history, and its event ids make storing it idempotent.
"""

import bisect
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from encore.history.model import Listen

# Standard time of each listener country (summer time left out: an hour does not matter here),
# and how many of the synthetic listeners live there (relative).
COUNTRIES = {
    "US": (-6.0, 25),
    "GB": (0.0, 8),
    "DE": (1.0, 10),
    "SE": (1.0, 5),
    "FR": (1.0, 6),
    "ES": (1.0, 4),
    "NL": (1.0, 3),
    "PL": (1.0, 3),
    "BR": (-3.0, 8),
    "MX": (-6.0, 5),
    "CA": (-5.0, 4),
    "JP": (9.0, 5),
    "KR": (9.0, 2),
    "IN": (5.5, 6),
    "AU": (10.0, 4),
    "NG": (1.0, 2),
    "ZA": (2.0, 2),
}
DEVICES = ("android", "ios", "web", "desktop")
# Habits: the local hour a kind of session centres on, and how likely a listener has it.
_HABITS = ((8.0, 0.5), (12.5, 0.3), (17.5, 0.5), (21.0, 0.7), (23.5, 0.2))
# Ways of listening: (context type, weight).
_MODES = (("album", 0.2), ("artist", 0.15), ("collection", 0.25), ("radio", 0.25), ("search", 0.15))


@dataclass(frozen=True, slots=True)
class PoolTrack:
    """A track listeners may play, with what their choices depend on."""

    track_id: str
    artist_id: str
    album_id: str
    genre: str
    duration_ms: int
    popularity: int
    track_number: int
    countries: frozenset[str] | None = None  # None: licensed everywhere

    @property
    def weight(self) -> float:
        # Popularity works like a logarithm of plays: ten points, twice the plays.
        return float(2.0 ** (self.popularity / 10))


@dataclass(frozen=True, slots=True)
class Listener:
    key: str  # stable across runs: event ids derive from it
    user_id: str
    country: str


@dataclass(frozen=True, slots=True)
class Taste:
    genres: tuple[str, ...]
    artists: tuple[str, ...]
    rotation: tuple[str, ...]
    sessions_per_day: float
    weekend: float  # how much more (or less) they listen on weekends
    hours: tuple[float, ...]
    skip_rate: float
    devices: tuple[str, ...]


class _Weighted:
    """Items to draw from in proportion to their weights."""

    def __init__(self, items: Sequence[PoolTrack]) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(item.weight for item in self.items))

    def draw(self, rng: random.Random) -> PoolTrack:
        point = rng.random() * self.cumulative[-1]
        return self.items[min(bisect.bisect(self.cumulative, point), len(self.items) - 1)]


class Library:
    """The pool of tracks, indexed for drawing by genre, artist and album."""

    def __init__(self, tracks: Sequence[PoolTrack]) -> None:
        if not tracks:
            raise ValueError("listeners need tracks to listen to")
        self.tracks = {track.track_id: track for track in tracks}
        self.everything = _Weighted(tracks)
        by_genre: dict[str, list[PoolTrack]] = defaultdict(list)
        by_artist: dict[str, list[PoolTrack]] = defaultdict(list)
        by_album: dict[str, list[PoolTrack]] = defaultdict(list)
        for track in tracks:
            by_genre[track.genre].append(track)
            by_artist[track.artist_id].append(track)
            by_album[track.album_id].append(track)
        self.genres = {genre: _Weighted(items) for genre, items in sorted(by_genre.items())}
        self.artists = {artist: _Weighted(items) for artist, items in sorted(by_artist.items())}
        self.albums = {
            album: sorted(items, key=lambda t: (t.track_number, t.track_id))
            for album, items in by_album.items()
        }
        self.albums_by_artist: dict[str, list[str]] = defaultdict(list)
        for album, items in sorted(self.albums.items()):
            self.albums_by_artist[items[0].artist_id].append(album)
        # An artist's draw weight is that of their best-known track.
        self.artists_by_genre: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for artist, weighted in self.artists.items():
            best = max(weighted.items, key=lambda t: t.weight)
            self.artists_by_genre[best.genre].append((artist, best.weight))


def taste_of(
    listener: Listener,
    library: Library,
    *,
    seed: int,
    genres: Sequence[str] = (),
    favourites: Sequence[str] = (),
    keen: bool = False,
) -> Taste:
    """The listener's taste; `genres` and `favourites` (artist ids) fix part of it, `keen`
    listeners listen about twice as much."""
    rng = random.Random(f"{seed}:taste:{listener.key}")
    known = list(library.genres)
    if not genres:
        weights = [library.genres[genre].cumulative[-1] ** 0.5 for genre in known]
        count = rng.choice((1, 2, 2, 3))
        genres = _distinct(rng, known, weights, count)
    artists = [artist for artist in favourites if artist in library.artists]
    for genre in genres:
        candidates = library.artists_by_genre.get(genre, [])
        wanted = rng.randint(2, 4)
        # Popular artists are favourites more often, but not overwhelmingly so.
        artists += _distinct(
            rng,
            [artist for artist, _ in candidates],
            [weight**0.6 for _, weight in candidates],
            min(wanted, len(candidates)),
            exclude=set(artists),
        )
    if rng.random() < 0.5:  # a guilty pleasure from anywhere
        artists.append(library.everything.draw(rng).artist_id)
    artists = list(dict.fromkeys(artists))
    playable = [t for a in artists for t in library.artists[a].items if _licensed(t, listener)]
    rotation = _distinct(
        rng,
        [track.track_id for track in playable],
        [track.weight for track in playable],
        min(len(playable), rng.randint(4, 10)),
    )
    habits = [hour for hour, chance in _HABITS if rng.random() < chance] or [20.0]
    return Taste(
        genres=tuple(genres),
        artists=tuple(artists),
        rotation=tuple(rotation),
        sessions_per_day=min(4.0, rng.lognormvariate(math.log(1.1), 0.5)) * (2 if keen else 1),
        weekend=rng.uniform(0.7, 1.7),
        hours=tuple(habits),
        skip_rate=rng.uniform(0.02, 0.2),
        devices=tuple(rng.sample(DEVICES, rng.randint(1, 2))),
    )


def history(
    listener: Listener,
    taste: Taste,
    library: Library,
    *,
    end: datetime,
    weeks: int,
    seed: int,
) -> Iterator[Listen]:
    """The listener's listens over the `weeks` before `end`, oldest first."""
    rng = random.Random(f"{seed}:history:{listener.key}")
    offset = timedelta(hours=COUNTRIES.get(listener.country, (0.0, 0))[0])
    start_day = (end + offset).date() - timedelta(weeks=weeks)
    clock = datetime.combine(start_day, datetime.min.time(), end.tzinfo) - offset
    serial = itertools.count(1)
    for day in range(weeks * 7 + 1):
        local_day = start_day + timedelta(days=day)
        rate = taste.sessions_per_day * (taste.weekend if local_day.weekday() >= 5 else 1.0)
        starts = sorted(_session_hour(rng, taste) for _ in range(_poisson(rng, rate)))
        for hour in starts:
            begin = datetime.combine(local_day, datetime.min.time(), end.tzinfo) - offset
            clock = max(clock, begin + timedelta(hours=hour)) + timedelta(minutes=rng.randint(1, 9))
            for listen in _session(rng, listener, taste, library, clock, serial):
                if listen.listened_at >= end:
                    return
                clock = listen.listened_at + timedelta(milliseconds=listen.duration_played_ms)
                yield listen


def _session(
    rng: random.Random,
    listener: Listener,
    taste: Taste,
    library: Library,
    clock: datetime,
    serial: Iterator[int],
) -> Iterator[Listen]:
    mode = rng.choices([name for name, _ in _MODES], weights=[w for _, w in _MODES])[0]
    length = min(30, 2 + int(rng.expovariate(1 / 7)))
    device = rng.choice(taste.devices)
    context_id: str | None = None
    artist = rng.choice(taste.artists) if taste.artists else None
    if mode == "album" and artist and library.albums_by_artist.get(artist):
        context_id = rng.choice(library.albums_by_artist[artist])
        queue: Sequence[PoolTrack] = library.albums[context_id][:length]
    elif mode == "artist" and artist:
        context_id = artist
        queue = [library.artists[artist].draw(rng) for _ in range(length)]
    elif mode == "collection" and taste.rotation:
        queue = [library.tracks[rng.choice(taste.rotation)] for _ in range(length)]
    elif mode == "radio" and taste.genres:
        radio = library.genres[rng.choice(taste.genres)]
        queue = [radio.draw(rng) for _ in range(length)]
    else:
        mode = "search"
        queue = [library.everything.draw(rng) for _ in range(length)]
    for position, track in enumerate(queue):
        if not _licensed(track, listener):
            continue
        favourite = track.artist_id in taste.artists
        chance = (
            0.03 + 0.3 * taste.skip_rate
            if favourite
            else 0.1 + 0.6 * taste.skip_rate
            if track.genre in taste.genres
            else 0.4 + taste.skip_rate
        )
        plays = 2 if favourite and rng.random() < 0.06 else 1  # on repeat
        for _ in range(plays):
            skipped = rng.random() < chance
            if skipped:
                played = min(track.duration_ms, rng.randint(2_000, 40_000))
            elif position == len(queue) - 1 and rng.random() < 0.3:
                played = rng.randint(0, track.duration_ms)  # the session ends mid-track
            else:
                played = track.duration_ms
            yield Listen(
                event_id=f"demo:{listener.key}:{next(serial)}",
                user_id=listener.user_id,
                track_id=track.track_id,
                listened_at=clock,
                duration_played_ms=played,
                completed=played == track.duration_ms,
                received_at=clock + timedelta(milliseconds=played, seconds=rng.randint(1, 30)),
                skipped=skipped,
                context_type=mode,
                context_id=context_id,
                device=device,
            )
            clock += timedelta(milliseconds=played + rng.randint(0, 2_000))
            if skipped:
                break


def _session_hour(rng: random.Random, taste: Taste) -> float:
    return (rng.choice(taste.hours) + rng.gauss(0, 1.0)) % 24


def _poisson(rng: random.Random, rate: float) -> int:
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _licensed(track: PoolTrack, listener: Listener) -> bool:
    return track.countries is None or listener.country in track.countries


def _distinct(
    rng: random.Random,
    items: Sequence[str],
    weights: Sequence[float],
    count: int,
    *,
    exclude: set[str] | None = None,
) -> list[str]:
    """Up to `count` different items, drawn in proportion to their weights."""
    taken = exclude or set()
    pool = [(i, w) for i, w in zip(items, weights, strict=True) if i not in taken]
    chosen: list[str] = []
    while pool and len(chosen) < count:
        point = rng.random() * sum(weight for _, weight in pool)
        index = 0
        while index < len(pool) - 1 and point > pool[index][1]:
            point -= pool[index][1]
            index += 1
        chosen.append(pool.pop(index)[0])
    return chosen
