"""The relevance suite: Encore's own queries (queries.tsv) over the real Spotify songs feed.

A query finds its track when a result has the same title (the part before " - ", as search
folds it) and the same first artist: the feed holds one song on several albums, and which of
them comes first is no error. MRR@10 is the mean of 1/rank of the first such result (0 when
none is in the first ten), recall@10 the share of queries with one in the first ten.
"""

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from encore.search.model import SearchDocument
from encore.search.text import words

QUERIES = Path(__file__).with_name("queries.tsv")
FEED = Path(__file__).parents[2].parent / "shared" / "data" / "spotify-songs" / "spotify_songs.csv"
KINDS = ("exact", "partial", "reordered", "prefix", "typo1", "typo2")
TOP = 10


@dataclass(frozen=True)
class Case:
    kind: str
    text: str
    feed_id: str


@dataclass(frozen=True)
class Score:
    queries: int
    mrr: float
    recall: float


def song_key(title: str, first_artist: str) -> tuple[str, str]:
    return " ".join(words(title.split(" - ")[0])), " ".join(words(first_artist))


def document_key(document: SearchDocument) -> tuple[str, str]:
    first = document.artists[0].name if document.artists else ""
    return song_key(document.name, first)


def load_cases() -> list[Case]:
    with QUERIES.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    rows = csv.DictReader(lines, delimiter="\t")
    return [Case(row["kind"], row["query"], row["track"]) for row in rows]


def feed_keys(feed: Path = FEED) -> dict[str, tuple[str, str]]:
    """The song key of each track of the feed, by the feed's track id."""
    keys = {}
    with feed.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            keys[row["track_id"]] = song_key(row["track_name"], row["track_artist"])
    return keys


Search = Callable[[str], Iterable[SearchDocument]]


def reciprocal_rank(found: Iterable[SearchDocument], wanted: tuple[str, str]) -> float:
    for rank, document in enumerate(found, start=1):
        if rank > TOP:
            break
        if document_key(document) == wanted:
            return 1.0 / rank
    return 0.0


def evaluate(
    search: Search, cases: list[Case], keys: dict[str, tuple[str, str]]
) -> tuple[dict[str, Score], list[tuple[Case, float]]]:
    """Scores per kind of query, and each query's reciprocal rank."""
    ranks: dict[str, list[float]] = defaultdict(list)
    each = []
    for case in cases:
        rr = reciprocal_rank(search(case.text), keys[case.feed_id])
        ranks[case.kind].append(rr)
        each.append((case, rr))
    scores = {
        kind: Score(
            len(ranks[kind]),
            sum(ranks[kind]) / len(ranks[kind]),
            sum(1 for r in ranks[kind] if r > 0) / len(ranks[kind]),
        )
        for kind in KINDS
        if ranks[kind]
    }
    return scores, each


def report(name: str, scores: dict[str, Score]) -> str:
    lines = [f"{name}: kind       n   MRR@10  recall@10"]
    for kind, score in scores.items():
        lines.append(f"  {kind:<10} {score.queries:>4}  {score.mrr:6.3f}  {score.recall:6.3f}")
    return "\n".join(lines)
