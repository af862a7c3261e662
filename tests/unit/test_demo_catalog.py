"""The demo's generated catalog: deterministic, growing by whole artists, a valid feed."""

import re
from collections import Counter
from pathlib import Path

from encore.catalog.feed_csv import read_feed
from encore.demo import catalog
from encore.demo.repertoire import RELEASES

ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}\d{7}")


def test_the_same_size_gives_the_same_catalog() -> None:
    assert catalog.generate(500) == catalog.generate(500)
    assert catalog.generate(500, seed=1) != catalog.generate(500)


def test_a_larger_catalog_starts_with_a_smaller_one() -> None:
    small, large = catalog.generate(300), catalog.generate(1_000)
    assert len(small) == 300
    assert len(large) == 1_000
    assert large[:300] == small


def test_codes_and_names() -> None:
    tracks = catalog.generate(2_000)
    assert len({track.key for track in tracks}) == len(tracks)
    assert len({track.isrc for track in tracks}) == len(tracks)
    assert all(ISRC.fullmatch(track.isrc) for track in tracks)
    assert all(0 <= track.popularity <= 100 and track.duration_ms > 60_000 for track in tracks)
    # Each album belongs to one artist; the streamable artists have a back catalogue.
    owners = {(track.album_key, track.artist) for track in tracks}
    assert len(owners) == len({track.album_key for track in tracks})
    assert {release.artist for release in RELEASES} <= {track.artist for track in tracks}
    assert len(set(Counter(track.genre for track in tracks))) >= 12


def test_popularity_is_skewed_towards_a_few_artists() -> None:
    tracks = catalog.generate(3_000)
    best = Counter[str]()
    for track in tracks:
        best[track.artist] = max(best[track.artist], track.popularity)
    ranked = sorted(best.values(), reverse=True)
    tenth = len(ranked) // 10
    assert sum(ranked[:tenth]) / tenth > 1.5 * sum(ranked[-tenth:]) / tenth


def test_the_feed_reads_back_without_problems(tmp_path: Path) -> None:
    tracks = catalog.generate(400)
    path = tmp_path / "demo.csv"
    catalog.write_feed(tracks, path)
    feed = read_feed(path)
    assert feed.problems == []
    assert [item.key for item in feed.tracks] == [track.key for track in tracks]
    first = feed.tracks[0]
    assert (first.title, first.artist, first.isrc) == (
        tracks[0].title,
        tracks[0].artist,
        tracks[0].isrc,
    )
    assert first.genres == (tracks[0].genre,)
