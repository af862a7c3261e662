"""Similar tracks for Subsonic clients: the model's neighbours, the catalog's guess without one."""

from collections.abc import Sequence

import numpy as np
import pytest

from encore.adapters.recommend.faiss_index import FaissIndexBuilder
from encore.recommend.model_store import ServingModel
from encore.recommend.similar import SimilarByTaste

# Tracks a1, a2 (artist A) and b1 point one way, c1 and c2 (artist C) the other.
VECTORS = {
    "a1": [1.0, 0.0, 0.1],
    "a2": [0.9, 0.1, 0.0],
    "b1": [0.8, 0.2, 0.1],
    "c1": [0.0, 1.0, 0.0],
    "c2": [0.1, 0.9, 0.1],
}
ARTISTS = {"A": ["a1", "a2"], "C": ["c1", "c2"], "N": ["new"]}


class _Model:
    def __init__(self) -> None:
        self.item_vectors = np.array(list(VECTORS.values()), dtype=np.float32)


class _Listeners:
    def __init__(self, silent: frozenset[str] = frozenset()) -> None:
        self.silent = silent  # tracks without audio

    def playable(self, track_ids: Sequence[str], *, country: str | None) -> set[str]:
        return {t for t in track_ids if t not in self.silent}

    def seed_tracks(self, kind: str, seed_id: str, *, user_id: str) -> list[str] | None:
        if kind == "artist":
            return ARTISTS.get(seed_id)
        return [seed_id] if kind == "track" else None


class _Catalog:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def similar_to_artist(self, artist_id: str, *, limit: int) -> Sequence[str]:
        self.asked.append(("artist", artist_id))
        return ["catalog"]

    def similar_to_track(self, track_id: str, *, limit: int) -> Sequence[str]:
        self.asked.append(("track", track_id))
        return ["catalog"]


def _serving() -> ServingModel:
    model = _Model()
    return ServingModel(
        version="v1",
        model=model,  # type: ignore[arg-type]
        index=FaissIndexBuilder(threads=1).build(model.item_vectors),
        user_ids=np.array([], dtype=np.str_),
        track_ids=np.array(list(VECTORS), dtype=np.str_),
    )


@pytest.fixture
def catalog() -> _Catalog:
    return _Catalog()


def _similar(
    catalog: _Catalog, serving: ServingModel | None, silent: frozenset[str] = frozenset()
) -> SimilarByTaste:
    return SimilarByTaste(
        models=lambda: serving,
        listeners=_Listeners(silent),  # type: ignore[arg-type]
        fallback=catalog,
    )


def test_a_tracks_neighbours_come_nearest_first_without_the_track(catalog: _Catalog) -> None:
    similar = _similar(catalog, _serving())
    assert list(similar.similar_to_track("a1", limit=2)) == ["a2", "b1"]
    assert list(similar.similar_to_track("c1", limit=1)) == ["c2"]
    assert catalog.asked == []


def test_an_artist_brings_its_own_tracks_and_those_near_them(catalog: _Catalog) -> None:
    found = _similar(catalog, _serving()).similar_to_artist("A", limit=3)
    assert set(found) == {"a1", "a2", "b1"}


def test_without_a_model_or_for_a_seed_it_never_saw_the_catalog_answers(
    catalog: _Catalog,
) -> None:
    assert _similar(catalog, None).similar_to_track("a1", limit=5) == ["catalog"]
    assert _similar(catalog, _serving()).similar_to_track("new", limit=5) == ["catalog"]
    assert _similar(catalog, _serving()).similar_to_artist("N", limit=5) == ["catalog"]
    assert catalog.asked == [("track", "a1"), ("track", "new"), ("artist", "N")]


def test_a_track_without_audio_is_never_similar(catalog: _Catalog) -> None:
    similar = _similar(catalog, _serving(), silent=frozenset({"a2", "catalog"}))
    found = list(similar.similar_to_track("a1", limit=2))
    assert found[0] == "b1"
    assert len(found) == 2
    assert "a2" not in found
    assert "a2" not in similar.similar_to_artist("A", limit=5)
    assert list(similar.similar_to_track("new", limit=5)) == []
