"""Hybrid retrieval: BM25 over Kiwi morphemes and dense search, found by the index's search
backend (local FAISS + BM25 arrays, or Milvus), and their fusion."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..index import Embedder, SearchIndex
from ..records import Filters, Hit
from .fusion import ranked, rrf, weighted
from .query import QueryAnalysis, analyse

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class RetrievalSettings:
    top_k: int = 8
    candidates: int = 50
    fusion: str = "weighted"
    bm25_weight: float = 0.6
    dense_weight: float = 0.4
    rrf_k: int = 60


class Retriever:
    """Searches one loaded index with one embedder (the one the index was built with)."""

    def __init__(self, index: SearchIndex, embedder: Embedder, settings: RetrievalSettings | None = None):
        index.check_model(embedder.key)
        self.index = index
        self.embedder = embedder
        self.settings = settings or RetrievalSettings()

    # -- searching ------------------------------------------------------------------
    def bm25(self, analysis: QueryAnalysis, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        return self.index.backend.lexical(list(analysis.terms), k, filters)

    def dense(self, vector: np.ndarray, k: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        return self.index.backend.dense(vector, k, filters)

    def search(
        self,
        query: str | QueryAnalysis,
        k: int | None = None,
        filters: Filters | None = None,
        mode: str = "hybrid",
        vector: np.ndarray | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query`` with their fused and per-system scores."""
        analysis = analyse(query) if isinstance(query, str) else query
        k = k or self.settings.top_k
        n = max(k, self.settings.candidates)
        if mode in ("dense", "hybrid") and vector is None:
            vector = self.embedder.embed_query(analysis.text)
        # the backend (local or Milvus) finds the candidates; fusing them is ours, the same for every backend
        lex, den = self.index.backend.candidates(
            list(analysis.terms) if mode in ("bm25", "hybrid") else None, vector if mode in ("dense", "hybrid") else None, n, filters)
        if mode == "bm25":
            fused = dict(lex)
        elif mode == "dense":
            fused = dict(den)
        else:
            fused = self.fuse(lex, den)
        top = ranked(fused, k)
        chunks = self.index.store.chunks([cid for cid, _ in top])
        lex_d, den_d = dict(lex), dict(den)
        hits = []
        for rank, (cid, score) in enumerate(top, start=1):
            if cid not in chunks:
                continue
            hits.append(Hit(chunks[cid], float(score), rank, lexical=float(lex_d.get(cid, 0.0)), dense=float(den_d.get(cid, 0.0))))
        return hits

    def fuse(self, lex: Sequence[tuple[int, float]], den: Sequence[tuple[int, float]]) -> dict[int, float]:
        s = self.settings
        if s.fusion == "rrf":
            return rrf([[c for c, _ in lex], [c for c, _ in den]], [s.bm25_weight, s.dense_weight], s.rrf_k)
        if not lex:  # nothing matched lexically (e.g. an untranslatable English question): dense alone
            return dict(den)
        return weighted([dict(lex), dict(den)], [s.bm25_weight, s.dense_weight], floors=[0.0, None])
