"""Search: analyse a question with Kiwi (``query``), resolve a follow-up against the
conversation (``followup``), and find the best chunks by BM25, dense search and their
fusion (``retrieval``, ``fusion``). Uses index and ingest; nothing here composes answers.
"""

from .followup import is_followup, resolve_followup
from .fusion import minmax, ranked, rrf, weighted
from .query import (
    QueryAnalysis,
    analyse,
    asks_change,
    asks_typed,
    entities_in,
    focus_en,
    focus_of,
    language,
    persons_in,
    places_in,
    question_kinds,
    question_types,
    requested_count,
    translate,
    typed_kinds,
    wants_list,
)
from .retrieval import RetrievalSettings, Retriever

__all__ = [
    "QueryAnalysis",
    "RetrievalSettings",
    "Retriever",
    "analyse",
    "asks_change",
    "asks_typed",
    "entities_in",
    "focus_en",
    "focus_of",
    "is_followup",
    "language",
    "minmax",
    "persons_in",
    "places_in",
    "question_kinds",
    "question_types",
    "ranked",
    "requested_count",
    "resolve_followup",
    "rrf",
    "translate",
    "typed_kinds",
    "wants_list",
    "weighted",
]
