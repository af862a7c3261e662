"""Encore's production taste model: ALS vectors + a sparse item-item graph + a genre prior."""

from encore.recommend.model.hybrid import HybridTasteModel
from encore.recommend.model.params import TasteParams
from encore.recommend.model.storage import BrokenModel
from encore.recommend.model.trainer import HybridTrainer

__all__ = ["BrokenModel", "HybridTasteModel", "HybridTrainer", "TasteParams"]
