"""Answer: candidate sentences, items, fields and table cells of the retrieved passages
(``candidates``, ``tables``), their features (``features``, ``evidence``, ``values``), the trained
ranker that chooses among them and calibrates the confidence (``ranker``), and the composed answer
with citations (``compose``); ``Answerer`` runs the pipeline over one index (``sources``). Uses
search, index and ingest; knows nothing of the UI.
"""

from .answerer import MAX_HISTORY_TURNS, Answerer, AnswerSettings, Candidates, sanitize
from .compose import MSG, kinds_held
from .generation import Generator
from .ranker import (
    CONFIDENCE_FEATURES,
    FEATURES,
    Logistic,
    Ranker,
    RankerError,
    Trees,
    choose,
    complements,
    confidence_features,
    feature_matrix,
    load_ranker,
    ranker_path,
    side_by_side,
)

__all__ = [
    "CONFIDENCE_FEATURES",
    "FEATURES",
    "MAX_HISTORY_TURNS",
    "MSG",
    "AnswerSettings",
    "Answerer",
    "Candidates",
    "Generator",
    "Logistic",
    "Ranker",
    "RankerError",
    "Trees",
    "choose",
    "complements",
    "confidence_features",
    "feature_matrix",
    "kinds_held",
    "load_ranker",
    "ranker_path",
    "sanitize",
    "side_by_side",
]
