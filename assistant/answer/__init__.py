"""Answer: candidate sentences and table matches from the retrieved passages (``candidates``,
``tables``), their evidence (``evidence``, ``values``), ranking (``ranking``), the composed
answer with citations (``compose``) and abstention (``abstain``); ``Answerer`` runs the
pipeline over one index (``sources``). Uses search, index and ingest; knows nothing of the UI.
"""

from .abstain import FEATURES, Calibration, calibration_path, load_calibration
from .answerer import MAX_HISTORY_TURNS, Answerer, AnswerSettings, sanitize
from .compose import MSG
from .generation import Generator

__all__ = [
    "FEATURES",
    "MAX_HISTORY_TURNS",
    "MSG",
    "AnswerSettings",
    "Answerer",
    "Calibration",
    "Generator",
    "calibration_path",
    "load_calibration",
    "sanitize",
]
