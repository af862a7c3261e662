"""Versioned models: the newest complete one is served; half-written or broken ones are passed
over with a log line; with none, serving says so (and the callers use popularity)."""

import logging
from pathlib import Path

import numpy as np
import pytest

from encore.adapters.recommend.faiss_index import FaissIndexBuilder
from encore.recommend.als import AlsModel, AlsTrainer
from encore.recommend.domain import BatchInputs
from encore.recommend.model_store import INDEX_FILE, MARKER, ModelStore


def store(root: Path) -> ModelStore:
    return ModelStore(
        root,
        trainers={"als": AlsTrainer()},
        indexes=FaissIndexBuilder(threads=1),
        trainer_name="als",
    )


def publish(models: ModelStore, als: AlsModel, inputs: BatchInputs) -> str:
    index = FaissIndexBuilder(threads=1).build(als.item_vectors)
    return models.publish(als, index, user_ids=inputs.user_ids, track_ids=inputs.track_ids)


def test_the_newest_complete_version_is_served_whole(
    tmp_path: Path, als: AlsModel, inputs: BatchInputs
) -> None:
    models = store(tmp_path / "models")
    assert models.current() is None
    first = publish(models, als, inputs)
    second = publish(models, als, inputs)
    assert first < second
    serving = models.refresh()
    assert serving is not None
    assert serving.version == second
    np.testing.assert_array_equal(serving.model.item_vectors, als.item_vectors)
    assert serving.user(inputs.user_ids[5]) == 5
    assert serving.track(inputs.track_ids[7]) == 7
    assert serving.track("nope") is None
    _, found = serving.index.search(als.item_vectors[:2], 3)
    assert found.shape == (2, 3)


def test_a_half_written_version_is_ignored(
    tmp_path: Path, als: AlsModel, inputs: BatchInputs
) -> None:
    models = store(tmp_path / "models")
    good = publish(models, als, inputs)
    # A crash mid-write: files but no marker, under a final-looking name and a partial one.
    (tmp_path / "models" / "99990101T000000000000Z-dead00").mkdir()
    (tmp_path / "models" / "99990101T000000000000Z-dead00" / "item_vectors.npy").write_bytes(b"x")
    (tmp_path / "models" / ".partial-99990101T000000000000Z-dead01").mkdir()
    assert models.versions() == [good]
    serving = models.refresh()
    assert serving is not None
    assert serving.version == good


def test_a_broken_newest_version_falls_back_to_the_one_before_and_is_logged(
    tmp_path: Path, als: AlsModel, inputs: BatchInputs, caplog: pytest.LogCaptureFixture
) -> None:
    models = store(tmp_path / "models")
    good = publish(models, als, inputs)
    broken = publish(models, als, inputs)
    (tmp_path / "models" / broken / INDEX_FILE).write_bytes(b"truncated")
    with caplog.at_level(logging.ERROR):
        serving = models.refresh()
    assert serving is not None
    assert serving.version == good
    assert broken in caplog.text


def test_with_no_loadable_model_serving_has_none_and_says_so(
    tmp_path: Path, als: AlsModel, inputs: BatchInputs, caplog: pytest.LogCaptureFixture
) -> None:
    models = store(tmp_path / "models")
    only = publish(models, als, inputs)
    (tmp_path / "models" / only / "item_vectors.npy").unlink()
    with caplog.at_level(logging.WARNING):
        assert models.refresh() is None
    assert "popularity" in caplog.text


def test_a_model_nothing_here_loads_is_passed_over(
    tmp_path: Path, als: AlsModel, inputs: BatchInputs
) -> None:
    publish(store(tmp_path / "models"), als, inputs)
    other = ModelStore(
        tmp_path / "models",
        trainers={"hybrid": AlsTrainer()},
        indexes=FaissIndexBuilder(threads=1),
        trainer_name="hybrid",
    )
    assert other.refresh() is None


def test_old_versions_are_pruned_after_a_new_one_is_complete(
    tmp_path: Path, als: AlsModel, inputs: BatchInputs
) -> None:
    models = store(tmp_path / "models")
    made = [publish(models, als, inputs) for _ in range(5)]
    assert models.versions() == made[-3:]
    assert all((tmp_path / "models" / v / MARKER).is_file() for v in made[-3:])


def test_fold_in_places_a_new_listener_near_a_trained_one(
    als: AlsModel, inputs: BatchInputs
) -> None:
    user = int(np.argmax(np.diff(inputs.plays.indptr)))
    folded = als.fold_in(inputs.plays[user])
    trained = als.user_vectors[user]
    cosine = folded @ trained / (np.linalg.norm(folded) * np.linalg.norm(trained))
    assert cosine > 0.8
    assert not als.fold_in(inputs.plays[user] * 0).any()
