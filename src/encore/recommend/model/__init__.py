"""Encore's production taste model: ALS vectors + a sparse item-item graph + a genre prior."""

from encore.recommend.model.hybrid import HybridTasteModel
from encore.recommend.model.params import TasteParams
from encore.recommend.model.storage import BrokenModel
from encore.recommend.model.trainer import HYBRID_NAME, HybridTrainer

__all__ = ["HYBRID_NAME", "BrokenModel", "HybridTasteModel", "HybridTrainer", "TasteParams"]
