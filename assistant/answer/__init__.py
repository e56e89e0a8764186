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
    COMPOSED_FEATURES,
    CONFIDENCE_FEATURES,
    FEATURES,
    SHORTLIST,
    Composed,
    Logistic,
    Ranker,
    RankerError,
    Trees,
    choose,
    complements,
    composed_features,
    confidence_features,
    feature_matrix,
    load_ranker,
    ranker_path,
    side_by_side,
)

__all__ = [
    "COMPOSED_FEATURES",
    "CONFIDENCE_FEATURES",
    "FEATURES",
    "MAX_HISTORY_TURNS",
    "MSG",
    "SHORTLIST",
    "AnswerSettings",
    "Answerer",
    "Candidates",
    "Composed",
    "Generator",
    "Logistic",
    "Ranker",
    "RankerError",
    "Trees",
    "choose",
    "complements",
    "composed_features",
    "confidence_features",
    "feature_matrix",
    "kinds_held",
    "load_ranker",
    "ranker_path",
    "sanitize",
    "side_by_side",
]
