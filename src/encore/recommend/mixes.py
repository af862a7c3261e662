"""Daily Mix, the per-user step: up to six mixes from clusters of what a listener plays.

The vectors of a listener's most played tracks are clustered (k-means, cosine); each cluster
makes a mix of its familiar favourites interleaved with close tracks the listener has never
played (the ANN index's neighbours of the cluster's centre), named after its leading artists.
"""

import numpy as np
from numpy.typing import NDArray

from encore.recommend.discover import popular_mix
from encore.recommend.diversify import diversify
from encore.recommend.domain import (
    DAILY_MIXES,
    MIN_HISTORY,
    GeneratedPlaylist,
    PlaylistKind,
    Source,
    period,
)
from encore.recommend.generation import Generation

CLUSTERED = 60  # most played tracks that make the clusters
PER_MIX = 5  # played tracks a cluster needs to make a mix
FAMILIAR = 12
NEW = 13
NEIGHBOURS = 120
ITERATIONS = 8
NAMED_AFTER = 2  # leading artists in a mix's name ("Radiohead, Portishead and more")
DESCRIBED_BY = 3  # leading artists in its description


def mix_name(artists: list[str]) -> str:
    """A mix's name from its leading artists, most played first: "A, B and more"."""
    if not artists:
        raise ValueError("a mix is named after at least one artist")
    return ", ".join(artists[:NAMED_AFTER]) + " and more"


def popular_mix_name(country: str) -> str:
    """The name of the one mix a listener without enough history gets."""
    return f"Popular in {country}"


def kmeans(
    vectors: NDArray[np.float32], weights: NDArray[np.float32], k: int
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Weighted spherical k-means; seeds are the heaviest vector, then each vector farthest
    from the seeds so far (deterministic). Returns labels and centres (unit length)."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    seeds = [int(np.argmax(weights))]
    closest = unit @ unit[seeds[0]]
    for _ in range(1, k):
        seeds.append(int(np.argmin(closest)))
        closest = np.maximum(closest, unit @ unit[seeds[-1]])
    centres = unit[seeds]
    labels = np.zeros(len(unit), dtype=np.int64)
    for _ in range(ITERATIONS):
        labels = np.argmax(unit @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, labels, unit * weights[:, None])
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centres = np.where(norms > 0, sums / np.maximum(norms, 1e-9), centres)
    return labels, centres.astype(np.float32)


def daily_mixes(generation: Generation, users: NDArray[np.int64]) -> list[GeneratedPlaylist]:
    inputs = generation.inputs
    model, index = generation.model, generation.index
    distinct = np.diff(inputs.plays.indptr)[users]
    made: list[GeneratedPlaylist] = []
    clusters: list[tuple[int, NDArray[np.int64], NDArray[np.float32]]] = []
    centres: list[NDArray[np.float32]] = []
    for user, count in zip(users.tolist(), distinct.tolist(), strict=True):
        if model is None or index is None or count < MIN_HISTORY:
            continue
        start, end = inputs.plays.indptr[user], inputs.plays.indptr[user + 1]
        played = inputs.plays.indices[start:end].astype(np.int64)
        counts = inputs.plays.data[start:end]
        top = np.argsort(-counts, kind="stable")[:CLUSTERED]
        played, counts = played[top], counts[top]
        k = max(1, min(DAILY_MIXES, len(played) // PER_MIX))
        labels, found = kmeans(model.item_vectors[played], counts, k)
        weight = np.bincount(labels, weights=counts, minlength=k)
        for cluster in np.argsort(-weight, kind="stable").tolist():
            members = labels == cluster
            if members.sum() < min(PER_MIX, len(played)):
                continue
            clusters.append((user, played[members], counts[members]))
            centres.append(found[cluster])
    if centres:
        assert index is not None
        _, neighbours = index.search(np.stack(centres), NEIGHBOURS)
    slots: dict[int, int] = {}
    named: dict[int, set[str]] = {}  # per listener, the names their mixes so far took
    for number, (user, familiar, counts) in enumerate(clusters):
        slot = slots[user] = slots.get(user, 0) + 1
        if slot > DAILY_MIXES:
            continue
        start, end = inputs.plays.indptr[user], inputs.plays.indptr[user + 1]
        near = neighbours[number]
        near = near[(near >= 0) & ~np.isin(near, inputs.plays.indices[start:end])]
        near = near[~np.isin(near, generation.spared_for(user))]
        fresh = diversify(
            near,
            inputs.item_artist,
            np.full(len(inputs.item_artist), -1, dtype=np.int64),
            length=NEW,
            per_artist=2,
            per_genre=0,
        )
        # The cluster's favourites name the mix; those the listener can no longer play (no
        # audio, or no licence in their country) stay out of its tracks.
        favourites = familiar[np.argsort(-counts, kind="stable")]
        playable = generation.available_to(user, favourites)[:FAMILIAR]
        if len(playable) + len(fresh) == 0:
            slots[user] -= 1
            continue
        taken = named.setdefault(user, set())
        made.append(
            _mix(
                generation,
                user,
                slot,
                _interleave(playable, fresh),
                favourites[:FAMILIAR],
                taken,
            )
        )
        taken.add(made[-1].name)
    # Too little history (or no model): one mix of what is popular in the listener's country.
    mixed = {user for user, count in slots.items() if count > 0}
    for user in users.tolist():
        if user not in mixed:
            mix = _popular_mix(generation, user)
            # None stored when nothing new is playable: serving then makes one on the spot,
            # familiar tracks included (`RecommendService.daily_mixes`).
            if mix.track_ids:
                made.append(mix)
    return made


def _popular_mix(generation: Generation, user: int) -> GeneratedPlaylist:
    inputs = generation.inputs
    items = popular_mix(generation, user, np.zeros(0, dtype=np.int64))
    when = period(PlaylistKind.DAILY_MIX, generation.now, inputs.user_zones[user])
    return GeneratedPlaylist(
        user_id=inputs.user_ids[user],
        kind=PlaylistKind.DAILY_MIX,
        name=popular_mix_name(inputs.user_countries[user]),
        description=f"Popular in {inputs.user_countries[user]} today",
        track_ids=tuple(generation.track_ids[items].tolist()),
        source=Source.POPULARITY,
        period_start=when.start,
        generated_at=generation.now,
        expires_at=when.expires_at,
        slot=1,
    )


def _interleave(first: NDArray[np.int64], second: NDArray[np.int64]) -> NDArray[np.int64]:
    n = min(len(first), len(second))
    both = np.empty(2 * n, dtype=np.int64)
    both[0::2], both[1::2] = first[:n], second[:n]
    return np.concatenate([both, first[n:], second[n:]])


def _mix(
    generation: Generation,
    user: int,
    slot: int,
    items: NDArray[np.int64],
    favourites: NDArray[np.int64],
    taken: set[str],
) -> GeneratedPlaylist:
    inputs = generation.inputs
    names = _named_after(generation, favourites, taken)
    when = period(PlaylistKind.DAILY_MIX, generation.now, inputs.user_zones[user])
    return GeneratedPlaylist(
        user_id=inputs.user_ids[user],
        kind=PlaylistKind.DAILY_MIX,
        name=mix_name(names),
        description=f"Daily Mix {slot}: {', '.join(names[:DESCRIBED_BY])} and more, "
        "with new tracks close to them",
        track_ids=tuple(generation.track_ids[items].tolist()),
        source=Source.MODEL,
        period_start=when.start,
        generated_at=generation.now,
        expires_at=when.expires_at,
        slot=slot,
        model_version=generation.model_version,
    )


def _named_after(
    generation: Generation, favourites: NDArray[np.int64], taken: set[str]
) -> list[str]:
    """The mix's artists in the order its name lists them: the artists with the most
    favourites first, between equals the one whose favourite is played most (`favourites`
    come most played first). When that name is another mix's of the same listener, the first
    artist whose lead makes a new name goes first instead."""
    inputs = generation.inputs
    artists, first_seen, counts = np.unique(
        inputs.item_artist[favourites], return_index=True, return_counts=True
    )
    names = [inputs.artist_names[int(a)] for a in artists[np.lexsort((first_seen, -counts))]]
    for lead in range(len(names)):
        reordered = [names[lead], *names[:lead], *names[lead + 1 :]]
        if mix_name(reordered) not in taken:
            return reordered
    return names
