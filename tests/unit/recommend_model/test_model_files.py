"""Model files: round trip, atomic writes, and refusal of anything incomplete or damaged."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from encore.recommend.model import BrokenModel, HybridTasteModel, HybridTrainer, TasteParams


@pytest.fixture
def model(params: TasteParams, plays: csr_matrix) -> HybridTasteModel:
    return HybridTrainer(params).fit(plays, None)


def test_a_saved_model_loads_back_identical(
    model: HybridTasteModel, plays: csr_matrix, tmp_path: Path, params: TasteParams
) -> None:
    model.save(tmp_path / "v1")
    loaded = HybridTrainer().load(tmp_path / "v1")

    assert loaded.params == params
    np.testing.assert_array_equal(loaded.user_vectors, model.user_vectors)
    np.testing.assert_array_equal(loaded.item_vectors, model.item_vectors)
    every = np.arange(plays.shape[1], dtype=np.int64)
    np.testing.assert_array_equal(loaded.score(5, plays[5], every), model.score(5, plays[5], every))
    np.testing.assert_array_equal(loaded.fold_in(plays[9]), model.fold_in(plays[9]))
    manifest = json.loads((tmp_path / "v1" / "manifest.json").read_text())
    assert manifest["format"] == "encore-taste-hybrid"
    assert manifest["version"] == 2
    assert sorted(manifest["files"]) == ["graph.npz", "vectors.npz"]
    assert [p.name for p in tmp_path.iterdir()] == ["v1"]


def test_saving_into_an_existing_empty_directory_works(
    model: HybridTasteModel, tmp_path: Path
) -> None:
    (tmp_path / "v1").mkdir()
    model.save(tmp_path / "v1")

    assert HybridTasteModel.load(tmp_path / "v1").n_items == model.n_items


def test_a_model_is_never_written_over_another(model: HybridTasteModel, tmp_path: Path) -> None:
    model.save(tmp_path / "v1")
    before = (tmp_path / "v1" / "vectors.npz").read_bytes()

    with pytest.raises(BrokenModel, match="not empty"):
        model.save(tmp_path / "v1")
    assert (tmp_path / "v1" / "vectors.npz").read_bytes() == before


def test_a_save_that_fails_half_way_leaves_nothing_behind(
    model: HybridTasteModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_savez = np.savez
    calls = []

    def failing_second_write(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        real_savez(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(np, "savez", failing_second_write)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "v1")
    assert list(tmp_path.iterdir()) == []


def test_a_directory_without_its_manifest_is_refused(
    model: HybridTasteModel, tmp_path: Path
) -> None:
    model.save(tmp_path / "v1")
    (tmp_path / "v1" / "manifest.json").unlink()

    with pytest.raises(BrokenModel, match="incomplete"):
        HybridTasteModel.load(tmp_path / "v1")


def test_a_half_written_array_file_is_refused(model: HybridTasteModel, tmp_path: Path) -> None:
    model.save(tmp_path / "v1")
    graph = tmp_path / "v1" / "graph.npz"
    graph.write_bytes(graph.read_bytes()[: graph.stat().st_size // 2])

    with pytest.raises(BrokenModel, match="half-written"):
        HybridTasteModel.load(tmp_path / "v1")


def test_a_missing_array_file_is_refused(model: HybridTasteModel, tmp_path: Path) -> None:
    model.save(tmp_path / "v1")
    (tmp_path / "v1" / "vectors.npz").unlink()

    with pytest.raises(BrokenModel, match=r"vectors\.npz is missing"):
        HybridTasteModel.load(tmp_path / "v1")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: {**m, "version": 99}, "version 99"),
        (lambda m: {**m, "format": "something-else"}, "does not hold"),
        (lambda m: {k: v for k, v in m.items() if k != "files"}, "does not list"),
        (lambda m: {**m, "params": {**m["params"], "factors": -3}}, "unreadable model"),
        (lambda m: {**m, "items": m["items"] + 1}, "do not match"),
    ],
)
def test_a_manifest_this_version_cannot_trust_is_refused(
    model: HybridTasteModel, tmp_path: Path, change: object, message: str
) -> None:
    model.save(tmp_path / "v1")
    manifest_path = tmp_path / "v1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps(change(manifest)))  # type: ignore[operator]

    with pytest.raises(BrokenModel, match=message):
        HybridTasteModel.load(tmp_path / "v1")


def test_a_manifest_that_is_not_json_is_refused(model: HybridTasteModel, tmp_path: Path) -> None:
    model.save(tmp_path / "v1")
    (tmp_path / "v1" / "manifest.json").write_text('{"format": "encore-tas')

    with pytest.raises(BrokenModel, match="not readable JSON"):
        HybridTasteModel.load(tmp_path / "v1")


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BrokenModel, match="no model directory"):
        HybridTrainer().load(tmp_path / "nothing-here")
