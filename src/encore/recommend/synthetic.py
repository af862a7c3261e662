"""Generated listeners and catalogs, for tests and benchmarks: listeners who favour a few genres,
tracks whose popularity falls off as a power law, everything drawn from a seeded generator."""

from datetime import datetime, timedelta

import numpy as np
from scipy.sparse import csr_matrix

from encore.recommend.domain import BatchInputs

COUNTRIES = ("SE", "DE", "US", "BR")
FAVOURITES = 4  # genres a listener mostly plays


def listening(
    *,
    users: int,
    tracks: int,
    now: datetime,
    genres: int = 40,
    tracks_per_artist: int = 10,
    plays_per_user: int = 40,
    seed: int = 7,
    silent: float = 0.0,
    restricted: float = 0.0,
) -> BatchInputs:
    """`silent`: the share of tracks without audio; `restricted`: the share licensed in only
    one country, drawn at random."""
    rng = np.random.default_rng(seed)
    artists = max(1, tracks // tracks_per_artist)
    artist_genre = rng.integers(0, genres, artists)
    item_artist = rng.integers(0, artists, tracks).astype(np.int64)
    item_genre = artist_genre[item_artist].astype(np.int64)
    # Within a genre, a power law: a few tracks take most plays.
    weight = 1.0 / (1.0 + rng.permutation(tracks)) ** 0.8
    by_genre = [np.flatnonzero(item_genre == g) for g in range(genres)]
    cumulative = [np.cumsum(weight[items]) for items in by_genre]
    favourite = rng.integers(0, genres, (users, FAVOURITES))
    counts = np.maximum(1, rng.poisson(plays_per_user, users))
    owners = np.repeat(np.arange(users), counts)
    genre_of_play = favourite[owners, rng.integers(0, FAVOURITES, len(owners))]
    items = np.empty(len(owners), dtype=np.int64)
    for g in range(genres):
        at = np.flatnonzero(genre_of_play == g)
        if len(at) == 0 or len(by_genre[g]) == 0:
            items[at] = rng.integers(0, tracks, len(at))
            continue
        draws = rng.random(len(at)) * cumulative[g][-1]
        items[at] = by_genre[g][np.searchsorted(cumulative[g], draws)]
    # A quarter of the plays wander off the favourite genres.
    wander = rng.random(len(owners)) < 0.25
    items[wander] = rng.integers(0, tracks, int(wander.sum()))
    repeats = rng.geometric(0.4, len(owners)).astype(np.float32)
    plays = csr_matrix((repeats, (owners, items)), shape=(users, tracks), dtype=np.float32)
    plays.sum_duplicates()
    recent = _subset(plays, rng, 0.5)
    liked = _subset(plays, rng, 0.1)
    followed_rows = np.repeat(np.arange(users), 1)
    followed_artists = artist_genre.argsort()[rng.integers(0, artists, users)]
    followed = csr_matrix(
        (np.ones(users, dtype=np.float32), (followed_rows, followed_artists)),
        shape=(users, artists),
    )
    total = np.asarray(plays.sum(axis=0)).ravel()
    popular = np.argsort(-total, kind="stable")[: min(tracks, 2_000)].astype(np.int64)
    days = rng.integers(0, 730, tracks)
    released = np.datetime64(now.date(), "D") - days.astype("timedelta64[D]")
    countries = [COUNTRIES[i] for i in rng.integers(0, len(COUNTRIES), users)]
    # Drawn from a generator of their own, so that the listening above is the same either way.
    licences = np.random.default_rng(seed + 1)
    playable = licences.random(tracks) >= silent
    is_restricted = licences.random(tracks) < restricted
    licensed_in = licences.integers(0, len(COUNTRIES), tracks)
    licensed = {
        country: np.flatnonzero(is_restricted & (licensed_in == number)).astype(np.int64)
        for number, country in enumerate(COUNTRIES)
    }
    return BatchInputs(
        user_ids=[f"user{u:017d}" for u in range(users)],
        user_countries=countries,
        user_zones=["Europe/Stockholm" if c == "SE" else None for c in countries],
        track_ids=[f"track{t:016d}" for t in range(tracks)],
        item_artist=item_artist,
        item_genre=item_genre,
        item_released=released,
        artist_names=[f"Artist {a}" for a in range(artists)],
        plays=plays,
        recent=recent,
        liked=liked,
        followed=followed,
        playable=playable,
        restricted=is_restricted,
        licensed=licensed,
        popular={"": popular},
    )


def _subset(plays: csr_matrix, rng: np.random.Generator, share: float) -> csr_matrix:
    kept = plays.copy()
    kept.data = (rng.random(len(kept.data)) < share).astype(np.float32)
    kept.eliminate_zeros()
    return kept


def recent_release_days(now: datetime, days: int) -> np.datetime64:
    return np.datetime64((now - timedelta(days=days)).date(), "D")
